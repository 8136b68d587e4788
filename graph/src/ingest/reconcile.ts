// Reconciliation: accounts are the truth for current state. A snapshot of the
// program's accounts (getProgramAccounts, or getMultipleAccounts for a few) at
// slot S is decoded with the SDK and compared with the rows; every difference
// is repaired, logged and recorded in the `repairs` table.
//
// The caller applies everything up to S first (a backfill after the snapshot).
// Rows touched by any event at slot S or later are left alone: the snapshot
// may predate transactions of its own slot, and additive counters (total
// sessions, uptime, earnings) change without moving a row's last_slot, so the
// events table (not last_slot alone) says which rows moved. A repair thus only
// ever replaces state no event has changed since the snapshot: it never rolls
// a row back, and a quiescent row ends exactly equal to its account.
import { decodeAccount } from '@dvpn/sdk';
import type pg from 'pg';
import type { Logger } from 'pino';
import {
  COMPARED,
  configRowFromAccount,
  diffRows,
  isoFromSeconds,
  nodeRowFromAccount,
  providerRowFromAccount,
  sessionRowFromAccount,
  type ConfigRow,
  type Difference,
  type NodeRow,
  type ProviderRow,
  type SessionRow,
} from '../store/rows.js';
import { CONFIG, NODES, PROVIDERS, SESSIONS, loadAll, loadLatest, loadRows, upsertRows } from '../store/tables.js';
import type { ProgramAccount, Rpc } from './rpc.js';
import type { BusMessage, SessionStateName } from '../bus.js';
import { nodeCapacityChange, sessionChange } from './changes.js';

export interface Snapshot {
  slot: bigint;
  /** Decoded accounts by address (Config, Provider, Node, Session). */
  accounts: Map<string, { name: string; account: Record<string, unknown> }>;
  /** Addresses asked for that do not exist (targeted snapshots only). */
  missing: Set<string>;
  /** True for a getProgramAccounts snapshot (every account of the program). */
  complete: boolean;
}

export interface RepairRecord extends Difference {
  account: string;
  kind: 'config' | 'provider' | 'node' | 'session';
}

export function snapshotFrom(
  slot: number,
  accounts: { pubkey: string; data: string | null }[],
  complete: boolean,
): Snapshot {
  const map = new Map<string, { name: string; account: Record<string, unknown> }>();
  const missing = new Set<string>();
  for (const a of accounts) {
    if (a.data === null) {
      missing.add(a.pubkey);
      continue;
    }
    try {
      const decoded = decodeAccount(Buffer.from(a.data, 'base64'));
      // Stake vaults and users' session counters (UserState) are not stored.
      if (decoded.name === 'StakeVault' || decoded.name === 'UserState') continue;
      map.set(a.pubkey, decoded as { name: string; account: Record<string, unknown> });
    } catch {
      // not a dvpn account layout (or closed): nothing to compare
    }
  }
  return { slot: BigInt(slot), accounts: map, missing, complete };
}

export function snapshotFromProgramAccounts(slot: number, list: ProgramAccount[]): Snapshot {
  return snapshotFrom(slot, list.map((a) => ({ pubkey: a.pubkey, data: a.account.data[0] })), true);
}

/**
 * Compares the snapshot with the tables and repairs them, in one database
 * transaction on the writer connection. Returns what was repaired.
 */
export async function repairFromSnapshot(
  db: pg.ClientBase,
  snap: Snapshot,
  logger: Logger,
  /** Receives the repaired sessions' and nodes' changes, to publish like any other change. */
  onChanges?: (messages: BusMessage[]) => void,
): Promise<RepairRecord[]> {
  const S = snap.slot;
  const repairs: RepairRecord[] = [];
  const keysOf = (name: string) => [...snap.accounts].filter(([, v]) => v.name === name).map(([k]) => k);

  // Rows to compare: all of them for a complete snapshot, else those asked for.
  const asked = [...snap.accounts.keys(), ...snap.missing];
  const providers = snap.complete ? await loadAll<ProviderRow>(db, PROVIDERS) : await loadRows<ProviderRow>(db, PROVIDERS, asked);
  const nodes = snap.complete ? await loadAll<NodeRow>(db, NODES) : await loadRows<NodeRow>(db, NODES, asked);
  // The current opening of each address (older openings' accounts are gone).
  const sessions = latestOpenings(
    snap.complete
      ? await loadAll<SessionRow>(
          db,
          SESSIONS,
          `"state" <> 'SETTLED' AND NOT EXISTS (SELECT 1 FROM "sessions" n WHERE n."pubkey" = "sessions"."pubkey" AND n."generation" > "sessions"."generation")`,
        )
      : await loadRows<SessionRow>(db, SESSIONS, asked),
  );
  const configs = await loadAll<ConfigRow>(db, CONFIG);

  const provByKey = new Map(providers.map((r) => [r.pubkey, r]));
  const nodeByKey = new Map(nodes.map((r) => [r.pubkey, r]));
  const sessByKey = new Map(sessions.map((r) => [r.pubkey, r]));
  const confByKey = new Map(configs.map((r) => [r.pubkey, r]));

  const fixedProviders: ProviderRow[] = [];
  const fixedNodes: NodeRow[] = [];
  const fixedSessions: SessionRow[] = [];
  const fixedConfig: ConfigRow[] = [];
  const record = (kind: RepairRecord['kind'], account: string, diffs: Difference[]) => {
    for (const d of diffs) repairs.push({ kind, account, ...d });
  };
  // Accounts an event at or after S touched (the config: any ConfigUpdated).
  const touched = new Set<string>();
  const moved = await db.query<{ session: string | null; node: string | null; provider: string | null; name: string }>(
    'SELECT DISTINCT session, node, provider, name FROM events WHERE slot >= $1',
    [S.toString()],
  );
  let configTouched = false;
  for (const r of moved.rows) {
    if (r.session) touched.add(r.session);
    if (r.node) touched.add(r.node);
    if (r.provider) touched.add(r.provider);
    if (r.name === 'ConfigUpdated') configTouched = true;
  }
  const keep = (row: { lastSlot: bigint; pubkey?: string }) =>
    row.lastSlot < S && !(row.pubkey !== undefined && touched.has(row.pubkey));

  for (const key of keysOf('Config')) {
    const truth = configRowFromAccount(key, snap.accounts.get(key)!.account, S);
    const row = confByKey.get(key);
    if (!row) {
      record('config', key, [{ field: '*', before: null, after: 'created from account' }]);
      fixedConfig.push(truth);
    } else if (keep(row) && !configTouched) {
      const diffs = diffRows(row, truth, COMPARED.config);
      if (diffs.length) {
        record('config', key, diffs);
        fixedConfig.push({ ...row, ...pick(truth, COMPARED.config), lastSlot: S });
      }
    }
  }

  for (const key of keysOf('Provider')) {
    const truth = providerRowFromAccount(key, snap.accounts.get(key)!.account, S);
    const row = provByKey.get(key);
    if (!row) {
      record('provider', key, [{ field: '*', before: null, after: 'created from account' }]);
      fixedProviders.push(truth);
      provByKey.set(key, truth);
    } else if (keep(row)) {
      const diffs = diffRows(row, truth, COMPARED.provider);
      if (diffs.length) {
        record('provider', key, diffs);
        const fixed = { ...row, ...pick(truth, COMPARED.provider), lastSlot: S };
        fixedProviders.push(fixed);
        provByKey.set(key, fixed);
      }
    }
  }

  for (const key of keysOf('Node')) {
    const acc = snap.accounts.get(key)!.account;
    const rep = provByKey.get(String((acc.provider as { toBase58(): string }).toBase58()))?.reputationScore ?? 1000;
    const truth = nodeRowFromAccount(key, acc, S, rep);
    const row = nodeByKey.get(key);
    if (!row) {
      record('node', key, [{ field: '*', before: null, after: 'created from account' }]);
      fixedNodes.push(truth);
    } else if (keep(row)) {
      const diffs = diffRows(row, truth, COMPARED.node);
      if (diffs.length) {
        record('node', key, diffs);
        fixedNodes.push({ ...row, ...pick(truth, COMPARED.node), lastSlot: S });
      }
    }
  }

  const seenSessions = new Set<string>();
  // Highest generation stored per address, for openings the tables do not have yet.
  const sessionKeys = keysOf('Session');
  const maxGeneration = new Map<string, number>();
  if (sessionKeys.length > 0) {
    const res = await db.query<{ pubkey: string; generation: number }>(
      'SELECT pubkey, max(generation) AS generation FROM sessions WHERE pubkey = ANY($1::text[]) GROUP BY pubkey',
      [sessionKeys],
    );
    for (const r of res.rows) maxGeneration.set(r.pubkey, Number(r.generation));
  }
  // Addresses with an account whose current opening was not loaded (a settled
  // row: wrongly settled, or the address opened again): load it.
  const unloaded = sessionKeys.filter((k) => !sessByKey.has(k));
  for (const r of await loadLatest<SessionRow>(db, SESSIONS, unloaded, 'generation')) sessByKey.set(r.pubkey, r);
  for (const key of sessionKeys) {
    seenSessions.add(key);
    const row = sessByKey.get(key);
    const truth = sessionRowFromAccount(key, snap.accounts.get(key)!.account, S, row ? row.generation : 0);
    const stored = maxGeneration.get(key);
    if (!row || truth.startTs !== row.startTs) {
      // Not in the tables, or the address was opened again: a new opening.
      if (row && !keep(row)) continue;
      const generation = stored === undefined ? 0 : stored + 1;
      record('session', key, [{ field: '*', before: null, after: generation === 0 ? 'created from account' : `created from account (generation ${generation})` }]);
      fixedSessions.push({ ...truth, generation });
      if (row && row.state !== 'SETTLED') {
        record('session', key, [{ field: 'state', before: row.state, after: 'SETTLED' }]);
        fixedSessions.push({ ...row, state: 'SETTLED', remainingBalance: 0n, capacityReleased: true, lastSlot: S });
      }
      continue;
    } else if (keep(row)) {
      const diffs = diffRows(row, truth, COMPARED.session);
      if (diffs.length) {
        record('session', key, diffs);
        fixedSessions.push({ ...row, ...pick(truth, COMPARED.session), lastSlot: S });
      }
    }
  }
  // A session row whose account is gone was settled (claim_payout closes it).
  for (const row of sessions) {
    const gone = snap.complete ? !seenSessions.has(row.pubkey) : snap.missing.has(row.pubkey);
    if (gone && row.state !== 'SETTLED' && keep(row)) {
      record('session', row.pubkey, [{ field: 'state', before: row.state, after: 'SETTLED' }]);
      fixedSessions.push({ ...row, state: 'SETTLED', remainingBalance: 0n, capacityReleased: true, lastSlot: S });
    }
  }

  if (repairs.length === 0) return repairs;
  if (onChanges) {
    const before = new Map(sessions.map((r) => [`${r.pubkey}\0${r.generation}`, r.state]));
    for (const r of sessByKey.values()) before.set(`${r.pubkey}\0${r.generation}`, r.state);
    onChanges([
      ...fixedSessions.map((row) => repairedSession(row, before.get(`${row.pubkey}\0${row.generation}`) ?? null, S)),
      ...fixedNodes.map((row) => repairedNode(row, S)),
    ]);
  }
  await upsertRows(db, CONFIG, fixedConfig);
  await upsertRows(db, PROVIDERS, fixedProviders);
  await upsertRows(db, NODES, fixedNodes);
  await upsertRows(db, SESSIONS, fixedSessions);
  if (fixedProviders.length > 0) {
    await db.query(
      `UPDATE nodes SET provider_reputation = p.reputation_score
         FROM providers p WHERE nodes.provider = p.pubkey AND p.pubkey = ANY($1::text[])
          AND nodes.provider_reputation <> p.reputation_score`,
      [fixedProviders.map((p) => p.pubkey)],
    );
  }
  await db.query(
    `INSERT INTO repairs (account, kind, field, before, after, slot)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[])`,
    [
      repairs.map((r) => r.account),
      repairs.map((r) => r.kind),
      repairs.map((r) => r.field),
      repairs.map((r) => r.before),
      repairs.map((r) => r.after),
      repairs.map(() => S.toString()),
    ],
  );
  for (const r of repairs) logger.warn({ account: r.account, kind: r.kind, field: r.field, before: r.before, after: r.after, slot: Number(S) }, 'reconciliation repaired a difference');
  return repairs;
}

const reconciled = (row: { updatedAt: bigint }, slot: bigint) => ({
  cause: 'Reconciled' as const,
  signature: '',
  slot: Number(slot),
  timestamp: isoFromSeconds(row.updatedAt),
});

function repairedSession(s: SessionRow, previousState: SessionStateName | null, slot: bigint): BusMessage {
  return { topic: 'session', payload: sessionChange(reconciled(s, slot), s, previousState) };
}

function repairedNode(n: NodeRow, slot: bigint): BusMessage {
  return { topic: 'nodeCapacity', payload: nodeCapacityChange(reconciled(n, slot), n) };
}

/** The highest generation of each address among `rows`. */
function latestOpenings(rows: SessionRow[]): SessionRow[] {
  const latest = new Map<string, SessionRow>();
  for (const r of rows) {
    const cur = latest.get(r.pubkey);
    if (!cur || r.generation > cur.generation) latest.set(r.pubkey, r);
  }
  return [...latest.values()];
}

/** Differences only (no writes): what the tables say versus the accounts. For tests and diagnostics. */
export async function compareWithSnapshot(db: pg.ClientBase, snap: Snapshot): Promise<RepairRecord[]> {
  await db.query('BEGIN');
  try {
    const silent = { warn: () => undefined } as unknown as Logger;
    return await repairFromSnapshot(db, snap, silent);
  } finally {
    await db.query('ROLLBACK');
  }
}

function pick<T extends object>(row: T, fields: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = (row as Record<string, unknown>)[f];
  return out as Partial<T>;
}

/**
 * A snapshot of every program account (keys null: getProgramAccounts) or of
 * the given addresses (getMultipleAccounts; absent or foreign ones count as missing).
 */
export async function fetchSnapshot(rpc: Rpc, programId: string, keys: readonly string[] | null): Promise<Snapshot> {
  if (keys === null) {
    const { slot, accounts } = await rpc.getProgramAccounts(programId);
    return snapshotFromProgramAccounts(slot, accounts);
  }
  const out: { pubkey: string; data: string | null }[] = [];
  let slot = 0;
  for (let i = 0; i < keys.length; i += 100) {
    const chunk = keys.slice(i, i + 100);
    const res = await rpc.getMultipleAccounts([...chunk]);
    slot = Math.max(slot, res.slot);
    res.accounts.forEach((a, j) => {
      out.push({ pubkey: chunk[j], data: a && a.owner === programId ? a.data[0] : null });
    });
  }
  return snapshotFrom(slot, out, false);
}
