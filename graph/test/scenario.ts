// A market's life on the embedded chain that emits every event type of the
// program: config, providers (stake, unstake, withdraw), nodes (register,
// update), SOL and USDC sessions (time and usage), chunk claims, closes,
// payouts (by the user and by a crank), a dispute resolved with a slash, and
// ratings. Used by the event tests, the fixture recorder and the benchmark.
import { Keypair } from '@solana/web3.js';
import { SessionMode, createHashChain, findSessionPda, ix } from '@dvpn/sdk';
import type { Chain, SendResult } from '../../tests/harness/surfnet.js';
import {
  claimChunkIx,
  claimPayoutIx,
  closeSessionIx,
  createNode,
  createProvider,
  initConfig,
  openTimeSession,
  openUsageSession,
  settleAccounts,
  SOL,
  type ConfigCtx,
  type NodeCtx,
  type ProviderCtx,
  type SessionCtx,
} from '../../tests/harness/fixtures.js';

export interface Scenario {
  cfg: ConfigCtx;
  provider: ProviderCtx;
  nodeA: NodeCtx;
  nodeB: NodeCtx;
  /** SOL time session: chunk, close (Closed), rating 5, payout by the user. */
  s1: SessionCtx;
  /** USDC usage session: two chunks, close (Closing), a late chunk, payout by a crank. */
  s2: SessionCtx;
  /** SOL time session: disputed, resolved with a slash, rated 2. */
  s3: SessionCtx;
  /** SOL time session left Active. */
  s4: SessionCtx;
  crank: Keypair;
  /** Every transaction sent, in order. */
  results: SendResult[];
}

export async function runScenario(chain: Chain): Promise<Scenario> {
  const results: SendResult[] = [];
  const send = async (ixs: Parameters<Chain['send']>[0], signers: Keypair[]) => {
    const r = await chain.send(ixs, signers);
    results.push(r);
    return r;
  };

  const cfg = await initConfig(chain);
  results.push(cfg.result);
  const provider = await createProvider(chain, { stake: 5n * SOL });
  // createProvider's own transaction is not returned by the fixture: the chain has it.
  const nodeA = await createNode(chain, provider, { region: 'eu-west', maxCapacity: 4 });
  results.push(nodeA.result);
  const nodeB = await createNode(chain, provider, {
    region: 'us-east',
    endpoint: 'vpn2.example.net:51820',
    pricePerMinute: 2_000_000n,
    pricePerMinuteToken: 0n,
    maxCapacity: 2,
  });
  results.push(nodeB.result);
  await send(
    ix.updateNode({
      authority: provider.authority.publicKey,
      node: nodeB.node,
      pricePerMinute: 3_000_000n,
      maxCapacity: 8,
      region: 'us-west',
      endpoint: 'vpn2b.example.net:51820',
    }),
    [provider.authority],
  );
  // open_session's tick_amount must equal the node's current price: keep the context in step.
  nodeB.pricePerMinute = 3_000_000n;
  nodeB.maxCapacity = 8;
  nodeB.region = 'us-west';
  nodeB.endpoint = 'vpn2b.example.net:51820';

  // s1: SOL time session, 10 minutes.
  const s1 = await openTimeSession(chain, nodeA, 10);
  results.push(s1.result);
  await chain.warpSeconds(120);
  await send(claimChunkIx(chain, s1, cfg.treasury.publicKey, 60), [provider.authority]);
  await chain.warpSeconds(60);
  await send(closeSessionIx(chain, s1, cfg.treasury.publicKey), [s1.user]);
  await send(ix.updateReputation({ user: s1.user.publicKey, provider: provider.provider, session: s1.session, rating: 5 }), [s1.user]);
  await send(claimPayoutIx(chain, s1, cfg.treasury.publicKey, s1.user.publicKey), [s1.user]);

  // s2: USDC usage session, 20 ticks of 1000 base units, max 30 minutes.
  const s2 = await openUsageSession(chain, nodeA, { maxTicks: 20, tickAmount: 1_000n, durationMinutes: 30 }, { spl: true });
  results.push(s2.result);
  await send(claimChunkIx(chain, s2, cfg.treasury.publicKey, 5, { bytesUsed: 1_000n }), [provider.authority]);
  await send(claimChunkIx(chain, s2, cfg.treasury.publicKey, 12, { bytesUsed: 5_000n }), [provider.authority]);
  await send(closeSessionIx(chain, s2, cfg.treasury.publicKey), [s2.user]);
  await send(claimChunkIx(chain, s2, cfg.treasury.publicKey, 15, { bytesUsed: 6_500n }), [provider.authority]);
  await chain.warpSeconds(Number(cfg.settleWindowSeconds) + 1);
  const crank = await chain.fundedKeypair(1);
  await send(claimPayoutIx(chain, s2, cfg.treasury.publicKey, crank.publicKey), [crank]);

  // s3: SOL time session, disputed by the user, resolved with a 1 SOL slash.
  const s3 = await openTimeSession(chain, nodeB, 5);
  results.push(s3.result);
  await chain.warpSeconds(30);
  await send(ix.raiseDispute({ signer: s3.user.publicKey, provider: provider.provider, node: nodeB.node, session: s3.session, reason: 3 }), [s3.user]);
  const escrow3 = 5n * 3_000_000n;
  await send(
    ix.resolveDispute({
      admin: cfg.admin.publicKey,
      user: s3.user.publicKey,
      ...settleAccounts(chain, s3, cfg.treasury.publicKey),
      providerAmount: escrow3 / 3n,
      slashLamports: 1n * SOL,
    }),
    [cfg.admin],
  );
  await send(ix.updateReputation({ user: s3.user.publicKey, provider: provider.provider, session: s3.session, rating: 2 }), [s3.user]);

  // s4: left Active.
  const s4 = await openTimeSession(chain, nodeB, 60);
  results.push(s4.result);

  // Unstake and withdraw after the unbonding period.
  await send(ix.requestUnstake({ authority: provider.authority.publicKey, amount: 1n * SOL }), [provider.authority]);
  await chain.warpSeconds(Number(cfg.unbondingSeconds) + 1);
  await send(ix.withdrawStake({ authority: provider.authority.publicKey }), [provider.authority]);

  return { cfg, provider, nodeA, nodeB, s1, s2, s3, s4, crank, results };
}

/**
 * Steady traffic for stream tests and recordings, without time travel (the
 * embedded runtime renumbers slots when its clock jumps): per round one user
 * opens `perTx` usage sessions in one transaction, the provider claims two
 * ticks of each in a second one, and the user closes them all in a third
 * (perTx * 4 events in 3 transactions). `parallel` rounds run at once.
 */
export async function runTraffic(
  chain: Chain,
  ctx: { cfg: ConfigCtx; node: NodeCtx },
  opts: { rounds: number; perTx?: number; parallel?: number; onSent?: (r: SendResult) => void; signal?: { stop: boolean } },
): Promise<SendResult[]> {
  const out: SendResult[] = [];
  const perTx = opts.perTx ?? 2;
  const parallel = opts.parallel ?? 4;
  const node = ctx.node;
  const auth = node.owner.authority;
  const treasury = ctx.cfg.treasury.publicKey;
  const record = (r: SendResult) => {
    out.push(r);
    opts.onSent?.(r);
  };
  let next = 0;
  const worker = async () => {
    while (next < opts.rounds && !opts.signal?.stop) {
      const round = next++;
      const user = await chain.fundedKeypair(10);
      const sessions = Array.from({ length: perTx }, (_, i) => {
        // A fresh user per round: its session ids run 0, 1, ... (UserState.next_session_id), in order within the transaction.
        const sessionId = BigInt(i);
        const hashChain = createHashChain(8);
        const [session] = findSessionPda(node.node, user.publicKey, sessionId);
        return { sessionId, hashChain, session };
      });
      record(await chain.send(
        sessions.map((x) => ix.openSession({
          user: user.publicKey, provider: node.owner.provider, node: node.node, sessionId: x.sessionId,
          mode: SessionMode.Usage, durationMinutes: 60, tickAmount: node.pricePerTick, maxTicks: 8n, hashChainRoot: x.hashChain.root,
        })),
        [user],
      ));
      record(await chain.send(
        sessions.flatMap((x) => [1, 2].map((tick) => ix.claimChunk({
          authority: auth.publicKey, provider: node.owner.provider, session: x.session, treasury, tick,
          preimage: x.hashChain.preimage(tick), bytesUsed: BigInt(tick) * 1_000n,
        }))),
        [auth],
      ));
      record(await chain.send(
        sessions.map((x) => ix.closeSession({
          user: user.publicKey, provider: node.owner.provider, node: node.node, session: x.session,
          providerAuthority: auth.publicKey, treasury,
        })),
        [user],
      ));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}
