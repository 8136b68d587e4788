// The provider: my nodes with live capacity and earnings, a live feed of sessions on my
// nodes, register/update a node, stake / unstake / withdraw with the unbonding time.
import { PublicKey, SYSVAR_CLOCK_PUBKEY, type Connection } from '@solana/web3.js';
import { fetchProvider, findNodePda, findProviderPda, ix, MAX_REGION_LEN, parseEndpoint } from '@dvpn/sdk';
import { useEffect, useState } from 'react';
import { useEnv } from '../App.js';
import { sendInstructions } from '../chain.js';
import { amount, duration, parseUnits, short, sol, stars, units, usdc, when } from '../format.js';
import {
  AppProviderCapacityDocument,
  AppProviderDocument,
  AppProviderSessionsDocument,
  AppProviderStakeDocument,
  type AppProviderQuery,
  type AppProviderSessionsSubscription,
} from '../generated/graphql.js';
import { useDebounced, useQuery, useSubscription } from '../gql.js';
import { useWallet } from '../wallet.js';
import { useProgramConfig } from './common.js';

type ProviderData = NonNullable<AppProviderQuery['provider']>;
type FeedItem = AppProviderSessionsSubscription['sessionChanged'];

export function ProviderView() {
  const { wallet } = useWallet();
  if (!wallet) return (
    <>
      <h1>Provider</h1>
      <p>Connect the wallet that is your provider authority to see your nodes and sessions.</p>
    </>
  );
  return <ProviderHome authority={wallet.publicKey} />;
}

function ProviderHome({ authority }: { authority: PublicKey }) {
  const a = authority.toBase58();
  const providerPda = findProviderPda(authority)[0].toBase58();
  const q = useQuery(AppProviderDocument, { a, p: providerPda });
  const refetch = useDebounced(q.refetch, 250);
  const [feed, setFeed] = useState<FeedItem[]>([]);
  useSubscription(AppProviderCapacityDocument, { p: providerPda }, refetch, { onReconnect: refetch });
  useSubscription(AppProviderStakeDocument, { p: providerPda }, refetch, { onReconnect: refetch });
  useSubscription(
    AppProviderSessionsDocument,
    { p: providerPda },
    (d) => {
      setFeed((f) => [d.sessionChanged, ...f].slice(0, 100));
      refetch();
    },
    { resume: (d) => d.sessionChanged.seq },
  );
  const p = q.data?.provider ?? null;
  const util = new Map((q.data?.nodeUtilisation ?? []).map((u) => [u.node, u]));
  return (
    <>
      <h1>Provider</h1>
      {q.error && <p role="alert" className="error">{q.error}</p>}
      {!p && !q.loading && <RegisterProvider onDone={q.refetch} />}
      {p && (
        <>
          <dl className="facts">
            <div><dt>Provider</dt><dd><code title={p.pubkey}>{short(p.pubkey)}</code></dd></div>
            <div><dt>Earned</dt><dd data-testid="earned">{sol(p.totalEarnedLamports)}<br />{usdc(p.totalEarnedToken)}</dd></div>
            <div><dt>Sessions</dt><dd>{p.totalSessions}</dd></div>
            <div><dt>Reputation</dt><dd>{stars(p.reputationScore)}</dd></div>
          </dl>
          <section aria-labelledby="feed-h">
            <h2 id="feed-h">Sessions on my nodes <span className="live">● live</span></h2>
            {feed.length === 0 ? (
              <p className="muted">Waiting for sessions to open, be claimed, close or be disputed…</p>
            ) : (
              <ol className="feed" aria-live="polite" data-testid="provider-feed">
                {feed.map((f, i) => (
                  <li key={`${f.sessionPubkey}-${i}`} data-session={f.sessionPubkey}>
                    <span className="muted">{when(f.timestamp)}</span> <strong>{f.cause}</strong> session <code>{short(f.sessionPubkey)}</code> on{' '}
                    <code>{short(f.nodePubkey)}</code> by <code>{short(f.user)}</code> → {f.state} · claimed {amount(f.claimedAmount, f.currency)}
                    {f.refundedAmount !== '0' && <> · refunded {amount(f.refundedAmount, f.currency)}</>}
                  </li>
                ))}
              </ol>
            )}
          </section>
          <section aria-labelledby="nodes-h">
            <h2 id="nodes-h">My nodes <span className="live">● live</span></h2>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Node</th>
                    <th scope="col">Region</th>
                    <th scope="col">Active</th>
                    <th scope="col">Capacity used</th>
                    <th scope="col">Earned</th>
                    <th scope="col">Price / min</th>
                  </tr>
                </thead>
                <tbody>
                  {p.nodes.nodes.map((n) => (
                    <tr key={n.pubkey} data-node={n.pubkey}>
                      <td><code title={n.pubkey}>{short(n.pubkey)}</code></td>
                      <td data-testid="node-region">{n.region}</td>
                      <td>{n.isActive ? 'yes' : 'no'}</td>
                      <td data-testid="node-capacity">{n.activeSessions} / {n.maxCapacity}</td>
                      <td data-testid="node-earned">{sol(util.get(n.pubkey)?.earnedLamports ?? '0')}<div className="muted">{usdc(util.get(n.pubkey)?.earnedToken ?? '0')}</div></td>
                      <td data-testid="node-price">{sol(n.pricePerMinute)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <NodeForm provider={p} authority={authority} onDone={q.refetch} />
          <Stake provider={p} authority={authority} onDone={q.refetch} />
        </>
      )}
    </>
  );
}

function useAct() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = async (label: string, fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await fn();
      setDone(label);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, done, run };
}

function Status({ error, done }: { error: string | null; done: string | null }) {
  return (
    <>
      {error && <p role="alert" className="error">{error}</p>}
      {done && <p role="status" className="ok">{done}</p>}
    </>
  );
}

function RegisterProvider({ onDone }: { onDone(): void }) {
  const { connection } = useEnv();
  const { wallet } = useWallet();
  const config = useProgramConfig();
  const act = useAct();
  const [stake, setStake] = useState('');
  const lamports = parseUnits(stake || (config ? units(config.minProviderStake, 9) : '0'), 9);
  return (
    <section className="card" aria-labelledby="reg-h">
      <h2 id="reg-h">Become a provider</h2>
      <p>This wallet is not a provider yet. Register and stake at least {config ? sol(config.minProviderStake) : '…'} to serve sessions.</p>
      <form onSubmit={(e) => {
        e.preventDefault();
        void act.run('Registered.', async () => {
          if (!wallet || lamports === null) return;
          const ixs = [ix.registerProvider({ authority: wallet.publicKey })];
          if (lamports > 0n) ixs.push(ix.stakeProvider({ authority: wallet.publicKey, amount: lamports }));
          await sendInstructions(connection, wallet, ixs);
          onDone();
        });
      }}>
        <label>Stake (SOL)<input inputMode="decimal" value={stake} placeholder={config ? units(config.minProviderStake, 9) : ''} onChange={(e) => setStake(e.target.value)} /></label>
        <button type="submit" disabled={act.busy || lamports === null}>Register as provider</button>
      </form>
      <Status {...act} />
    </section>
  );
}

function NodeForm({ provider, authority, onDone }: { provider: ProviderData; authority: PublicKey; onDone(): void }) {
  const { connection } = useEnv();
  const { wallet } = useWallet();
  const act = useAct();
  const [target, setTarget] = useState<string>('new');
  // Errors show per field once it has text or a submit was tried; a form with errors sends nothing.
  const [tried, setTried] = useState(false);
  const existing = provider.nodes.nodes.find((n) => n.pubkey === target) ?? null;
  const [f, setF] = useState({ endpoint: '', region: '', price: '', priceToken: '', tick: '', tickToken: '', capacity: '', wgKey: '', active: true });
  const pick = (v: string) => {
    setTarget(v);
    setTried(false);
    const n = provider.nodes.nodes.find((x) => x.pubkey === v);
    setF(
      n
        ? {
            endpoint: n.endpoint,
            region: n.region,
            price: units(n.pricePerMinute, 9),
            priceToken: units(n.pricePerMinuteToken, 6),
            tick: units(n.pricePerTick, 9),
            tickToken: units(n.pricePerTickToken, 6),
            capacity: n.maxCapacity,
            wgKey: n.wgServerPubkey,
            active: n.isActive,
          }
        : { endpoint: '', region: '', price: '', priceToken: '', tick: '', tickToken: '', capacity: '', wgKey: '', active: true },
    );
  };
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: k === 'active' ? e.target.checked : e.target.value });
  const errors: Partial<Record<'endpoint' | 'region' | 'price' | 'priceToken' | 'tick' | 'tickToken' | 'capacity' | 'wgKey', string>> = {};
  const price = parseUnits(f.price || '0', 9);
  const priceToken = parseUnits(f.priceToken || '0', 6);
  const tick = parseUnits(f.tick || '0', 9);
  const tickToken = parseUnits(f.tickToken || '0', 6);
  const capacity = Number(f.capacity);
  // The SDK's parser: what the program stores and what a WireGuard client can dial.
  try {
    parseEndpoint(f.endpoint);
  } catch (e) {
    errors.endpoint = f.endpoint ? (e as Error).message : 'Endpoint is required: HOST:PORT, e.g. 203.0.113.7:51820';
  }
  if (!f.region || new TextEncoder().encode(f.region).length > MAX_REGION_LEN) errors.region = `Region: 1 to ${MAX_REGION_LEN} bytes`;
  if (price === null) errors.price = 'Price per minute (SOL): a decimal number with at most 9 decimals';
  if (priceToken === null) errors.priceToken = 'Price per minute (USDC): a decimal number with at most 6 decimals';
  if (tick === null) errors.tick = 'Price per tick (SOL): a decimal number with at most 9 decimals';
  if (tickToken === null) errors.tickToken = 'Price per tick (USDC): a decimal number with at most 6 decimals';
  if (!/^\d+$/.test(f.capacity.trim()) || capacity < 1 || capacity > 65535) errors.capacity = 'Capacity: a whole number of sessions from 1 to 65535';
  const wgBytes = b64Bytes(f.wgKey);
  if (!wgBytes || wgBytes.length !== 32) errors.wgKey = 'WireGuard server key: 32 bytes in base64 (as `wg pubkey` prints it)';
  const problems = Object.values(errors);
  const shown = (k: keyof typeof errors) => (errors[k] && (tried || f[k] !== '') ? errors[k] : undefined);
  const field = (k: keyof typeof errors, label: string, extra: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <label>
      {label}
      <input value={f[k] as string} onChange={set(k)} aria-invalid={shown(k) ? true : undefined} aria-describedby={shown(k) ? `node-${k}-err` : undefined} {...extra} />
      {shown(k) && <span id={`node-${k}-err`} className="error field-error">{shown(k)}</span>}
    </label>
  );
  const submit = () => {
    setTried(true);
    if (problems.length) return;
    return act.run(existing ? 'Node updated.' : 'Node registered.', async () => {
      if (!wallet) throw new Error('Connect a wallet first.');
      if (existing) {
        await sendInstructions(connection, wallet, [
          ix.updateNode({
            authority,
            node: new PublicKey(existing.pubkey),
            endpoint: f.endpoint,
            region: f.region,
            pricePerMinute: price!,
            pricePerMinuteToken: priceToken!,
            pricePerTick: tick!,
            pricePerTickToken: tickToken!,
            maxCapacity: capacity,
            wgServerPubkey: wgBytes!,
            isActive: f.active,
          }),
        ]);
      } else {
        // The next node id is the provider's node count, read from the chain (the API may lag a slot).
        const acc = await fetchProvider(connection, findProviderPda(authority)[0]);
        const nodeId = acc?.nodeCount ?? BigInt(provider.nodeCount);
        await sendInstructions(connection, wallet, [
          ix.registerNode({
            authority,
            nodeId,
            endpoint: f.endpoint,
            region: f.region,
            pricePerMinute: price!,
            pricePerMinuteToken: priceToken!,
            pricePerTick: tick!,
            pricePerTickToken: tickToken!,
            wgServerPubkey: wgBytes!,
            maxCapacity: capacity,
          }),
        ]);
        setTarget(findNodePda(findProviderPda(authority)[0], nodeId)[0].toBase58());
      }
      onDone();
    });
  };
  return (
    <section className="card" aria-labelledby="node-h">
      <h2 id="node-h">{existing ? 'Update a node' : 'Register a node'}</h2>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <label>
          Node
          <select value={target} onChange={(e) => pick(e.target.value)}>
            <option value="new">New node</option>
            {provider.nodes.nodes.map((n) => <option key={n.pubkey} value={n.pubkey}>{n.region} {short(n.pubkey)}</option>)}
          </select>
        </label>
        <div className="grid">
          {field('endpoint', 'Endpoint (HOST:PORT)', { placeholder: '203.0.113.7:51820' })}
          {field('region', 'Region', { placeholder: 'eu-west' })}
          {field('price', 'Price per minute (SOL)', { inputMode: 'decimal' })}
          {field('priceToken', 'Price per minute (USDC)', { inputMode: 'decimal' })}
          {field('tick', 'Price per tick (SOL)', { inputMode: 'decimal' })}
          {field('tickToken', 'Price per tick (USDC)', { inputMode: 'decimal' })}
          {field('capacity', 'Capacity (sessions)', { inputMode: 'numeric' })}
          {field('wgKey', 'WireGuard server public key', { placeholder: 'base64, from wg pubkey' })}
          {existing && <label className="check"><input type="checkbox" checked={f.active} onChange={set('active')} /> Accepting sessions</label>}
        </div>
        {tried && problems.length > 0 && (
          <p role="alert" className="error" data-testid="node-form-errors">Not sent: {problems.length === 1 ? 'one field needs' : `${problems.length} fields need`} fixing.</p>
        )}
        <button type="submit" disabled={act.busy}>{existing ? 'Update node' : 'Register node'}</button>
      </form>
      <Status {...act} />
    </section>
  );
}

function Stake({ provider, authority, onDone }: { provider: ProviderData; authority: PublicKey; onDone(): void }) {
  const { connection } = useEnv();
  const { wallet } = useWallet();
  const config = useProgramConfig();
  const act = useAct();
  const [value, setValue] = useState('');
  const lamports = parseUnits(value, 9);
  const unstakeAt = provider.unstakeAt ? new Date(provider.unstakeAt) : null;
  const unbonding = BigInt(provider.unstakingLamports) > 0n;
  // Withdrawing is the program's decision by the chain's clock (which is not the browser's: a
  // skewed machine, a warped dev chain), so the button follows the Clock sysvar while unbonding.
  const chainNow = useChainTime(connection, unbonding);
  const withdrawable = unbonding && unstakeAt !== null && chainNow !== null && unstakeAt.getTime() <= chainNow;
  return (
    <section className="card" aria-labelledby="stake-h">
      <h2 id="stake-h">Stake</h2>
      <dl className="facts">
        <div><dt>Staked</dt><dd data-testid="stake">{sol(provider.stakeLamports)}</dd></div>
        <div><dt>Unbonding</dt><dd data-testid="unstaking">{sol(provider.unstakingLamports)}</dd></div>
        <div><dt>Withdrawable from</dt><dd data-testid="unstake-at">{unstakeAt ? when(provider.unstakeAt) : '—'}</dd></div>
        <div><dt>Unbonding time</dt><dd data-testid="unbonding">{config ? duration(config.unbondingSeconds) : '…'}</dd></div>
        <div><dt>Minimum stake</dt><dd>{config ? sol(config.minProviderStake) : '…'}</dd></div>
      </dl>
      <form onSubmit={(e) => e.preventDefault()}>
        <label>Amount (SOL)<input inputMode="decimal" value={value} onChange={(e) => setValue(e.target.value)} /></label>
        <div className="actions">
          <button type="button" disabled={act.busy || !lamports} onClick={() => act.run('Staked.', async () => {
            await sendInstructions(connection, wallet!, [ix.stakeProvider({ authority, amount: lamports! })]);
            onDone();
          })}>Stake</button>
          <button type="button" className="secondary" disabled={act.busy || !lamports} onClick={() => act.run(`Unstake requested: withdrawable after ${config ? duration(config.unbondingSeconds) : 'the unbonding time'}.`, async () => {
            await sendInstructions(connection, wallet!, [ix.requestUnstake({ authority, amount: lamports! })]);
            onDone();
          })}>Request unstake</button>
          <button type="button" className="secondary" disabled={act.busy || !withdrawable} onClick={() => act.run('Withdrawn.', async () => {
            await sendInstructions(connection, wallet!, [ix.withdrawStake({ authority })]);
            onDone();
          })}>Withdraw {sol(provider.unstakingLamports)}</button>
        </div>
      </form>
      <Status {...act} />
    </section>
  );
}

/** The chain's clock (ms, from the Clock sysvar), read every 2 s while `on`; null before the first read. */
function useChainTime(connection: Connection, on: boolean): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    if (!on) return;
    let stop = false;
    const read = async () => {
      try {
        const info = await connection.getAccountInfo(SYSVAR_CLOCK_PUBKEY, 'confirmed');
        // Clock: slot u64, epoch_start_timestamp i64, epoch u64, leader_schedule_epoch u64, unix_timestamp i64.
        if (info && !stop) setNow(Number(new DataView(info.data.buffer, info.data.byteOffset, info.data.byteLength).getBigInt64(32, true)) * 1000);
      } catch {
        // The next read retries.
      }
    };
    void read();
    const t = setInterval(() => void read(), 2000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [connection, on]);
  return now;
}

function b64Bytes(s: string): Uint8Array | null {
  try {
    if (!/^[A-Za-z0-9+/]{43}=$/.test(s)) return null;
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
