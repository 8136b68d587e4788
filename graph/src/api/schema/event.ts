// Raw decoded program events: the audit trail the indexer applied, queryable
// by name, account and time, and as a live feed.
import { EVENT_NAMES } from '@dvpn/sdk';
import type { FeedEvent } from '../../bus.js';
import type { Event as EventRow, Prisma } from '../../generated/prisma/index.js';
import { builder } from '../builder.js';
import { filterIterator } from '../iterators.js';
import { isGap } from '../../feed.js';
import { AFTER_DESCRIPTION, changeStream, unlessGap } from '../subscriptions.js';
import { badInput, OrderDirection } from './scalars.js';

export const EventName = builder.enumType('EventName', {
  description: 'Names of the dvpn program events (as in the IDL).',
  values: EVENT_NAMES as unknown as readonly string[],
});

export const Event = builder.prismaObject('Event', {
  description: 'One decoded program event, exactly once (unique signature + instruction index + event index).',
  fields: (t) => ({
    id: t.expose('id', { type: 'BigInt', description: 'Increases in ingestion order.' }),
    name: t.exposeString('name'),
    signature: t.exposeString('signature'),
    slot: t.expose('slot', { type: 'BigInt' }),
    ixIndex: t.exposeInt('ixIndex'),
    eventIndex: t.exposeInt('eventIndex'),
    data: t.expose('data', {
      type: 'JSON',
      description: 'The event fields: u64/i64 as decimal strings, pubkeys base58, byte arrays hex, enums by name.',
    }),
    sessionPubkey: t.expose('sessionPubkey', { type: 'Pubkey', nullable: true }),
    nodePubkey: t.expose('nodePubkey', { type: 'Pubkey', nullable: true }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey', nullable: true }),
    user: t.expose('user', { type: 'Pubkey', nullable: true }),
    timestamp: t.expose('timestamp', { type: 'DateTime', description: 'Program Clock time of the event.' }),
    seq: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Change-log position, on events delivered by the `events` subscription (resume with `after: seq`); null in queries.',
      resolve: (e) => (e as EventRow & { seq?: number | null }).seq ?? null,
    }),
  }),
});

export const EventFilter = builder.inputType('EventFilter', {
  fields: (t) => ({
    names: t.field({ type: [EventName] }),
    account: t.field({ type: 'Pubkey', description: 'Events about this account in any role (session, node, provider or user).' }),
    session: t.field({ type: 'Pubkey' }),
    node: t.field({ type: 'Pubkey' }),
    provider: t.field({ type: 'Pubkey' }),
    user: t.field({ type: 'Pubkey' }),
    from: t.field({ type: 'DateTime', description: 'At or after (program Clock time).' }),
    to: t.field({ type: 'DateTime', description: 'Before.' }),
    fromSlot: t.field({ type: 'BigInt' }),
    toSlot: t.field({ type: 'BigInt', description: 'Inclusive.' }),
  }),
});

function eventWhere(f: typeof EventFilter.$inferInput | null | undefined): Prisma.EventWhereInput {
  if (!f) return {};
  const where: Prisma.EventWhereInput = {};
  if (f.names != null) where.name = { in: [...f.names] };
  if (f.account != null) {
    const a = f.account;
    where.OR = [{ sessionPubkey: a }, { nodePubkey: a }, { providerPubkey: a }, { user: a }];
  }
  if (f.session != null) where.sessionPubkey = f.session;
  if (f.node != null) where.nodePubkey = f.node;
  if (f.provider != null) where.providerPubkey = f.provider;
  if (f.user != null) where.user = f.user;
  if (f.from != null || f.to != null) {
    if (f.from && f.to && f.from > f.to) throw badInput('from must not be after to');
    where.timestamp = { gte: f.from ?? undefined, lt: f.to ?? undefined };
  }
  if (f.fromSlot != null || f.toSlot != null) where.slot = { gte: f.fromSlot ?? undefined, lte: f.toSlot ?? undefined };
  return where;
}

builder.queryField('events', (t) =>
  t.prismaConnection(
    {
      type: 'Event',
      cursor: 'id',
      description: 'Raw events by name, account and time; newest first by default.',
      args: { filter: t.arg({ type: EventFilter }), direction: t.arg({ type: OrderDirection, defaultValue: 'desc' }) },
      resolve: (query, _root, args, ctx) =>
        ctx.prisma.event.findMany({ ...query, where: eventWhere(args.filter), orderBy: { id: args.direction ?? 'desc' } }),
      totalCount: (_root, args, ctx) => ctx.prisma.event.count({ where: eventWhere(args.filter) }),
    },
    { name: 'EventConnection' },
    { name: 'EventEdge' },
  ),
);

/** The bus payload in the shape of an events row. */
export function feedEventToRow(e: FeedEvent): EventRow {
  return {
    id: BigInt(e.id),
    name: e.name,
    signature: e.signature,
    slot: BigInt(e.slot),
    ixIndex: e.ixIndex,
    eventIndex: e.eventIndex,
    data: e.data,
    sessionPubkey: e.session,
    nodePubkey: e.node,
    providerPubkey: e.provider,
    user: e.user,
    timestamp: new Date(e.timestamp),
    indexedAt: new Date(e.timestamp),
  };
}

builder.subscriptionField('events', (t) =>
  t.field({
    type: Event,
    description: 'The live event feed, by name(s), session, node, provider or user (all given filters must match).',
    args: {
      names: t.arg({ type: [EventName] }),
      session: t.arg({ type: 'Pubkey' }),
      node: t.arg({ type: 'Pubkey' }),
      provider: t.arg({ type: 'Pubkey' }),
      user: t.arg({ type: 'Pubkey' }),
      after: t.arg({ type: 'BigInt', description: AFTER_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      const names = args.names ? [...new Set(args.names)] : null;
      if (names && names.length === 0) throw badInput('names must not be empty');
      const source = changeStream(ctx, 'event', {
        ...(names && names.length === 1 ? { name: names[0] } : {}),
        ...(args.session ? { session: args.session } : {}),
        ...(args.node ? { node: args.node } : {}),
        ...(args.provider ? { provider: args.provider } : {}),
        ...(args.user ? { user: args.user } : {}),
      }, args.after);
      if (!names || names.length === 1) return source;
      const wanted = new Set<string>(names);
      return filterIterator(source, (e) => isGap(e) || wanted.has(e.name));
    },
    resolve: (e) => unlessGap(e, (change) => Object.assign(feedEventToRow(change), { seq: change.seq ?? null })),
  }),
);
