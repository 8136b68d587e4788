// The change bus between the indexer (publisher, after each commit) and the
// GraphQL API (subscriptions). In process by default; Redis pub/sub (ioredis)
// when a Redis URL is given, so one indexer feeds many API replicas.
//
// Three typed topics, each with the keys a subscriber may filter on:
//   session       SessionChange       by session, user, node, provider
//   nodeCapacity  NodeCapacityChange  by node, region, provider
//   event         FeedEvent           by name, session, node, provider, user
//
// Payloads are JSON-safe (u64 amounts as decimal strings, times as ISO
// strings) so they cross Redis unchanged. Over Redis each topic is one channel
// (`<prefix>:<topic>`) and each process dispatches to its own subscribers by
// key, so one change costs one Redis message whatever the number of
// subscribers. Messages of a topic arrive in publish order.
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type SessionStateName = 'ACTIVE' | 'CLOSING' | 'CLOSED' | 'DISPUTED' | 'RESOLVED' | 'SETTLED';
export type SessionModeName = 'TIME' | 'USAGE';
export type EventName =
  | 'ConfigUpdated'
  | 'ProviderRegistered'
  | 'NodeRegistered'
  | 'NodeUpdated'
  | 'SessionOpened'
  | 'ChunkClaimed'
  | 'SessionClosed'
  | 'PayoutClaimed'
  | 'DisputeRaised'
  | 'DisputeResolved'
  | 'ReputationUpdated'
  | 'StakeChanged'
  | 'Slashed';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Position of a committed change in the change log (the `changes` table):
 * gap-free, increasing in commit order across all topics. Set by the indexer's
 * writer; absent only on messages published by hand (tests).
 */
export interface Sequenced {
  seq?: number;
}

/** Where a change comes from: the event that caused it. */
export interface ChangeOrigin extends Sequenced {
  /**
   * Event that made the change, or 'Reconciled' when reconciliation repaired
   * the row from its account (signature empty, slot = the snapshot's slot).
   */
  cause: EventName | 'Reconciled';
  signature: string;
  slot: number;
  /** Program Clock time of the event, ISO 8601. */
  timestamp: string;
}

/** A session's state after an event (opened, claimed, closed, paid out, disputed, resolved, rated). */
export interface SessionChange extends ChangeOrigin {
  session: string;
  /** Which opening of the session address (0 for the first; absent from older publishers). */
  generation?: number;
  user: string;
  node: string;
  provider: string;
  mode: SessionModeName;
  state: SessionStateName;
  /** State before this event; null when the event opened the session. */
  previousState: SessionStateName | null;
  /** Token mint, or the default pubkey (all ones) for SOL. */
  paymentMint: string;
  escrowAmount: string;
  remainingBalance: string;
  claimedAmount: string;
  feeAmount: string;
  refundedAmount: string;
  bytesUsed: string;
  lastTick: string;
  rated: boolean;
}

/** A node's capacity/availability after an event (register, update, open, close, payout, resolution). */
export interface NodeCapacityChange extends ChangeOrigin {
  node: string;
  provider: string;
  region: string;
  maxCapacity: number;
  activeSessions: number;
  /** maxCapacity - activeSessions (negative after update_node lowered the capacity). */
  freeCapacity: number;
  isActive: boolean;
  pricePerMinute: string;
  pricePerMinuteToken: string;
}

/** One decoded program event, as stored in the events table. */
export interface FeedEvent extends Sequenced {
  /** events.id (a decimal string; increases in ingestion order). */
  id: string;
  name: EventName;
  signature: string;
  slot: number;
  ixIndex: number;
  eventIndex: number;
  timestamp: string;
  session: string | null;
  node: string | null;
  provider: string | null;
  user: string | null;
  /** The event's fields: u64/i64 as decimal strings, pubkeys base58, byte arrays hex, enums by name. */
  data: { [key: string]: JsonValue };
}

export interface TopicMap {
  session: SessionChange;
  nodeCapacity: NodeCapacityChange;
  event: FeedEvent;
}
export type Topic = keyof TopicMap;

/** The fields each topic can be filtered on. */
export const TOPIC_KEYS = {
  session: ['session', 'user', 'node', 'provider'],
  nodeCapacity: ['node', 'region', 'provider'],
  event: ['name', 'session', 'node', 'provider', 'user'],
} as const satisfies { [T in Topic]: readonly (keyof TopicMap[T])[] };

export type TopicKey<T extends Topic> = (typeof TOPIC_KEYS)[T][number];
/** Every given key must match (AND); an empty filter receives everything. */
export type TopicFilter<T extends Topic> = Partial<Record<TopicKey<T>, string>>;

export type BusMessage = { [T in Topic]: { topic: T; payload: TopicMap[T] } }[Topic];

export interface Bus {
  readonly kind: 'memory' | 'redis';
  /** Publishes in order; resolves once handed to the transport. */
  publish<T extends Topic>(topic: T, payload: TopicMap[T]): Promise<void>;
  /** Publishes several messages in order (one Redis round trip). */
  publishMany(messages: readonly BusMessage[]): Promise<void>;
  /** Calls handler for each matching message; returns the unsubscribe function. */
  subscribe<T extends Topic>(topic: T, filter: TopicFilter<T>, handler: (payload: TopicMap[T]) => void): () => void;
  /**
   * The same as an async iterator (for GraphQL subscription resolvers). Ends
   * when `signal` aborts, `return()` is called, or the bus closes. Buffers at
   * most `maxBuffer` messages for a slow consumer (oldest dropped, default 10,000).
   */
  iterate<T extends Topic>(
    topic: T,
    filter?: TopicFilter<T>,
    opts?: { signal?: AbortSignal; maxBuffer?: number },
  ): AsyncIterableIterator<TopicMap[T]>;
  /** Subscribers registered in this process. */
  subscriberCount(): number;
  /** Resolves when the transport can deliver (Redis subscribed). */
  ready(): Promise<void>;
  /** True while the transport is connected (Redis: both connections ready); for metrics and alerts. */
  connected(): boolean;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Redis pub/sub when set (e.g. process.env.REDIS_URL). */
  redisUrl?: string;
  /** Channel prefix (default "dvpn"). */
  prefix?: string;
  logger?: Logger;
}

export function createBus(opts: BusOptions = {}): Bus {
  return opts.redisUrl ? new RedisBus(opts.redisUrl, opts.prefix ?? 'dvpn', opts.logger) : new MemoryBus();
}

// ---------------------------------------------------------------------------

type Handler = (payload: unknown) => void;
interface Sub {
  filter: [string, string][];
  handler: Handler;
}

/** Per-topic subscriber index: the first filter key picks a bucket, the rest are checked. */
export class Dispatcher {
  private readonly all = new Map<Topic, Set<Sub>>();
  private readonly keyed = new Map<string, Set<Sub>>(); // `${topic}\0${key}\0${value}`
  private count = 0;

  add(topic: Topic, filter: Record<string, string | undefined>, handler: Handler): () => void {
    const entries = Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string');
    const allowed = TOPIC_KEYS[topic] as readonly string[];
    for (const [k] of entries) {
      if (!allowed.includes(k)) throw new Error(`topic ${topic} cannot be filtered by ${k} (keys: ${allowed.join(', ')})`);
    }
    const sub: Sub = { filter: entries, handler };
    let bucket: Set<Sub>;
    let bucketKey: string | null = null;
    if (entries.length === 0) {
      bucket = this.all.get(topic) ?? new Set();
      this.all.set(topic, bucket);
    } else {
      bucketKey = `${topic}\0${entries[0][0]}\0${entries[0][1]}`;
      bucket = this.keyed.get(bucketKey) ?? new Set();
      this.keyed.set(bucketKey, bucket);
    }
    bucket.add(sub);
    this.count++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      bucket.delete(sub);
      this.count--;
      if (bucketKey && bucket.size === 0) this.keyed.delete(bucketKey);
    };
  }

  dispatch(topic: Topic, payload: Record<string, unknown>): void {
    const run = (sub: Sub) => {
      for (let i = 1; i < sub.filter.length; i++) {
        if (payload[sub.filter[i][0]] !== sub.filter[i][1]) return;
      }
      try {
        sub.handler(payload);
      } catch {
        // a subscriber's failure is its own
      }
    };
    const all = this.all.get(topic);
    if (all) for (const sub of [...all]) run(sub);
    if (this.keyed.size === 0) return;
    for (const key of TOPIC_KEYS[topic] as readonly string[]) {
      const value = payload[key];
      if (typeof value !== 'string') continue;
      const bucket = this.keyed.get(`${topic}\0${key}\0${value}`);
      if (bucket) for (const sub of [...bucket]) run(sub);
    }
  }

  size(): number {
    return this.count;
  }
}

abstract class BaseBus implements Bus {
  abstract readonly kind: 'memory' | 'redis';
  protected readonly dispatcher = new Dispatcher();
  protected closed = false;
  // One 'close' listener per live subscription: thousands is normal here.
  private readonly closing = new EventEmitter().setMaxListeners(0);

  abstract publishMany(messages: readonly BusMessage[]): Promise<void>;
  abstract ready(): Promise<void>;
  abstract connected(): boolean;
  protected abstract shutdown(): Promise<void>;

  publish<T extends Topic>(topic: T, payload: TopicMap[T]): Promise<void> {
    return this.publishMany([{ topic, payload } as BusMessage]);
  }

  subscribe<T extends Topic>(topic: T, filter: TopicFilter<T>, handler: (payload: TopicMap[T]) => void): () => void {
    return this.dispatcher.add(topic, filter as Record<string, string | undefined>, handler as Handler);
  }

  iterate<T extends Topic>(
    topic: T,
    filter: TopicFilter<T> = {},
    opts: { signal?: AbortSignal; maxBuffer?: number } = {},
  ): AsyncIterableIterator<TopicMap[T]> {
    const maxBuffer = opts.maxBuffer ?? 10_000;
    const buffer: TopicMap[T][] = [];
    let waiting: ((r: IteratorResult<TopicMap[T]>) => void) | null = null;
    let done = this.closed;
    const finish = () => {
      if (done) return;
      done = true;
      unsubscribe();
      this.closing.off('close', finish);
      opts.signal?.removeEventListener('abort', finish);
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: undefined, done: true });
      }
    };
    const unsubscribe = this.subscribe(topic, filter, (payload) => {
      if (done) return;
      if (waiting) {
        const w = waiting;
        waiting = null;
        w({ value: payload, done: false });
        return;
      }
      buffer.push(payload);
      if (buffer.length > maxBuffer) buffer.shift();
    });
    this.closing.on('close', finish);
    if (opts.signal?.aborted) finish();
    else opts.signal?.addEventListener('abort', finish, { once: true });
    const iterator: AsyncIterableIterator<TopicMap[T]> = {
      next: () => {
        if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          waiting = resolve;
        });
      },
      return: () => {
        finish();
        buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (err?: unknown) => {
        finish();
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  subscriberCount(): number {
    return this.dispatcher.size();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.emit('close');
    await this.shutdown();
  }
}

class MemoryBus extends BaseBus {
  readonly kind = 'memory' as const;

  async publishMany(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) return;
    for (const m of messages) this.dispatcher.dispatch(m.topic, m.payload as unknown as Record<string, unknown>);
  }

  async ready(): Promise<void> {}

  connected(): boolean {
    return !this.closed;
  }

  protected async shutdown(): Promise<void> {}
}

class RedisBus extends BaseBus {
  readonly kind = 'redis' as const;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channels: Record<Topic, string>;
  private readonly byChannel = new Map<string, Topic>();
  private readonly subscribed: Promise<void>;

  constructor(url: string, prefix: string, private readonly logger?: Logger) {
    super();
    this.channels = { session: `${prefix}:session`, nodeCapacity: `${prefix}:nodeCapacity`, event: `${prefix}:event` };
    for (const [topic, channel] of Object.entries(this.channels)) this.byChannel.set(channel, topic as Topic);
    const common = { maxRetriesPerRequest: null, enableAutoPipelining: true, lazyConnect: false } as const;
    // A publish never waits long: while Redis is away it fails after
    // commandTimeout (the publisher drops it; API replicas recover the change
    // from the change log by its seq).
    this.pub = new Redis(url, { ...common, connectionName: 'dvpn-bus-pub', commandTimeout: 2000 });
    this.sub = new Redis(url, { ...common, connectionName: 'dvpn-bus-sub' });
    for (const [name, conn] of [['pub', this.pub], ['sub', this.sub]] as const) {
      conn.on('error', (err: Error) => this.logger?.warn({ err: err.message, conn: name }, 'redis bus connection error'));
    }
    this.sub.on('message', (channel: string, raw: string) => {
      const topic = this.byChannel.get(channel);
      if (!topic) return;
      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(raw);
      } catch {
        this.logger?.warn({ channel }, 'redis bus: unparseable message dropped');
        return;
      }
      this.dispatcher.dispatch(topic, payload);
    });
    // ioredis re-subscribes by itself after a reconnect.
    this.subscribed = this.sub.subscribe(...Object.values(this.channels)).then(() => undefined);
    this.subscribed.catch(() => undefined);
  }

  async publishMany(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed || messages.length === 0) return;
    if (messages.length === 1) {
      await this.pub.publish(this.channels[messages[0].topic], JSON.stringify(messages[0].payload));
      return;
    }
    const pipeline = this.pub.pipeline();
    for (const m of messages) pipeline.publish(this.channels[m.topic], JSON.stringify(m.payload));
    await pipeline.exec();
  }

  ready(): Promise<void> {
    return this.subscribed;
  }

  connected(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  protected async shutdown(): Promise<void> {
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
