// Shared subscriptions: subscribers asking for the same thing share one
// execution. Subscriptions with the same document, operation name and
// variables produce the same results (resolvers read only the change and the
// database, nothing per client), so the first one runs the GraphQL
// subscription and every other one gets the same results from a fan-out.
// One change then costs one execution and N socket writes, not N executions:
// what lets one API process serve 10,000 subscribers of the same feed.
//
// Each subscriber keeps its own bounded queue (`maxBuffer`, default 1,000
// results); a consumer that cannot keep up is never dropped from silently: its
// queue is replaced by one SUBSCRIPTION_GAP error and its stream ends, so it
// resubscribes with `after` = its last seq (the seq of the last result that
// consumer received, noted by the shared stream even when the selection has
// no `seq`). The shared source stops when its last subscriber leaves. A
// subscription with an `after` cursor is never shared: its replay from the
// change log is its own. Whether it has one is read from the coerced argument
// values (variables, their defaults, fragments and inline fragments all
// applied), not from how the document spells them. Results that are not a
// stream (a refused operation, a validation error) are never shared.
// Works for every transport (graphql-ws and SSE) since it sits in the envelop
// subscribe step; it must come after the plugins that refuse operations.
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { SEQ_PROBE, type SeqProbe } from './subscriptions.js';

type Result = ExecutionResult;
type Source = AsyncIterator<Result> & Partial<AsyncIterable<Result>>;

function isAsyncIterable(v: unknown): v is AsyncIterable<Result> {
  return typeof v === 'object' && v !== null && typeof (v as AsyncIterable<Result>)[Symbol.asyncIterator] === 'function';
}

/** JSON with sorted object keys, so {a,b} and {b,a} share. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

/**
 * True when a root field of the operation resumes (its coerced `after` is not
 * null), looking through fragments and inline fragments (whatever @skip or
 * @include say: erring on not sharing is harmless). Unsure (unknown
 * operation, variables that do not coerce): true, so nothing is shared.
 */
export function resumesFromCursor(args: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}): boolean {
  const op = getOperationAST(args.document, args.operationName ?? undefined);
  const root = args.schema.getSubscriptionType();
  if (!op || !root) return true;
  const { coerced, errors } = getVariableValues(args.schema, op.variableDefinitions ?? [], args.variableValues ?? {});
  if (errors || !coerced) return true;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of args.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fields = root.getFields();
  const visited = new Set<string>();
  const visit = (set: SelectionSetNode): boolean => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const def = fields[sel.name.value];
        if (!def) continue;
        try {
          if (getArgumentValues(def, sel, coerced).after != null) return true;
        } catch {
          return true;
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (visit(sel.selectionSet)) return true;
      } else if (!visited.has(sel.name.value)) {
        visited.add(sel.name.value);
        const f = fragments.get(sel.name.value);
        if (f && visit(f.selectionSet)) return true;
      }
    }
    return false;
  };
  return visit(op.selectionSet);
}

interface Queued {
  value: Result;
  /** Seq of the change this result came from (null: not known, e.g. a gap error). */
  seq: number | null;
}

class Consumer {
  private readonly queue: Queued[] = [];
  private waiting: ((r: IteratorResult<Result>) => void) | null = null;
  private done = false;
  private failure: unknown = null;
  /** Seq of the last result handed to this subscriber's transport. */
  private delivered: number | null = null;

  constructor(
    private readonly maxBuffer: number,
    private readonly leave: (c: Consumer) => void,
  ) {}

  private took(seq: number | null): void {
    if (seq !== null) this.delivered = seq;
  }

  push(value: Result, seq: number | null = null): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      this.took(seq);
      w({ value, done: false });
      return;
    }
    this.queue.push({ value, seq });
    if (this.queue.length > this.maxBuffer) {
      this.queue.length = 0;
      this.queue.push({
        value: {
          errors: [
            new GraphQLError('the subscriber fell too far behind; resubscribe with after = the seq of the last change received', {
              extensions: {
                code: 'SUBSCRIPTION_GAP',
                reason: 'SUBSCRIBER_TOO_SLOW',
                lastSeq: this.delivered === null ? null : String(this.delivered),
              },
            }),
          ],
        },
        seq: null,
      });
      this.end();
      this.leave(this);
    }
  }

  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (error !== undefined) this.failure = error;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: undefined, done: true });
    }
  }

  iterator(): AsyncIterableIterator<Result> {
    const it: AsyncIterableIterator<Result> = {
      next: () => {
        if (this.queue.length > 0) {
          const { value, seq } = this.queue.shift()!;
          this.took(seq);
          return Promise.resolve({ value, done: false });
        }
        if (this.failure !== null) {
          const f = this.failure;
          this.failure = null;
          return Promise.reject(f);
        }
        if (this.done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.queue.length = 0;
        this.end();
        this.leave(this);
        return Promise.resolve({ value: undefined, done: true });
      },
      throw: (err?: unknown) => {
        this.end();
        this.leave(this);
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}

class Group {
  private readonly consumers = new Set<Consumer>();
  private source: Source | null = null;
  private starting: Promise<Result | AsyncIterable<Result>> | null = null;
  closed = false;

  constructor(
    private readonly start: () => Promise<Result | AsyncIterable<Result>>,
    private readonly forget: () => void,
    private readonly maxBuffer: number,
    /** Seq of the change the shared stream handed out last (set by subscriptions.ts changeStream). */
    private readonly probe: SeqProbe = { seq: null },
  ) {}

  async join(): Promise<Result | AsyncIterableIterator<Result>> {
    this.starting ??= this.start().then((r) => {
      if (isAsyncIterable(r)) {
        this.source = r[Symbol.asyncIterator]() as Source;
        void this.pump(this.source);
      } else {
        // Not a stream (refused, invalid): nothing to share; the next subscriber starts afresh.
        this.close();
      }
      return r;
    });
    let first: Result | AsyncIterable<Result>;
    try {
      first = await this.starting;
    } catch (err) {
      this.close();
      throw err;
    }
    if (!isAsyncIterable(first)) return first;
    const consumer = new Consumer(this.maxBuffer, (c) => this.leave(c));
    if (this.closed) consumer.end();
    else this.consumers.add(consumer);
    return consumer.iterator();
  }

  private async pump(source: Source): Promise<void> {
    let error: unknown;
    try {
      for (;;) {
        const r = await source.next();
        if (r.done) break;
        // One source change makes one result (one root field): the probe names it.
        const seq = this.probe.seq;
        for (const c of this.consumers) c.push(r.value, seq);
      }
    } catch (err) {
      error = err;
    } finally {
      this.closed = true;
      this.forget();
      for (const c of this.consumers) c.end(error);
      this.consumers.clear();
    }
  }

  private leave(c: Consumer): void {
    this.consumers.delete(c);
    if (this.consumers.size === 0 && this.source) this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    const s = this.source;
    this.source = null;
    void s?.return?.().catch(() => undefined);
  }

  get size(): number {
    return this.consumers.size;
  }
}

export interface SharedSubscriptionsOptions {
  /** Results buffered per subscriber at most (default 1000). */
  maxBuffer?: number;
}

export interface SharedSubscriptionsPlugin extends Plugin {
  /** Distinct running executions and their subscribers (metrics, tests). */
  stats(): { groups: number; subscribers: number };
}

export function useSharedSubscriptions(opts: SharedSubscriptionsOptions = {}): SharedSubscriptionsPlugin {
  const maxBuffer = opts.maxBuffer ?? 1000;
  const byDocument = new WeakMap<DocumentNode, Map<string, Group>>();
  const live = new Set<Group>();
  return {
    stats() {
      let subscribers = 0;
      for (const g of live) subscribers += g.size;
      return { groups: live.size, subscribers };
    },
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      const original = subscribeFn;
      setSubscribeFn(async (args) => {
        if (resumesFromCursor(args)) return original(args) as never;
        // yoga's parser cache hands the same DocumentNode for the same query text.
        let groups = byDocument.get(args.document);
        if (!groups) {
          groups = new Map();
          byDocument.set(args.document, groups);
        }
        const key = `${args.operationName ?? ''}\u0000${stableStringify(args.variableValues ?? {})}`;
        let group = groups.get(key);
        if (!group || group.closed) {
          const map = groups;
          const probe: SeqProbe = { seq: null };
          if (args.contextValue && typeof args.contextValue === 'object') (args.contextValue as { [SEQ_PROBE]?: SeqProbe })[SEQ_PROBE] = probe;
          const g: Group = new Group(
            async () => (await original(args)) as Result | AsyncIterable<Result>,
            () => {
              if (map.get(key) === g) map.delete(key);
              live.delete(g);
            },
            maxBuffer,
            probe,
          );
          group = g;
          groups.set(key, g);
          live.add(g);
        }
        return group.join() as never;
      });
    },
  };
}
