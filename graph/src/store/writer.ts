// Storage step: the single writer. One dedicated Postgres connection holds the
// advisory lock (only one indexer writes; the lock goes away with the
// connection when the process dies) and applies batches of decoded
// transactions, each batch in one database transaction with the checkpoint.
import pg from 'pg';
import type { Logger } from 'pino';
import type { BusMessage } from '../bus.js';
import type { DecodedTransaction } from '../ingest/decode.js';
import { eventDataToJson, eventSubjects } from '../ingest/decode.js';
import { reduce, referencedAccounts, type NewEvent, type State } from '../ingest/processor.js';
import type { ConfigRow, DisputeRow, NodeRow, ProviderRow, SessionRow } from './rows.js';
import {
  CLAIMS,
  CONFIG,
  DISPUTES,
  EVENTS,
  NODES,
  PROVIDERS,
  RATINGS,
  SESSIONS,
  STAKE_CHANGES,
  buildInsert,
  insertIgnore,
  loadAll,
  loadLatest,
  loadRows,
  quoteJson,
  upsertRows,
} from './tables.js';

export interface Checkpoint {
  slot: bigint;
  signature: string;
  headSlot: bigint;
  headSignature: string;
  eventsApplied: bigint;
  transactionsApplied: bigint;
  reconciledSlot: bigint | null;
}

export interface ApplyResult {
  /** Events stored for the first time (the others were already there). */
  newEvents: number;
  /** Transactions with at least one new event. */
  newTransactions: number;
  messages: BusMessage[];
  /** Accounts to reconcile from chain (late or orphan events). */
  reconcile: Set<string>;
}

export interface Watermark {
  signature: string;
  slot: bigint;
}

/** Two int4 keys of pg_advisory_lock: 'dvpn' and a hash of the stream id. */
export function lockKeys(streamId: string): [number, number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    h ^= streamId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return [0x6476706e | 0, h | 0];
}

export class Writer {
  private client: pg.Client | null = null;
  private locked = false;

  constructor(
    private readonly databaseUrl: string,
    /** Checkpoint id and advisory lock scope (the program id). */
    readonly streamId: string,
    private readonly logger: Logger,
    /**
     * Wait for the WAL flush at each commit (default false: synchronous_commit
     * off). Data and checkpoint commit together, so a Postgres crash can only
     * lose the newest batches as a whole; the indexer then re-reads them from
     * the chain. Turn it on when nothing but this database holds the history.
     */
    private readonly synchronousCommit = false,
  ) {}

  get connected(): boolean {
    return this.client !== null;
  }

  get hasLock(): boolean {
    return this.locked;
  }

  async connect(onError: (err: Error) => void): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      keepAlive: true,
      application_name: `dvpn-indexer:${this.streamId.slice(0, 8)}`,
      options: this.synchronousCommit ? undefined : '-c synchronous_commit=off',
      // A batch's statements go out together (apply() queues them): Postgres
      // runs them back to back while the JS builds the next one.
      pipeline: true,
    });
    client.on('error', (err) => onError(err));
    await client.connect();
    this.client = client;
  }

  private get db(): pg.Client {
    if (!this.client) throw new Error('writer is not connected');
    return this.client;
  }

  /** Waits until this connection holds the advisory lock (polling, so stop() can interrupt). */
  async acquireLock(opts: { pollMs: number; signal: AbortSignal; onWaiting?: () => void }): Promise<boolean> {
    const [k1, k2] = lockKeys(this.streamId);
    let announced = false;
    while (!opts.signal.aborted) {
      const res = await this.db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [k1, k2]);
      if (res.rows[0].ok) {
        this.locked = true;
        return true;
      }
      if (!announced) {
        announced = true;
        opts.onWaiting?.();
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.pollMs);
        opts.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
    }
    return false;
  }

  async readCheckpoint(): Promise<Checkpoint | null> {
    const res = await this.db.query(
      `SELECT slot::text, signature, head_slot::text, head_signature, events_applied::text, transactions_applied::text,
              reconciled_slot::text
         FROM checkpoints WHERE id = $1`,
      [this.streamId],
    );
    const r = res.rows[0];
    if (!r) return null;
    return {
      slot: BigInt(r.slot),
      signature: r.signature,
      headSlot: BigInt(r.head_slot),
      headSignature: r.head_signature,
      eventsApplied: BigInt(r.events_applied),
      transactionsApplied: BigInt(r.transactions_applied),
      reconciledSlot: r.reconciled_slot === null ? null : BigInt(r.reconciled_slot),
    };
  }

  /** Signatures (of `sigs`) that already have events stored. */
  async knownSignatures(sigs: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < sigs.length; i += 5000) {
      const res = await this.db.query<{ signature: string }>(
        'SELECT DISTINCT signature FROM events WHERE signature = ANY($1::text[])',
        [sigs.slice(i, i + 5000)],
      );
      for (const r of res.rows) known.add(r.signature);
    }
    return known;
  }

  /**
   * Applies decoded transactions (chain order, oldest first) in ONE database
   * transaction: events (deduplicated by signature + ix_index + event_index),
   * the state they change, ledger rows and the checkpoint. When `watermark` is
   * given, every program transaction up to it is now applied (backfill).
   */
  async apply(txs: readonly DecodedTransaction[], watermark?: Watermark): Promise<ApplyResult> {
    const db = this.db;
    const rows: Record<string, unknown>[] = [];
    const decoded: Omit<NewEvent, 'id'>[] = [];
    for (const tx of txs) {
      for (const e of tx.events) {
        const subjects = eventSubjects(e.event);
        const data = e.event.data as Record<string, unknown>;
        rows.push({
          signature: tx.signature,
          slot: BigInt(tx.slot),
          ixIndex: e.ixIndex,
          eventIndex: e.eventIndex,
          name: e.event.name,
          data: eventDataToJson(data),
          ...subjects,
          timestamp: data.timestamp as bigint,
        });
        decoded.push({ signature: tx.signature, slot: BigInt(tx.slot), ixIndex: e.ixIndex, eventIndex: e.eventIndex, event: e.event });
      }
    }
    let head: Watermark | null = null;
    for (const tx of txs) if (!head || BigInt(tx.slot) >= head.slot) head = { signature: tx.signature, slot: BigInt(tx.slot) };

    // Statements are queued on the connection without waiting for each one
    // (pg runs them in order): building the next statement's parameters in JS
    // overlaps Postgres executing the previous one. Every promise gets a
    // handler at once, and all are awaited before COMMIT, so a failure still
    // rolls the whole batch back.
    const inFlight: Promise<unknown>[] = [];
    const fire = <T>(p: Promise<T>): Promise<T> => {
      p.catch(() => undefined);
      inFlight.push(p);
      return p;
    };
    fire(db.query('BEGIN'));
    try {
      let fresh: NewEvent[] = [];
      if (rows.length > 0) {
        const res = await fire(
          db.query<{ id: string; signature: string; ix_index: number; event_index: number }>(
            buildInsert(EVENTS, rows, 'nothing', 'id::text, signature, ix_index, event_index'),
          ),
        );
        const ids = new Map<string, bigint>();
        for (const r of res.rows) ids.set(`${r.signature}\0${r.ix_index}\0${r.event_index}`, BigInt(r.id));
        fresh = decoded
          .map((d) => ({ ...d, id: ids.get(`${d.signature}\0${d.ixIndex}\0${d.eventIndex}`) ?? -1n }))
          .filter((d) => d.id >= 0n);
      }

      let result: ApplyResult = { newEvents: 0, newTransactions: 0, messages: [], reconcile: new Set() };
      if (fresh.length > 0) {
        const state = await this.loadState(fresh);
        const fx = reduce(state, fresh);
        // Reserve the batch's change seqs first: the row statements below run while the JS builds them.
        const seqs = fx.messages.length > 0 ? fire(this.reserveSeqs(fx.messages.length)) : null;
        const pick = <T>(map: Map<string, T>, keys: Set<string>) => [...keys].map((k) => map.get(k)!).filter(Boolean);
        fire(upsertRows(db, CONFIG, pick(state.config, fx.dirty.config)));
        fire(upsertRows(db, PROVIDERS, pick(state.providers, fx.dirty.providers)));
        fire(upsertRows(db, NODES, pick(state.nodes, fx.dirty.nodes)));
        fire(upsertRows(db, SESSIONS, [...fx.replaced.sessions, ...pick(state.sessions, fx.dirty.sessions)]));
        fire(upsertRows(db, DISPUTES, [...fx.replaced.disputes, ...pick(state.disputes, fx.dirty.disputes)]));
        fire(insertIgnore(db, CLAIMS, fx.claims));
        fire(insertIgnore(db, STAKE_CHANGES, fx.stakeChanges));
        fire(insertIgnore(db, RATINGS, fx.ratings));
        if (fx.reputation.size > 0) {
          fire(
            db.query(
              `UPDATE nodes SET provider_reputation = v.score
                 FROM unnest($1::text[], $2::int4[]) AS v(provider, score)
                WHERE nodes.provider = v.provider AND nodes.provider_reputation <> v.score`,
              [[...fx.reputation.keys()], [...fx.reputation.values()]],
            ),
          );
        }
        if (seqs) fire(this.insertChanges(fx.messages, await seqs));
        result = {
          newEvents: fresh.length,
          newTransactions: new Set(fresh.map((f) => f.signature)).size,
          messages: fx.messages,
          reconcile: fx.reconcile,
        };
      }

      fire(this.writeCheckpoint(head, watermark ?? null, result.newEvents, result.newTransactions));
      await Promise.all(inFlight);
      await db.query('COMMIT');
      return result;
    } catch (err) {
      await Promise.allSettled(inFlight);
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Numbers the batch's changes (gap-free, in commit order: only the lock
   * holder writes, one transaction at a time) and stores them in the change
   * log, in the same transaction as the rows they describe. Sets `seq` on each
   * payload, so what is published after commit carries its position.
   */
  async logChanges(messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.insertChanges(messages, await this.reserveSeqs(messages.length));
  }

  /** Moves the change counter on by `n`; returns the first of the n seqs reserved. */
  private async reserveSeqs(n: number): Promise<number> {
    const res = await this.db.query<{ change_seq: string }>(
      `INSERT INTO checkpoints AS c (id, slot, signature, head_slot, head_signature, change_seq)
       VALUES ($1, 0, '', 0, '', $2)
       ON CONFLICT (id) DO UPDATE SET change_seq = c.change_seq + EXCLUDED.change_seq
       RETURNING change_seq::text`,
      [this.streamId, n],
    );
    return Number(res.rows[0].change_seq) - n + 1;
  }

  /**
   * Stores the messages as seqs first, first + 1, ... (setting each payload's
   * seq), the seqs from the row order. Topics, payloads and event ids travel
   * as three arrays (no JSON document of objects around the payloads to parse
   * and take apart). An `event` message is stored by reference to its events
   * row (written in the same transaction): the feed rebuilds its payload from
   * there, so the log does not hold a second copy of every event.
   */
  private async insertChanges(messages: BusMessage[], first: number): Promise<void> {
    let topics = '{';
    let payloads = '{';
    let events = '{';
    messages.forEach((m, i) => {
      m.payload.seq = first + i;
      const sep = i === 0 ? '' : ',';
      topics += sep + m.topic;
      if (m.topic === 'event') {
        payloads += `${sep}NULL`;
        events += sep + BigInt(m.payload.id).toString();
      } else {
        payloads += sep + quoteJson(JSON.stringify(m.payload));
        events += `${sep}NULL`;
      }
    });
    await this.db.query(
      `INSERT INTO changes (seq, topic, payload, event_id)
       SELECT $4::int8 + x.n - 1, x.t, x.p, x.e FROM unnest($1::text[], $2::json[], $3::int8[]) WITH ORDINALITY AS x(t, p, e, n)`,
      [`${topics}}`, `${payloads}}`, `${events}}`, first],
    );
  }

  /** Deletes change-log rows older than `hours` (the subscription resume window). */
  async pruneChanges(hours: number): Promise<number> {
    const res = await this.db.query("DELETE FROM changes WHERE created_at < now() - make_interval(secs => $1::float8 * 3600)", [hours]);
    return res.rowCount ?? 0;
  }

  /** Moves the watermark alone (a backfill window whose transactions were all applied already). */
  async advanceWatermark(watermark: Watermark): Promise<void> {
    await this.writeCheckpoint(null, watermark, 0, 0);
  }

  private async writeCheckpoint(head: Watermark | null, watermark: Watermark | null, events: number, txs: number): Promise<void> {
    if (!head && !watermark) return;
    const h = head ?? watermark!;
    const w = watermark ?? { signature: '', slot: -1n };
    await this.db.query(
      `INSERT INTO checkpoints AS c (id, slot, signature, head_slot, head_signature, events_applied, transactions_applied, updated_at)
       VALUES ($1, GREATEST($2::int8, 0), $3, $4, $5, $6, $7, now())
       ON CONFLICT (id) DO UPDATE SET
         slot = CASE WHEN $2::int8 >= c.slot THEN $2::int8 ELSE c.slot END,
         signature = CASE WHEN $2::int8 >= c.slot AND $3 <> '' THEN $3 ELSE c.signature END,
         head_slot = GREATEST(c.head_slot, EXCLUDED.head_slot),
         head_signature = CASE WHEN EXCLUDED.head_slot >= c.head_slot THEN EXCLUDED.head_signature ELSE c.head_signature END,
         events_applied = c.events_applied + EXCLUDED.events_applied,
         transactions_applied = c.transactions_applied + EXCLUDED.transactions_applied,
         updated_at = now()`,
      [this.streamId, w.slot.toString(), w.signature, h.slot.toString(), h.signature, events, txs],
    );
  }

  private async loadState(events: readonly NewEvent[]): Promise<State> {
    const refs = referencedAccounts(events);
    const db = this.db;
    // One connection: the queries run one after the other anyway.
    const config = refs.config ? await loadAll<ConfigRow>(db, CONFIG) : [];
    const providers = await loadRows<ProviderRow>(db, PROVIDERS, [...refs.providers]);
    const nodes = await loadRows<NodeRow>(db, NODES, [...refs.nodes]);
    // The current opening of each session address (see SessionOpened in ingest/handlers/sessions.ts).
    const sessions = await loadLatest<SessionRow>(db, SESSIONS, [...refs.sessions], 'generation');
    const generationOf = new Map(sessions.map((r) => [r.pubkey, r.generation]));
    const disputes = events.some((e) => e.event.name === 'DisputeRaised' || e.event.name === 'DisputeResolved')
      ? (await loadRows<DisputeRow>(db, DISPUTES, [...refs.sessions])).filter((r) => r.sessionGeneration === (generationOf.get(r.session) ?? 0))
      : [];
    return {
      config: new Map(config.map((r) => [r.pubkey, r])),
      providers: new Map(providers.map((r) => [r.pubkey, r])),
      nodes: new Map(nodes.map((r) => [r.pubkey, r])),
      sessions: new Map(sessions.map((r) => [r.pubkey, r])),
      disputes: new Map(disputes.map((r) => [r.session, r])),
    };
  }

  /** Runs fn inside a transaction on the writer connection (reconciliation). */
  async transaction<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
    const db = this.db;
    await db.query('BEGIN');
    try {
      const out = await fn(db);
      await db.query('COMMIT');
      return out;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Graceful: releases the lock and closes the connection. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.locked = false;
    if (!client) return;
    await client.end().catch(() => undefined);
  }

  /** Abrupt: drops the socket without a goodbye (tests of a dying indexer). */
  destroy(): void {
    const client = this.client as (pg.Client & { connection?: { stream?: { destroy(): void } } }) | null;
    this.client = null;
    this.locked = false;
    client?.connection?.stream?.destroy();
  }
}
