// What every subscription field shares: the `after` cursor argument and the
// gap signal (see docs/API.md "Resuming subscriptions").
//
// A subscription with `after: <seq>` first receives, from the change log, the
// matching changes committed after that seq, then live ones: none twice, none
// skipped. When the server cannot guarantee that (cursor too old, subscriber
// too slow, database unreachable during the replay, server stopping), the
// stream's last result is an error with `extensions.code = "SUBSCRIPTION_GAP"`
// and the stream completes; the client resubscribes with `after` = the seq of
// the last change it received (or refetches when `reason` is CURSOR_EXPIRED or
// CURSOR_AHEAD).
import { GraphQLError } from 'graphql';
import type { Topic, TopicFilter } from '../bus.js';
import { isGap, type FeedItem, type GapSignal } from '../feed.js';
import type { ApiContext } from './context.js';
import { badInput } from './schema/scalars.js';

export const AFTER_DESCRIPTION =
  'Resume: first the matching changes committed after this seq (from the change log), then live ones, none twice. ' +
  'Omit to start with the next change.';

export function gapError(g: GapSignal): GraphQLError {
  return new GraphQLError(g.gap.message, {
    extensions: {
      code: 'SUBSCRIPTION_GAP',
      reason: g.gap.code,
      lastSeq: g.gap.lastSeq === null ? null : String(g.gap.lastSeq),
    },
  });
}

/**
 * Where a stream notes the seq of the change it handed out last: the shared
 * subscriptions (use-shared-subscriptions.ts) put one in the context of the
 * execution they share, so a subscriber they end as too slow is told the last
 * seq it received even when its selection has no `seq`.
 */
export const SEQ_PROBE = Symbol('dvpn.seqProbe');
export interface SeqProbe {
  seq: number | null;
}

/** One CURSOR_AHEAD gap: a cursor beyond any seq this log can hold (seqs are below 2^53). */
async function* aheadOfLog<T extends Topic>(after: bigint, newest: number | null): AsyncIterableIterator<FeedItem<T>> {
  yield {
    gap: {
      code: 'CURSOR_AHEAD',
      message: `no change ${after} in the change log (newest is ${newest ?? 0}); refetch and subscribe without after`,
      lastSeq: null,
    },
  };
}

/** The subscription resolvers' source: the process's change feed, from `after` when given. */
export function changeStream<T extends Topic>(
  ctx: ApiContext,
  topic: T,
  filter: TopicFilter<T>,
  after: bigint | null | undefined,
): AsyncIterableIterator<FeedItem<T>> {
  if (after != null && after < 0n) throw badInput('after must be a change seq (0 or more)');
  if (after != null && after > BigInt(Number.MAX_SAFE_INTEGER)) return aheadOfLog<T>(after, ctx.feed.position);
  const source = ctx.feed.stream(topic, filter, { after: after == null ? undefined : Number(after) });
  const probe = (ctx as ApiContext & { [SEQ_PROBE]?: SeqProbe })[SEQ_PROBE];
  if (!probe) return source;
  const it: AsyncIterableIterator<FeedItem<T>> = {
    next: async () => {
      const r = await source.next();
      if (!r.done && !isGap(r.value) && typeof r.value.seq === 'number') probe.seq = r.value.seq;
      return r;
    },
    return: () => source.return!(),
    throw: (e?: unknown) => source.throw!(e),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/** Resolves a stream item: the change itself, or the gap signal as the stream's last error. */
export function unlessGap<T, R>(item: T | GapSignal, map: (change: T) => R): R {
  if (isGap(item)) throw gapError(item);
  return map(item);
}
