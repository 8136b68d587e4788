// Fixtures on top of the harness: config, provider + stake + node, sessions,
// all through the SDK's instruction builders (no seed, discriminator or layout
// is re-derived here).
import { LAMPORTS_PER_SOL, type Keypair, type PublicKey } from '@solana/web3.js';
import {
  SessionMode,
  createHashChain,
  fetchConfig,
  fetchNextSessionId,
  fetchNode,
  fetchProvider,
  fetchSession,
  findConfigPda,
  findNodePda,
  findProviderPda,
  findSessionPda,
  findSessionVaultPda,
  findStakeVaultPda,
  ix,
  type EventData,
  type EventName,
  type HashChain,
} from '@dvpn/sdk';
import type { Chain, SendResult } from './surfnet.js';

export const SOL = BigInt(LAMPORTS_PER_SOL);
export const USDC = 1_000_000n; // one token at 6 decimals

export interface ConfigParams {
  protocolFeeBps: number;
  minProviderStake: bigint;
  unbondingSeconds: bigint;
  settleWindowSeconds: bigint;
  disputeWindowSeconds: bigint;
  idleTimeoutSeconds: bigint;
  minRatingLamports: bigint;
  minRatingToken: bigint;
  /** Most one dispute may slash, in basis points of the provider's stake (<= 2500). */
  maxSlashBps: number;
}

export const DEFAULT_CONFIG: ConfigParams = {
  protocolFeeBps: 250, // 2.5 %
  minProviderStake: 1n * SOL,
  unbondingSeconds: 3_600n,
  settleWindowSeconds: 600n,
  disputeWindowSeconds: 7n * 24n * 3_600n,
  idleTimeoutSeconds: 1_800n,
  minRatingLamports: 1_000n,
  minRatingToken: 10n,
  maxSlashBps: 2_500, // 25 % of the stake per dispute
};

export interface ConfigCtx extends ConfigParams {
  admin: Keypair;
  treasury: Keypair;
  config: PublicKey;
  /** The treasury's token account for the harness mint (created). */
  treasuryToken: PublicKey;
  result: SendResult;
}

/** initialize_config with the harness mint; the treasury is funded (rent) and gets its token account. */
export async function initConfig(chain: Chain, overrides: Partial<ConfigParams> = {}): Promise<ConfigCtx> {
  const params = { ...DEFAULT_CONFIG, ...overrides };
  const admin = await chain.fundedKeypair(10);
  const treasury = await chain.fundedKeypair(1);
  const treasuryToken = await chain.createAta(treasury.publicKey);
  const result = await chain.send(
    ix.initializeConfig({
      admin: admin.publicKey,
      treasury: treasury.publicKey,
      tokenMint: chain.mint,
      ...params,
    }),
    [admin],
  );
  return { ...params, admin, treasury, config: findConfigPda()[0], treasuryToken, result };
}

export interface ProviderCtx {
  authority: Keypair;
  provider: PublicKey;
  stakeVault: PublicKey;
  /** The authority's token account for the harness mint (created). */
  providerToken: PublicKey;
}

/** register_provider (+ stake_provider when stake > 0). */
export async function createProvider(chain: Chain, opts: { stake?: bigint; sol?: number } = {}): Promise<ProviderCtx> {
  const authority = await chain.fundedKeypair(opts.sol ?? 100);
  const stake = opts.stake ?? DEFAULT_CONFIG.minProviderStake;
  const ixs = [ix.registerProvider({ authority: authority.publicKey })];
  if (stake > 0n) ixs.push(ix.stakeProvider({ authority: authority.publicKey, amount: stake }));
  await chain.send(ixs, [authority]);
  const [provider] = findProviderPda(authority.publicKey);
  const [stakeVault] = findStakeVaultPda(provider);
  const providerToken = await chain.createAta(authority.publicKey);
  return { authority, provider, stakeVault, providerToken };
}

export interface NodeParams {
  endpoint: string;
  region: string;
  pricePerMinute: bigint;
  pricePerMinuteToken: bigint;
  /** Usage sessions' price per hash-chain tick (the session's tick_amount must equal it). */
  pricePerTick: bigint;
  pricePerTickToken: bigint;
  wgServerPubkey: Uint8Array;
  maxCapacity: number;
}

export interface NodeCtx extends NodeParams {
  owner: ProviderCtx;
  node: PublicKey;
  nodeId: bigint;
  result: SendResult;
}

export const DEFAULT_NODE: NodeParams = {
  endpoint: 'vpn1.example.net:51820',
  region: 'eu-west',
  pricePerMinute: 1_000_000n, // 0.001 SOL
  pricePerMinuteToken: 50_000n, // 0.05 USDC
  pricePerTick: 1_000n,
  pricePerTickToken: 1_000n,
  wgServerPubkey: new Uint8Array(32).fill(7),
  maxCapacity: 4,
};

/** register_node with the next node id of the provider. */
export async function createNode(
  chain: Chain,
  owner: ProviderCtx,
  overrides: Partial<NodeParams> & { nodeId?: bigint } = {},
): Promise<NodeCtx> {
  const { nodeId: forcedId, ...rest } = overrides;
  const params = { ...DEFAULT_NODE, ...rest };
  const nodeId = forcedId ?? (await nextNodeId(chain, owner));
  const result = await chain.send(
    ix.registerNode({ authority: owner.authority.publicKey, nodeId, ...params }),
    [owner.authority],
  );
  const [node] = findNodePda(owner.provider, nodeId);
  return { ...params, owner, node, nodeId, result };
}

async function nextNodeId(chain: Chain, owner: ProviderCtx): Promise<bigint> {
  const p = await fetchProvider(chain.connection, owner.provider);
  if (!p) throw new Error('provider not registered');
  return p.nodeCount;
}

/** A provider with stake and one node. */
export async function createProviderWithNode(
  chain: Chain,
  node: Partial<NodeParams> = {},
  provider: { stake?: bigint } = {},
): Promise<NodeCtx> {
  const owner = await createProvider(chain, provider);
  return createNode(chain, owner, node);
}

export interface SessionCtx {
  user: Keypair;
  nodeCtx: NodeCtx;
  session: PublicKey;
  sessionId: bigint;
  mode: SessionMode;
  spl: boolean;
  vault: PublicKey | null;
  userToken: PublicKey | null;
  hashChain: HashChain | null;
  durationMinutes: number;
  result: SendResult;
}

export interface OpenOpts {
  user?: Keypair;
  /** Forces the session id (default: the user's UserState.next_session_id, the one id the program accepts). */
  sessionId?: bigint;
  spl?: boolean;
  /** Token base units minted to the user for an SPL session (default: 1000 USDC). */
  userTokens?: bigint;
}

/** Opens a time session (SOL, or USDC with spl: true). */
export async function openTimeSession(
  chain: Chain,
  nodeCtx: NodeCtx,
  durationMinutes: number,
  opts: OpenOpts = {},
): Promise<SessionCtx> {
  return openSessionInternal(chain, nodeCtx, { ...opts, mode: SessionMode.Time, durationMinutes });
}

/**
 * Opens a usage (hash chain) session with a fresh chain of maxTicks links.
 * The node sets the usage price: tickAmount defaults to the node's price per
 * tick (SOL or token); a different tickAmount first reprices the node to it
 * (update_node, signed by its provider), so "a session at X per tick" is a
 * session on a node priced X.
 */
export async function openUsageSession(
  chain: Chain,
  nodeCtx: NodeCtx,
  p: { maxTicks: number; tickAmount?: bigint; durationMinutes: number },
  opts: OpenOpts = {},
): Promise<SessionCtx> {
  if (p.tickAmount !== undefined) await setTickPrice(chain, nodeCtx, p.tickAmount, !!opts.spl);
  const tickAmount = opts.spl ? nodeCtx.pricePerTickToken : nodeCtx.pricePerTick;
  return openSessionInternal(chain, nodeCtx, { ...opts, mode: SessionMode.Usage, ...p, tickAmount });
}

/** Sets the node's usage price per tick (SOL, or token with spl) when it differs; keeps nodeCtx in step. */
export async function setTickPrice(chain: Chain, nodeCtx: NodeCtx, price: bigint, spl = false): Promise<void> {
  const node = await fetchNode(chain.connection, nodeCtx.node);
  if (!node) throw new Error(`node ${nodeCtx.node.toBase58()} not found`);
  const current = spl ? node.pricePerTickToken : node.pricePerTick;
  if (current !== price) {
    const update = spl ? { pricePerTickToken: price } : { pricePerTick: price };
    await chain.send(ix.updateNode({ authority: nodeCtx.owner.authority.publicKey, node: nodeCtx.node, ...update }), [
      nodeCtx.owner.authority,
    ]);
  }
  if (spl) nodeCtx.pricePerTickToken = price;
  else nodeCtx.pricePerTick = price;
}

/** The session id the program requires for the user's next session: its UserState.next_session_id (0 before the first). */
export async function nextSessionId(chain: Chain, user: PublicKey): Promise<bigint> {
  return fetchNextSessionId(chain.connection, user);
}

async function openSessionInternal(
  chain: Chain,
  nodeCtx: NodeCtx,
  p: OpenOpts & { mode: SessionMode; durationMinutes: number; maxTicks?: number; tickAmount?: bigint },
): Promise<SessionCtx> {
  const user = p.user ?? (await chain.fundedKeypair(100));
  const hashChain = p.mode === SessionMode.Usage ? createHashChain(p.maxTicks ?? 0) : null;
  const userToken = p.spl ? await chain.fundTokens(user.publicKey, p.userTokens ?? 1_000n * USDC) : null;
  const sessionId = p.sessionId ?? (await nextSessionId(chain, user.publicKey));
  const [session] = findSessionPda(nodeCtx.node, user.publicKey, sessionId);
  // The unit price the user agrees to must be the node's current one (PriceMismatch otherwise).
  const timePrice = p.spl ? nodeCtx.pricePerMinuteToken : nodeCtx.pricePerMinute;
  const base = {
    user: user.publicKey,
    provider: nodeCtx.owner.provider,
    node: nodeCtx.node,
    sessionId,
    mode: p.mode,
    durationMinutes: p.durationMinutes,
    tickAmount: hashChain ? (p.tickAmount ?? 0n) : timePrice,
    ...(hashChain ? { maxTicks: BigInt(p.maxTicks ?? 0), hashChainRoot: hashChain.root } : {}),
  };
  const vault = p.spl ? findSessionVaultPda(session)[0] : null;
  const instruction = p.spl
    ? ix.openSessionSpl({ ...base, tokenMint: chain.mint, userToken: userToken! })
    : ix.openSession(base);
  const result = await chain.send(instruction, [user]);
  return {
    user,
    nodeCtx,
    session,
    sessionId,
    mode: p.mode,
    spl: !!p.spl,
    vault,
    userToken,
    hashChain,
    durationMinutes: p.durationMinutes,
    result,
  };
}

/** Token accounts a settle instruction needs for a USDC session (undefined for SOL). */
export function splAccounts(chain: Chain, s: SessionCtx, treasury: PublicKey) {
  if (!s.spl) return undefined;
  return {
    vault: s.vault!,
    userToken: chain.ata(s.user.publicKey),
    providerToken: chain.ata(s.nodeCtx.owner.authority.publicKey),
    treasuryToken: chain.ata(treasury),
  };
}

/** Accounts shared by close_session / claim_payout / resolve_dispute for a session. */
export function settleAccounts(chain: Chain, s: SessionCtx, treasury: PublicKey) {
  return {
    provider: s.nodeCtx.owner.provider,
    node: s.nodeCtx.node,
    session: s.session,
    providerAuthority: s.nodeCtx.owner.authority.publicKey,
    treasury,
    spl: splAccounts(chain, s, treasury),
  };
}

export function closeSessionIx(chain: Chain, s: SessionCtx, treasury: PublicKey) {
  return ix.closeSession({ user: s.user.publicKey, ...settleAccounts(chain, s, treasury) });
}

export function claimPayoutIx(chain: Chain, s: SessionCtx, treasury: PublicKey, caller: PublicKey) {
  return ix.claimPayout({ caller, user: s.user.publicKey, ...settleAccounts(chain, s, treasury) });
}

export function claimChunkIx(
  chain: Chain,
  s: SessionCtx,
  treasury: PublicKey,
  tick: bigint | number,
  opts: { preimage?: Uint8Array; bytesUsed?: bigint; authority?: PublicKey } = {},
) {
  const spl = splAccounts(chain, s, treasury);
  return ix.claimChunk({
    authority: opts.authority ?? s.nodeCtx.owner.authority.publicKey,
    provider: s.nodeCtx.owner.provider,
    session: s.session,
    treasury,
    tick,
    preimage: opts.preimage ?? (s.hashChain ? s.hashChain.preimage(Number(tick)) : undefined),
    bytesUsed: opts.bytesUsed ?? 0n,
    spl: spl ? { vault: spl.vault, providerToken: spl.providerToken, treasuryToken: spl.treasuryToken } : undefined,
  });
}

export async function mustFetchSession(chain: Chain, session: PublicKey) {
  const s = await fetchSession(chain.connection, session);
  if (!s) throw new Error(`session ${session.toBase58()} not found`);
  return s;
}

export async function mustFetchConfig(chain: Chain) {
  const c = await fetchConfig(chain.connection);
  if (!c) throw new Error('config not found');
  return c;
}

/** Lamports of several accounts at once, as bigints (for before/after comparisons). */
export async function lamportsOf(chain: Chain, ...addresses: PublicKey[]): Promise<bigint[]> {
  const infos = await chain.connection.getMultipleAccountsInfo(addresses, 'confirmed');
  return infos.map((i) => BigInt(i?.lamports ?? 0));
}

/** The single event `name` of a transaction (fails if there is none or more than one). */
export function eventOf<N extends EventName>(res: SendResult, name: N): EventData<N> {
  const found = res.events.filter((e) => e.name === name);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${name} event, got [${res.events.map((e) => e.name).join(', ')}]`);
  }
  return found[0].data as EventData<N>;
}

/** Rent-exempt minimum of an account of `size` bytes. */
export async function rentFor(chain: Chain, size: number): Promise<bigint> {
  return BigInt(await chain.connection.getMinimumBalanceForRentExemption(size));
}

/** Lamports of named accounts, for before/after comparisons: `const d = await deltas(); ... expect(await d()).toEqual({...})`. */
export async function lamportTracker(chain: Chain, accounts: Record<string, PublicKey>) {
  const names = Object.keys(accounts);
  const read = async () => {
    const values = await lamportsOf(chain, ...names.map((n) => accounts[n]));
    return Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<string, bigint>;
  };
  const before = await read();
  /** Change of every account since the tracker was made. */
  return async () => {
    const after = await read();
    return Object.fromEntries(names.map((n) => [n, after[n] - before[n]])) as Record<string, bigint>;
  };
}

/** Token balances (of token accounts) for before/after comparisons; a missing account counts as 0. */
export async function tokenTracker(chain: Chain, accounts: Record<string, PublicKey>) {
  const names = Object.keys(accounts);
  const read = async () => {
    const values = await Promise.all(names.map(async (n) => (await chain.tokenAccountAmount(accounts[n])) ?? 0n));
    return Object.fromEntries(names.map((n, i) => [n, values[i]])) as Record<string, bigint>;
  };
  const before = await read();
  return async () => {
    const after = await read();
    return Object.fromEntries(names.map((n) => [n, after[n] - before[n]])) as Record<string, bigint>;
  };
}

/** docs/PROGRAM.md "Amounts": fee = floor(payment * bps / 10_000), provider gets the rest. */
export function split(payment: bigint, feeBps: number): { fee: bigint; provider: bigint } {
  const fee = (payment * BigInt(feeBps)) / 10_000n;
  return { fee, provider: payment - fee };
}

/**
 * docs/PROGRAM.md "Amounts": the fee is taken on the running total claimed, so a payment of
 * `payment` after `claimedBefore` was already claimed pays
 * floor((claimedBefore + payment) * bps / 10_000) - floor(claimedBefore * bps / 10_000).
 */
export function splitRunning(claimedBefore: bigint, payment: bigint, feeBps: number): { fee: bigint; provider: bigint } {
  const bps = BigInt(feeBps);
  const fee = ((claimedBefore + payment) * bps) / 10_000n - (claimedBefore * bps) / 10_000n;
  return { fee, provider: payment - fee };
}

/** docs/PROGRAM.md "Amounts": earned(t) = floor(escrow * t / duration_seconds), t clamped to the duration. */
export function earned(escrow: bigint, durationSeconds: bigint, t: bigint): bigint {
  const tt = t < 0n ? 0n : t > durationSeconds ? durationSeconds : t;
  return (escrow * tt) / durationSeconds;
}
