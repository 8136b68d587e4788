// The change feed of one API process: every committed change, exactly once, in
// commit order, whatever the bus did.
//
// The indexer numbers each change it commits (`seq`, gap-free, stored in the
// `changes` table in the same transaction) and publishes it after commit,
// best effort. Here, per process:
// - bus messages are delivered in seq order: a duplicate (seq already
//   delivered) is dropped; one that arrives ahead of a missing seq waits while
//   the missing ones are read from the change log;
// - the change log is polled (`pollMs`, one indexed range query that returns
//   nothing when all is delivered), so a change whose message never came (bus
//   down, publish dropped, indexer killed between commit and publish) is
//   delivered within a poll interval, in its place;
// - `stream(topic, filter, { after })` replays a subscriber's missed changes
//   from the change log, then continues live with no gap and no duplicate; when
//   it cannot (cursor older than the log, subscriber too slow, database
//   unreachable during the replay) it yields one `GapSignal` and ends, so the
//   client resumes from its last seq or refetches.
//
// It is a Bus (subscribe/iterate/publish pass through), so the API's resolvers
// take it where they took the bus.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Dispatcher, TOPIC_KEYS, type Bus, type BusMessage, type Topic, type TopicFilter, type TopicMap } from './bus.js';

export interface LoggedChange {
  seq: number;
  topic: Topic;
  payload: Record<string, unknown>;
}

/** Read access to the change log (the `changes` table). */
export interface ChangeStore {
  /** Changes with seq > after (and <= upto when given), oldest first, at most `limit`; optionally one topic and payload keys. */
  read(
    after: number,
    opts: { upto?: number; limit: number; topic?: Topic; filter?: Record<string, string> },
  ): Promise<LoggedChange[]>;
  /** Smallest seq still in the log (null when empty). */
  oldest(): Promise<number | null>;
  /** Newest seq in the log (0 when empty). */
  head(): Promise<number>;
}

/**
 * The payload of an `event` change, rebuilt from its events row: the indexer
 * logs event changes by reference (changes.event_id) instead of a copy of the
 * event (see Writer.insertChanges). The timestamp is set in JS, the way the
 * indexer formats it (Date#toISOString), from epoch milliseconds. Payloads are
 * json (stored as written), so is this.
 */
const EVENT_PAYLOAD = `json_build_object('seq', c.seq, 'id', e.id::text, 'name', e.name, 'signature', e.signature, 'slot', e.slot,
  'ixIndex', e.ix_index, 'eventIndex', e.event_index, 'session', e.session, 'node', e.node, 'provider', e.provider,
  'user', e."user", 'data', e.data)`;

/** What a filter is matched against: the payload, or for an event its filter keys (TOPIC_KEYS.event: no need to parse its data). */
const FILTER_SUBJECT = `CASE WHEN c.event_id IS NULL THEN c.payload::jsonb
  ELSE jsonb_build_object('name', e.name, 'session', e.session, 'node', e.node, 'provider', e.provider, 'user', e."user") END`;

/** The change log through any `query(text, values)` client (pg Pool/Client, or Prisma's $queryRawUnsafe). */
export function sqlChangeStore(query: (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>): ChangeStore {
  return {
    async read(after, opts) {
      const where = ['c.seq > $1'];
      const values: unknown[] = [after];
      if (opts.upto !== undefined) {
        values.push(opts.upto);
        where.push(`c.seq <= $${values.length}`);
      }
      if (opts.topic) {
        values.push(opts.topic);
        where.push(`c.topic = $${values.length}`);
      }
      if (opts.filter && Object.keys(opts.filter).length > 0) {
        values.push(JSON.stringify(opts.filter));
        where.push(`${FILTER_SUBJECT} @> $${values.length}::jsonb`);
      }
      values.push(opts.limit);
      const rows = await query(
        `SELECT c.seq::text AS seq_text, c.topic, coalesce(c.payload, ${EVENT_PAYLOAD}) AS payload,
                (extract(epoch FROM e.timestamp) * 1000)::int8::text AS event_ms
           FROM changes c LEFT JOIN events e ON e.id = c.event_id
          WHERE ${where.join(' AND ')} ORDER BY c.seq LIMIT $${values.length}`,
        values,
      );
      return rows.map((r) => {
        // pg parses json; a client that hands json back as text gets it parsed here.
        const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>;
        if (r.event_ms != null) payload.timestamp = new Date(Number(r.event_ms)).toISOString();
        return { seq: Number(r.seq_text), topic: r.topic as Topic, payload };
      });
    },
    async oldest() {
      const rows = await query('SELECT min(seq)::text AS seq FROM changes', []);
      return rows[0]?.seq == null ? null : Number(rows[0].seq);
    },
    async head() {
      const rows = await query('SELECT coalesce(max(seq), 0)::text AS seq FROM changes', []);
      return Number(rows[0]?.seq ?? 0);
    },
  };
}

export type GapCode = 'CURSOR_EXPIRED' | 'CURSOR_AHEAD' | 'SUBSCRIBER_TOO_SLOW' | 'REPLAY_FAILED' | 'FEED_CLOSED';

/** Yielded once, last, when a stream cannot continue without a gap. */
export interface GapSignal {
  gap: {
    code: GapCode;
    message: string;
    /** Seq of the last change this stream delivered (resume after it), null when none. */
    lastSeq: number | null;
  };
}

export function isGap(v: unknown): v is GapSignal {
  return typeof v === 'object' && v !== null && 'gap' in v && typeof (v as GapSignal).gap === 'object';
}

export type FeedItem<T extends Topic> = TopicMap[T] | GapSignal;

export interface StreamOptions {
  /** Replay changes with seq > after from the change log first. */
  after?: number;
  signal?: AbortSignal;
  /** Changes buffered for a slow consumer before the stream ends with SUBSCRIBER_TOO_SLOW (default 10,000). */
  maxBuffer?: number;
}

export interface ChangeFeedOptions {
  /** Change-log poll (catches changes whose bus message never came); default 1000 ms. */
  pollMs?: number;
  /** Rows per change-log read (default 500). */
  pageSize?: number;
  /**
   * Seqs one replay statement covers at most (default 10,000): a replay whose
   * filter matches little reads the log in seq windows, so no statement scans
   * the whole log (or runs into the statement timeout) and each holds a pooled
   * connection only briefly.
   */
  replayWindow?: number;
  logger?: Logger;
}

export interface ChangeFeedStats {
  /** Highest seq delivered in this process (null before the first read). */
  lastSeq: number | null;
  /** Changes read from the change log because their bus message was late or missing. */
  recovered: number;
  /** Bus messages dropped as already delivered. */
  duplicates: number;
  /** Last change-log read failed (database unreachable). */
  degraded: boolean;
}

export class ChangeFeed implements Bus {
  private readonly dispatcher = new Dispatcher();
  private readonly closing = new EventEmitter().setMaxListeners(0);
  private readonly unsubs: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly pageSize: number;
  private readonly replayWindow: number;
  private lastSeq: number | null = null;
  private readonly pending = new Map<number, BusMessage>();
  private catching: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readyWaiters: (() => void)[] = [];
  private lastErrorLog = 0;
  readonly stats: ChangeFeedStats = { lastSeq: null, recovered: 0, duplicates: 0, degraded: false };

  constructor(
    readonly bus: Bus,
    private readonly store: ChangeStore,
    private readonly opts: ChangeFeedOptions = {},
  ) {
    this.pageSize = opts.pageSize ?? 500;
    this.replayWindow = opts.replayWindow ?? 10_000;
    for (const topic of Object.keys(TOPIC_KEYS) as Topic[]) {
      this.unsubs.push(bus.subscribe(topic, {}, (payload) => this.onBus({ topic, payload } as BusMessage)));
    }
    this.timer = setInterval(() => void this.catchUp(), opts.pollMs ?? 1000);
    this.timer.unref();
    void this.catchUp();
  }

  get kind(): 'memory' | 'redis' {
    return this.bus.kind;
  }

  publish<T extends Topic>(topic: T, payload: TopicMap[T]): Promise<void> {
    return this.bus.publish(topic, payload);
  }

  publishMany(messages: readonly BusMessage[]): Promise<void> {
    return this.bus.publishMany(messages);
  }

  subscribe<T extends Topic>(topic: T, filter: TopicFilter<T>, handler: (payload: TopicMap[T]) => void): () => void {
    return this.dispatcher.add(topic, filter as Record<string, string | undefined>, handler as (p: unknown) => void);
  }

  subscriberCount(): number {
    return this.dispatcher.size();
  }

  /** Resolves once the position in the change log is known (and the bus is subscribed). */
  /** The underlying bus's connection (the feed itself recovers from the change log). */
  connected(): boolean {
    return this.bus.connected();
  }

  async ready(): Promise<void> {
    await this.bus.ready();
    if (this.lastSeq !== null || this.closed) return;
    await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
  }

  /** Highest seq delivered in this process. */
  get position(): number | null {
    return this.lastSeq;
  }

  /** Stops polling and ends every stream; the underlying bus stays open (it is the caller's). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const u of this.unsubs.splice(0)) u();
    this.closing.emit('close');
    for (const w of this.readyWaiters.splice(0)) w();
  }

  // ---- delivery in seq order ------------------------------------------------

  private onBus(m: BusMessage): void {
    if (this.closed) return;
    const seq = m.payload.seq;
    if (typeof seq !== 'number') {
      // Not from the change log (published by hand): deliver as is.
      this.dispatcher.dispatch(m.topic, m.payload as unknown as Record<string, unknown>);
      return;
    }
    if (this.lastSeq !== null && seq <= this.lastSeq) {
      this.stats.duplicates++;
      return;
    }
    if (this.lastSeq !== null && seq === this.lastSeq + 1) {
      this.deliver(seq, m.topic, m.payload as unknown as Record<string, unknown>);
      this.drainPending();
      return;
    }
    // Ahead of a missing change (or position unknown yet): wait for the log.
    if (this.pending.size < 100_000) this.pending.set(seq, m);
    void this.catchUp();
  }

  private deliver(seq: number, topic: Topic, payload: Record<string, unknown>): void {
    this.lastSeq = seq;
    this.stats.lastSeq = seq;
    this.dispatcher.dispatch(topic, payload);
  }

  private drainPending(): void {
    if (this.lastSeq === null) return;
    for (;;) {
      const next = this.pending.get(this.lastSeq + 1);
      if (!next) break;
      this.pending.delete(this.lastSeq + 1);
      this.deliver(this.lastSeq + 1, next.topic, next.payload as unknown as Record<string, unknown>);
    }
    for (const seq of this.pending.keys()) if (seq <= this.lastSeq) this.pending.delete(seq);
  }

  /** Reads what the bus did not deliver from the change log (one run at a time). */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    this.catching = (async () => {
      do {
        this.again = false;
        try {
          await this.catchUpOnce();
          this.stats.degraded = false;
        } catch (err) {
          this.stats.degraded = true;
          if (Date.now() - this.lastErrorLog > 10_000) {
            this.lastErrorLog = Date.now();
            this.opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'change log unreadable; retrying');
          }
          return;
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.catching = null;
    });
    return this.catching;
  }

  private async catchUpOnce(): Promise<void> {
    if (this.lastSeq === null) {
      // Start from the log's head: this process has no subscriber older than that.
      const head = await this.store.head();
      if (this.lastSeq === null) {
        this.lastSeq = head;
        this.stats.lastSeq = head;
        for (const w of this.readyWaiters.splice(0)) w();
      }
      this.drainPending();
    }
    for (;;) {
      const from = this.lastSeq!;
      const rows = await this.store.read(from, { limit: this.pageSize });
      for (const r of rows) {
        if (r.seq <= this.lastSeq!) continue; // the bus was faster meanwhile
        this.pending.delete(r.seq);
        this.stats.recovered++;
        this.deliver(r.seq, r.topic, r.payload);
        this.drainPending();
      }
      if (rows.length < this.pageSize) break;
    }
  }

  // ---- streams ----------------------------------------------------------------

  iterate<T extends Topic>(
    topic: T,
    filter: TopicFilter<T> = {},
    opts: { signal?: AbortSignal; maxBuffer?: number } = {},
  ): AsyncIterableIterator<TopicMap[T]> {
    // Bus-compatible: changes only (a stream that ends on a gap just ends).
    const source = this.stream(topic, filter, opts);
    const it: AsyncIterableIterator<TopicMap[T]> = {
      next: async () => {
        const r = await source.next();
        if (r.done || isGap(r.value)) {
          if (!r.done) await source.return?.();
          return { value: undefined, done: true };
        }
        return r as IteratorResult<TopicMap[T]>;
      },
      return: () => source.return!() as Promise<IteratorResult<TopicMap[T]>>,
      throw: (e?: unknown) => source.throw!(e) as Promise<IteratorResult<TopicMap[T]>>,
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * The changes of `topic` matching `filter`, in seq order: first those after
   * `opts.after` from the change log, then live ones, none twice, none
   * skipped. Yields a GapSignal (then ends) when it cannot go on without a gap.
   */
  stream<T extends Topic>(topic: T, filter: TopicFilter<T> = {}, opts: StreamOptions = {}): AsyncIterableIterator<FeedItem<T>> {
    const maxBuffer = opts.maxBuffer ?? 10_000;
    const queue: FeedItem<T>[] = [];
    let waiting: ((r: IteratorResult<FeedItem<T>>) => void) | null = null;
    let done = this.closed;
    let ending = false; // a gap was queued: nothing after it
    let consumed: number | null = opts.after ?? null; // seq of the last change the consumer took
    const took = (item: FeedItem<T>) => {
      if (!isGap(item) && typeof item.seq === 'number') consumed = item.seq;
    };
    let replaying = opts.after !== undefined;
    const held: TopicMap[T][] = []; // live changes that arrive during the replay
    // The replay reads its next page only once the consumer has taken most of
    // the last one: a long replay to a reading client never overflows its
    // queue, and one to a client that stops reading stops reading the log.
    let roomWaiter: (() => void) | null = null;
    const wakeReplay = () => {
      const w = roomWaiter;
      roomWaiter = null;
      w?.();
    };
    const room = (): Promise<boolean> => {
      if (done || ending) return Promise.resolve(false);
      if (queue.length < this.pageSize) return Promise.resolve(true);
      return new Promise<void>((r) => (roomWaiter = r)).then(() => !done && !ending);
    };

    const finish = () => {
      if (done) return;
      done = true;
      wakeReplay();
      unsubscribe();
      this.closing.off('close', onClose);
      opts.signal?.removeEventListener('abort', finish);
      if (waiting && queue.length === 0) {
        const w = waiting;
        waiting = null;
        w({ value: undefined, done: true });
      }
    };
    const push = (item: FeedItem<T>) => {
      if (done || ending) return;
      if (isGap(item)) ending = true;
      if (waiting) {
        const w = waiting;
        waiting = null;
        took(item);
        w({ value: item, done: false });
      } else {
        queue.push(item);
        if (!isGap(item) && queue.length > maxBuffer) {
          // Never drop silently: the consumer resumes from its last seq.
          queue.length = 0;
          gap('SUBSCRIBER_TOO_SLOW', 'the subscriber fell too far behind; resubscribe with after = the seq of the last change received');
          return;
        }
      }
      if (ending) {
        unsubscribe();
        if (queue.length === 0) finish();
      }
    };
    const gap = (code: GapCode, message: string, lastSeq: number | null = consumed) => {
      if (ending) return;
      push({ gap: { code, message, lastSeq } });
    };
    const onLive = (p: TopicMap[T]) => {
      if (replaying) {
        held.push(p);
        if (held.length > maxBuffer) {
          held.length = 0;
          replaying = false;
          gap('SUBSCRIBER_TOO_SLOW', 'too many changes during the replay; resubscribe with after = the seq of the last change received');
        }
        return;
      }
      push(p);
    };
    const onClose = () => gap('FEED_CLOSED', 'the server is shutting down; resubscribe (with after) elsewhere');
    const unsubscribe = this.subscribe(topic, filter, onLive);
    this.closing.on('close', onClose);
    if (opts.signal?.aborted) finish();
    else opts.signal?.addEventListener('abort', finish, { once: true });

    if (replaying && !done) {
      void this.replay(topic, filter, opts.after!, push, gap, room).then((upto) => {
        if (!replaying) return;
        replaying = false;
        for (const p of held.splice(0)) {
          if (typeof p.seq === 'number' && upto !== null && p.seq <= upto) continue;
          push(p);
        }
      });
    }

    const it: AsyncIterableIterator<FeedItem<T>> = {
      next: () => {
        if (queue.length > 0) {
          const value = queue.shift()!;
          took(value);
          if (queue.length < this.pageSize) wakeReplay();
          if (queue.length === 0 && ending) finish();
          return Promise.resolve({ value, done: false });
        }
        if (done || ending) {
          finish();
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: () => {
        queue.length = 0;
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (err?: unknown) => {
        finish();
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private async replay<T extends Topic>(
    topic: T,
    filter: TopicFilter<T>,
    after: number,
    push: (item: FeedItem<T>) => void,
    gap: (code: GapCode, message: string, lastSeq?: number | null) => void,
    room: () => Promise<boolean>,
  ): Promise<number | null> {
    try {
      await this.ready();
      if (this.closed) return null;
      let upto = this.lastSeq!;
      if (after > upto) {
        await this.catchUp();
        upto = this.lastSeq!;
        if (after > upto) {
          gap('CURSOR_AHEAD', `no change ${after} in the change log (newest is ${upto}); refetch and subscribe without after`, null);
          return null;
        }
      }
      const oldest = await this.store.oldest();
      if (after < upto && (oldest === null || oldest > after + 1)) {
        gap('CURSOR_EXPIRED', `changes after ${after} are no longer in the change log; refetch and subscribe without after`, null);
        return null;
      }
      const keys = Object.fromEntries(Object.entries(filter).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      let cursor = after;
      while (cursor < upto) {
        if (!(await room())) return null; // the stream ended (gap, client left)
        const end = Math.min(upto, cursor + this.replayWindow);
        const rows = await this.store.read(cursor, { upto: end, limit: this.pageSize, topic, filter: keys });
        for (const r of rows) push(r.payload as unknown as TopicMap[T]);
        cursor = rows.length < this.pageSize ? end : rows[rows.length - 1].seq;
      }
      // Live changes up to `upto` came from the log; later ones follow live.
      return upto;
    } catch (err) {
      this.opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'subscription replay failed');
      gap('REPLAY_FAILED', 'the change log could not be read; resubscribe with the same after later');
    }
    return null;
  }
}

/** A change feed over the bus and the change log read through `query`. */
export function createChangeFeed(bus: Bus, query: (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>, opts: ChangeFeedOptions = {}): ChangeFeed {
  return new ChangeFeed(bus, sqlChangeStore(query), opts);
}
