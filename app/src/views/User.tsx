// The user: discover nodes live, open a session (SOL or USDC, time or usage), watch it,
// connect (WireGuard key made here, auth message signed by the wallet, config from the
// node's daemon as a file and a QR code), pay ticks, close, rate, see the refund.
import { PublicKey, type TransactionInstruction } from '@solana/web3.js';
import { createAssociatedTokenAccountIdempotentInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import {
  MAX_TIME_SESSION_MINUTES,
  MAX_USAGE_SESSION_MINUTES,
  SessionMode,
  authMessage,
  createHashChain,
  fetchNextSessionId,
  fetchNode,
  findSessionPda,
  generateWgKeypair,
  ix,
  splSettleAccounts,
  wgQuickConfig,
  type AuthAnswer,
} from '@dvpn/sdk';
import QRCode from 'qrcode';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useEnv } from '../App.js';
import { sendInstructions } from '../chain.js';
import { checkPeerKey, daemonCall, daemonUrl, payNextTick, routesAllIpv4, tickIntervalMs } from '../daemon.js';
import { amount, download, short, sol, stars, units, usdc, when } from '../format.js';
import {
  AppMySessionChangesDocument,
  AppMySessionsDocument,
  AppNodeCapacityDocument,
  AppNodeEventsDocument,
  AppNodesDocument,
  AppSessionDocument,
  AppSessionLiveDocument,
  type AppNodesQuery,
  type AppSessionFieldsFragment,
} from '../generated/graphql.js';
import { useDebounced, useGql, useQuery, useSubscription } from '../gql.js';
import { useWallet } from '../wallet.js';
import { useProgramConfig, type ProgramConfig } from './common.js';

type NodeRow = AppNodesQuery['nodes']['nodes'][number];
type SessionRow = AppSessionFieldsFragment;

export function UserView() {
  const { wallet } = useWallet();
  const [selected, setSelected] = useState<NodeRow | null>(null);
  const [session, setSession] = useState<string | null>(null);
  return (
    <>
      <h1>Connect</h1>
      <NodesTable selected={selected?.pubkey ?? null} onSelect={setSelected} />
      {selected && <OpenSession node={selected} onOpened={(s) => setSession(s)} />}
      {wallet && <MySessions user={wallet.publicKey.toBase58()} selected={session} onSelect={setSession} />}
      {session && <SessionPanel key={session} session={session} />}
    </>
  );
}

function NodesTable({ selected, onSelect }: { selected: string | null; onSelect(n: NodeRow): void }) {
  const q = useQuery(AppNodesDocument, {});
  const [live, setLive] = useState<Record<string, Partial<NodeRow>>>({});
  const refetch = useDebounced(q.refetch, 300);
  // Capacity changes patch the row at once; a refetch then brings the rest (reputation, prices).
  useSubscription(AppNodeCapacityDocument, {}, (d) => {
    const c = d.nodeCapacity;
    setLive((l) => ({ ...l, [c.nodePubkey]: { freeCapacity: c.freeCapacity, activeSessions: c.activeSessions } }));
    refetch();
  }, { onReconnect: refetch });
  useSubscription(AppNodeEventsDocument, {}, refetch, { onReconnect: refetch });
  useEffect(() => setLive({}), [q.data]);
  const rows = (q.data?.nodes.nodes ?? []).map((n) => ({ ...n, ...live[n.pubkey] }));
  return (
    <section aria-labelledby="nodes-h">
      <h2 id="nodes-h">Nodes <span className="live" title="updates live">● live</span></h2>
      {q.error && <p role="alert" className="error">{q.error}</p>}
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Active nodes, best reputation first</caption>
          <thead>
            <tr>
              <th scope="col">Region</th>
              <th scope="col">Price / min</th>
              <th scope="col">Free</th>
              <th scope="col">Reputation</th>
              <th scope="col" className="wide-only">Node</th>
              <th scope="col"><span className="sr-only">Choose</span></th>
            </tr>
          </thead>
          <tbody>
            {rows.map((n) => (
              <tr key={n.pubkey} data-node={n.pubkey} aria-selected={n.pubkey === selected}>
                <td>{n.region}</td>
                <td>
                  {sol(n.pricePerMinute)}
                  {n.pricePerMinuteToken !== '0' && <div className="muted">{usdc(n.pricePerMinuteToken)}</div>}
                </td>
                <td data-testid="free-capacity">
                  {n.freeCapacity} / {n.maxCapacity}
                </td>
                <td>{stars(n.providerReputation)}</td>
                <td className="wide-only"><code title={n.pubkey}>{short(n.pubkey)}</code></td>
                <td>
                  <button onClick={() => onSelect(n)} aria-label={`Choose node ${n.region} ${short(n.pubkey)}`} disabled={BigInt(n.freeCapacity) <= 0n}>
                    Choose
                  </button>
                </td>
              </tr>
            ))}
            {rows.length === 0 && !q.loading && (
              <tr>
                <td colSpan={6}>No active nodes.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const chainKey = (session: string) => `dvpn.hashChain.${session}`;

function OpenSession({ node, onOpened }: { node: NodeRow; onOpened(session: string): void }) {
  const { connection } = useEnv();
  const { wallet } = useWallet();
  const config = useProgramConfig();
  const [currency, setCurrency] = useState<'SOL' | 'TOKEN'>('SOL');
  const [mode, setMode] = useState<'time' | 'usage'>('time');
  const [minutes, setMinutes] = useState('30');
  const [maxTicks, setMaxTicks] = useState('100');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const token = currency === 'TOKEN';
  const price = BigInt(mode === 'time' ? (token ? node.pricePerMinuteToken : node.pricePerMinute) : token ? node.pricePerTickToken : node.pricePerTick);
  const mins = Number(minutes);
  const ticks = Number(maxTicks);
  const maxMinutes = mode === 'usage' ? MAX_USAGE_SESSION_MINUTES : MAX_TIME_SESSION_MINUTES;
  const valid = Number.isInteger(mins) && mins >= 1 && mins <= maxMinutes && (mode === 'time' || (Number.isInteger(ticks) && ticks >= 1 && ticks <= 100_000));
  const escrow = valid ? price * BigInt(mode === 'time' ? mins : ticks) : 0n;

  const open = async () => {
    if (!wallet || !config) return;
    setBusy(true);
    setError(null);
    try {
      const user = wallet.publicKey;
      const nodeKey = new PublicKey(node.pubkey);
      const sessionId = await fetchNextSessionId(connection, user);
      const [session] = findSessionPda(nodeKey, user, sessionId);
      const hashChain = mode === 'usage' ? createHashChain(ticks) : null;
      if (hashChain) {
        // The chain's secret end must outlive the page: without it the ticks cannot be paid.
        localStorage.setItem(chainKey(session.toBase58()), JSON.stringify({ seed: toHex(hashChain.seed), length: ticks }));
      }
      const params = {
        user,
        provider: new PublicKey(node.providerPubkey),
        node: nodeKey,
        sessionId,
        mode: mode === 'usage' ? SessionMode.Usage : SessionMode.Time,
        durationMinutes: mins,
        tickAmount: price,
        ...(hashChain ? { maxTicks: BigInt(ticks), hashChainRoot: hashChain.root } : {}),
      };
      const mint = new PublicKey(config.tokenMint);
      const instruction = token
        ? ix.openSessionSpl({ ...params, tokenMint: mint, userToken: getAssociatedTokenAddressSync(mint, user, true) })
        : ix.openSession(params);
      await sendInstructions(connection, wallet, [instruction]);
      onOpened(session.toBase58());
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const offered = price > 0n;
  return (
    <section aria-labelledby="open-h" className="card">
      <h2 id="open-h">
        Open a session on {node.region} <code>{short(node.pubkey)}</code>
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void open();
        }}
      >
        <fieldset>
          <legend>Pay in</legend>
          <label><input type="radio" name="currency" checked={!token} onChange={() => setCurrency('SOL')} /> SOL</label>
          <label><input type="radio" name="currency" checked={token} onChange={() => setCurrency('TOKEN')} /> USDC</label>
        </fieldset>
        <fieldset>
          <legend>Pay for</legend>
          <label><input type="radio" name="mode" checked={mode === 'time'} onChange={() => setMode('time')} /> Time</label>
          <label><input type="radio" name="mode" checked={mode === 'usage'} onChange={() => setMode('usage')} /> Usage (ticks)</label>
        </fieldset>
        <label>
          Minutes
          <input inputMode="numeric" value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-describedby="open-cost" />
        </label>
        {mode === 'usage' && (
          <label>
            Ticks to escrow
            <input inputMode="numeric" value={maxTicks} onChange={(e) => setMaxTicks(e.target.value)} />
          </label>
        )}
        <p id="open-cost">
          {offered ? (
            <>
              {mode === 'time' ? 'Price per minute' : 'Price per tick'}: {amount(price, currency)} · Escrow: <strong data-testid="escrow">{amount(escrow, currency)}</strong>
              {mode === 'time' ? ' (unused time is refunded when you close)' : ' (unpaid ticks are refunded)'}
            </>
          ) : (
            <span className="error">This node offers no {mode} sessions paid in {token ? 'USDC' : 'SOL'}.</span>
          )}
        </p>
        {!wallet && <p className="muted">Connect a wallet to open a session.</p>}
        <button type="submit" disabled={!wallet || !config || busy || !valid || !offered}>
          {busy ? 'Opening…' : 'Open session'}
        </button>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
    </section>
  );
}

function MySessions({ user, selected, onSelect }: { user: string; selected: string | null; onSelect(s: string): void }) {
  const q = useQuery(AppMySessionsDocument, { user });
  const refetch = useDebounced(q.refetch, 200);
  useSubscription(AppMySessionChangesDocument, { user }, refetch, { onReconnect: refetch });
  const rows = q.data?.sessions.nodes ?? [];
  if (rows.length === 0) return null;
  return (
    <section aria-labelledby="mine-h">
      <h2 id="mine-h">My sessions</h2>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">State</th>
              <th scope="col">Escrow</th>
              <th scope="col">Started</th>
              <th scope="col"><span className="sr-only">Open</span></th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.pubkey} aria-selected={s.pubkey === selected}>
                <td><code>{short(s.pubkey)}</code> <span className="muted">{s.mode.toLowerCase()}</span></td>
                <td>{s.state}</td>
                <td>{amount(s.escrowAmount, s.currency)}</td>
                <td>{when(s.startTs)}</td>
                <td><button className="secondary" onClick={() => onSelect(s.pubkey)} aria-label={`Show session ${short(s.pubkey)}`}>Show</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}


function SessionPanel({ session }: { session: string }) {
  const { connection, config: appConfig } = useEnv();
  const { wallet } = useWallet();
  const config = useProgramConfig();
  const gql = useGql();
  const q = useQuery(AppSessionDocument, { s: session });
  const [feed, setFeed] = useState<{ cause: string; state: string; at: string }[]>([]);
  const refetch = useDebounced(q.refetch, 100);
  useSubscription(
    AppSessionLiveDocument,
    { s: session },
    (d) => {
      setFeed((f) => [{ cause: d.sessionChanged.cause, state: d.sessionChanged.state, at: d.sessionChanged.timestamp }, ...f].slice(0, 20));
      refetch();
    },
    { resume: (d) => d.sessionChanged.seq },
  );
  const [wg, setWg] = useState<{ text: string; qr: string; tunnel: string; allowedIps: string[] } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rating, setRating] = useState('5');
  const [ticks, setTicks] = useState<{ paid: number; error: string | null } | null>(null);
  const s = q.data?.session;
  const decimals = useDecimals(s?.currency === 'TOKEN' ? s.paymentMint : null);

  const act = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  const connect = () =>
    act('connect', async () => {
      if (!wallet || !s) return;
      // The WireGuard key is made here and never leaves the page; the node only learns its public half.
      const key = generateWgKeypair();
      const timestamp = Math.floor(Date.now() / 1000);
      const message = authMessage({ sessionPda: session, clientWgPubkey: key.publicKey, timestamp });
      const signature = await wallet.signMessage(new TextEncoder().encode(message));
      const url = daemonUrl(s.node.endpoint, s.nodePubkey, appConfig.daemonUrls);
      const answer = await daemonCall<AuthAnswer>(`${url}/session/auth`, {
        sessionPda: session,
        user: wallet.publicKey.toBase58(),
        clientWgPubkey: key.publicKey,
        signature: toB64(signature),
        timestamp,
      });
      // The server key comes from the chain, not from the daemon's (plain HTTP) answer.
      const node = await fetchNode(connection, new PublicKey(s.nodePubkey));
      if (!node) throw new Error(`node ${s.nodePubkey} is not on chain`);
      checkPeerKey(answer.wireguard?.peer?.publicKey, node.wgServerPubkey);
      const text = wgQuickConfig(answer.wireguard, key.privateKey);
      const qr = await QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 280 });
      setWg({ text, qr, tunnel: answer.tunnel, allowedIps: answer.wireguard.peer.allowedIps });
    });

  const close = () =>
    act('close', async () => {
      if (!wallet || !s || !config) return;
      await sendInstructions(connection, wallet, await closeIxs(wallet.publicKey, session, s, config));
    });

  const rate = () =>
    act('rate', async () => {
      if (!wallet || !s) return;
      await sendInstructions(connection, wallet, [
        ix.updateReputation({ user: wallet.publicKey, provider: new PublicKey(s.providerPubkey), session: new PublicKey(session), rating: Number(rating) }),
      ]);
    });

  // Usage sessions: pay one tick per interval while the page is open (the daemon says how often).
  const active = s?.state === 'ACTIVE';
  const tickTimer = useRef<ReturnType<typeof setInterval> | null>(null);
  const startTicks = useCallback(async () => {
    if (!s || s.mode !== 'USAGE' || !wg) return;
    const saved = localStorage.getItem(chainKey(session));
    if (!saved) return setTicks({ paid: 0, error: 'the hash chain of this session is not in this browser: ticks cannot be paid from here' });
    const { seed, length, paid = 0 } = JSON.parse(saved) as { seed: string; length: number; paid?: number };
    const chain = createHashChain(length, fromHex(seed));
    const url = daemonUrl(s.node.endpoint, s.nodePubkey, appConfig.daemonUrls);
    const every = tickIntervalMs(await daemonCall(`${url}/node`));
    // What this browser paid (saved after each tick) or what the node claimed on chain: never the daemon's word.
    let tick = Math.max(paid, Number(s.lastTick));
    const pay = async () => {
      try {
        tick = await payNextTick({ paid: tick, length, preimage: (n) => chain.preimage(n), post: (body) => daemonCall(`${url}/session/${session}/ticks`, body) });
        localStorage.setItem(chainKey(session), JSON.stringify({ seed, length, paid: tick }));
        setTicks({ paid: tick, error: null });
      } catch (e) {
        setTicks({ paid: tick, error: e instanceof Error ? e.message : String(e) });
      }
    };
    await pay();
    tickTimer.current = setInterval(() => void pay(), every);
  }, [s, wg, session, appConfig.daemonUrls]);
  useEffect(() => {
    if (active && wg && s?.mode === 'USAGE' && !tickTimer.current) void startTicks();
    if (!active && tickTimer.current) {
      clearInterval(tickTimer.current);
      tickTimer.current = null;
    }
  }, [active, wg, s?.mode, startTicks]);
  useEffect(() => () => {
    if (tickTimer.current) clearInterval(tickTimer.current);
  }, []);
  void gql;

  if (!s) return <section className="card"><p>{q.loading ? 'Loading the session…' : `Session ${short(session)} is not indexed yet.`}</p></section>;
  const fmt = (v: string) => (s.currency === 'SOL' ? sol(v) : `${units(v, decimals)} USDC`);
  const ended = !['ACTIVE', 'DISPUTED'].includes(s.state);
  return (
    <section aria-labelledby="session-h" className="card" data-testid="session-panel">
      <h2 id="session-h">
        Session <code title={s.pubkey}>{short(s.pubkey)}</code> on {s.node.region}
      </h2>
      <dl className="facts" aria-live="polite">
        <div><dt>State</dt><dd data-testid="session-state">{s.state}</dd></div>
        <div><dt>Mode</dt><dd>{s.mode === 'TIME' ? 'time' : 'usage'} · {s.currency === 'SOL' ? 'SOL' : 'USDC'}</dd></div>
        <div><dt>Escrow</dt><dd data-testid="session-escrow">{fmt(s.escrowAmount)}</dd></div>
        <div><dt>Claimed by the node</dt><dd data-testid="session-claimed">{fmt(s.claimedAmount)}</dd></div>
        <div><dt>Remaining</dt><dd data-testid="session-remaining">{fmt(s.remainingBalance)}</dd></div>
        <div><dt>Refunded</dt><dd data-testid="session-refund">{fmt(s.refundedAmount)}</dd></div>
        <div><dt>Claims</dt><dd data-testid="session-claims">{s.claims.totalCount}</dd></div>
        {s.mode === 'USAGE' && <div><dt>Ticks paid (this page)</dt><dd data-testid="ticks-paid">{ticks?.paid ?? '—'}</dd></div>}
        {s.mode === 'USAGE' && <div><dt>Ticks claimed</dt><dd data-testid="ticks-claimed">{s.lastTick} of {s.maxTicks}</dd></div>}
        <div><dt>Ends</dt><dd>{when(s.endTs)}</dd></div>
      </dl>
      <div className="actions">
        {s.state === 'ACTIVE' && (
          <button onClick={connect} disabled={!wallet || busy !== null}>
            {busy === 'connect' ? 'Connecting…' : wg ? 'Get a new config' : 'Connect (get WireGuard config)'}
          </button>
        )}
        {s.state === 'ACTIVE' && (
          <button className="danger" onClick={close} disabled={!wallet || busy !== null}>
            {busy === 'close' ? 'Closing…' : 'Close session'}
          </button>
        )}
        {ended && !s.rated && (
          <span className="inline">
            <label>
              Rating
              <select value={rating} onChange={(e) => setRating(e.target.value)}>
                {[5, 4, 3, 2, 1].map((r) => <option key={r} value={r}>{r}</option>)}
              </select>
            </label>
            <button onClick={rate} disabled={!wallet || busy !== null}>Rate</button>
          </span>
        )}
        {s.rated && <span className="muted">Rated. Thank you.</span>}
      </div>
      {s.state === 'CLOSING' && (
        <p role="status">
          Closed by you. The node may still claim the ticks you paid until the settle deadline; the rest of the escrow comes back to you then
          (anyone can settle it: <code>dvpn session payout</code>, or the node does).
        </p>
      )}
      {ticks?.error && <p role="alert" className="error">Tick: {ticks.error}</p>}
      {error && <p role="alert" className="error">{error}</p>}
      {wg && (
        <div className="wg" data-testid="wg-config">
          <h3>Your WireGuard config</h3>
          {wg.tunnel === 'none' && <p className="badge warn">This node runs without a tunnel (test mode): the config will not carry traffic.</p>}
          {!routesAllIpv4(wg.allowedIps) && (
            <p className="badge warn" data-testid="split-tunnel">
              This node routes only {wg.allowedIps.join(', ')} through the tunnel: the rest of your traffic goes outside the VPN.
            </p>
          )}
          <p className="muted">The private key was made in this page and is not stored anywhere else. Import the file in WireGuard (wg-quick or the desktop app), or scan the code with the mobile app.</p>
          <div className="wg-row">
            <pre aria-label="WireGuard config" tabIndex={0}>{wg.text}</pre>
            <img src={wg.qr} alt="QR code of the WireGuard config, for the WireGuard mobile app" width={280} height={280} />
          </div>
          <button onClick={() => download(`dvpn-${s.pubkey.slice(0, 8)}.conf`, wg.text)}>Download dvpn-{s.pubkey.slice(0, 8)}.conf</button>
        </div>
      )}
      {feed.length > 0 && (
        <>
          <h3>Live</h3>
          <ol className="feed" aria-live="polite" data-testid="session-feed">
            {feed.map((f, i) => (
              <li key={i}>
                <span className="muted">{when(f.at)}</span> {f.cause} → {f.state}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** close_session with the settlement accounts; token sessions also create missing token accounts first. */
async function closeIxs(user: PublicKey, session: string, s: SessionRow, config: ProgramConfig): Promise<TransactionInstruction[]> {
  const providerAuthority = new PublicKey(s.provider.authority);
  const treasury = new PublicKey(config.treasury);
  const base = {
    user,
    provider: new PublicKey(s.providerPubkey),
    node: new PublicKey(s.nodePubkey),
    session: new PublicKey(session),
    providerAuthority,
    treasury,
  };
  if (s.currency === 'SOL') return [ix.closeSession(base)];
  const mint = new PublicKey(s.paymentMint);
  const spl = splSettleAccounts({ session: base.session, mint, user, providerAuthority, treasury });
  return [
    createAssociatedTokenAccountIdempotentInstruction(user, spl.providerToken, providerAuthority, mint),
    createAssociatedTokenAccountIdempotentInstruction(user, spl.treasuryToken, treasury, mint),
    ix.closeSession({ ...base, spl }),
  ];
}

function useDecimals(mint: string | null): number {
  const { connection } = useEnv();
  const [d, setD] = useState(6);
  useEffect(() => {
    if (!mint) return;
    connection.getTokenSupply(new PublicKey(mint)).then((r) => setD(r.value.decimals), () => undefined);
  }, [mint, connection]);
  return d;
}

export const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
function toB64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
