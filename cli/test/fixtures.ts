// Chain set-up for the CLI tests through the SDK builders, with the program's
// current rules: the Config's dispute/idle/rating/slash values, nodes with a
// price per tick, and session ids from the user's UserState.next_session_id.
// (Pure helpers such as split/earned/rentFor come from the shared harness.)
import type { Keypair, PublicKey } from '@solana/web3.js';
import { SessionMode, fetchNextSessionId, findConfigPda, findNodePda, ix } from '@dvpn/sdk';
import type { Chain } from '../../tests/harness/surfnet.js';
import { createProvider, type ProviderCtx } from '../../tests/harness/fixtures.js';

export interface CliConfigParams {
  protocolFeeBps: number;
  minProviderStake: bigint;
  unbondingSeconds: bigint;
  settleWindowSeconds: bigint;
  disputeWindowSeconds: bigint;
  idleTimeoutSeconds: bigint;
  minRatingLamports: bigint;
  minRatingToken: bigint;
  maxSlashBps: number;
}

export const CLI_CONFIG: CliConfigParams = {
  protocolFeeBps: 250,
  minProviderStake: 1_000_000_000n,
  unbondingSeconds: 3_600n,
  settleWindowSeconds: 600n,
  disputeWindowSeconds: 7n * 86_400n,
  idleTimeoutSeconds: 1_800n,
  minRatingLamports: 100_000n, // 0.0001 SOL
  minRatingToken: 10_000n, // 0.01 USDC
  maxSlashBps: 2_500,
};

export interface CliConfigCtx extends CliConfigParams {
  admin: Keypair;
  treasury: Keypair;
  config: PublicKey;
}

export async function initConfig(chain: Chain, overrides: Partial<CliConfigParams> = {}): Promise<CliConfigCtx> {
  const params = { ...CLI_CONFIG, ...overrides };
  const admin = await chain.fundedKeypair(10);
  const treasury = await chain.fundedKeypair(1);
  await chain.createAta(treasury.publicKey);
  await chain.send(ix.initializeConfig({ admin: admin.publicKey, treasury: treasury.publicKey, tokenMint: chain.mint, ...params }), [admin]);
  return { ...params, admin, treasury, config: findConfigPda()[0] };
}

export interface CliNodeParams {
  pricePerMinute: bigint;
  pricePerMinuteToken: bigint;
  pricePerTick: bigint;
  pricePerTickToken: bigint;
  maxCapacity: number;
  region: string;
}

export interface CliNodeCtx extends CliNodeParams {
  owner: ProviderCtx;
  node: PublicKey;
}

export async function createProviderWithNode(chain: Chain, overrides: Partial<CliNodeParams> = {}): Promise<CliNodeCtx> {
  const p: CliNodeParams = {
    pricePerMinute: 1_000_000n,
    pricePerMinuteToken: 50_000n,
    pricePerTick: 10_000n,
    pricePerTickToken: 1_000n,
    maxCapacity: 4,
    region: 'eu-west',
    ...overrides,
  };
  const owner = await createProvider(chain);
  await chain.send(
    ix.registerNode({
      authority: owner.authority.publicKey,
      nodeId: 0n,
      endpoint: 'vpn1.example.net:51820',
      region: p.region,
      pricePerMinute: p.pricePerMinute,
      pricePerMinuteToken: p.pricePerMinuteToken,
      pricePerTick: p.pricePerTick,
      pricePerTickToken: p.pricePerTickToken,
      wgServerPubkey: new Uint8Array(32).fill(7),
      maxCapacity: p.maxCapacity,
    }),
    [owner.authority],
  );
  return { ...p, owner, node: findNodePda(owner.provider, 0n)[0] };
}

/** A SOL time session by a fresh user, with the id the program requires. */
export async function openTimeSession(chain: Chain, n: CliNodeCtx, minutes: number): Promise<{ user: Keypair; sessionId: bigint }> {
  const user = await chain.fundedKeypair(10);
  const sessionId = await fetchNextSessionId(chain.connection, user.publicKey);
  await chain.send(
    ix.openSession({
      user: user.publicKey,
      provider: n.owner.provider,
      node: n.node,
      sessionId,
      mode: SessionMode.Time,
      durationMinutes: minutes,
      tickAmount: n.pricePerMinute,
    }),
    [user],
  );
  return { user, sessionId };
}
