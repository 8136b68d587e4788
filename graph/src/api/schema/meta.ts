// `_meta`: how fresh the data of this answer is. A client compares `slot`
// (the newest slot the indexer applied) with what it expects, or reads
// `lagSlots`, and refetches or warns when the data is behind.
import { builder } from '../builder.js';
import type { IngestionStatus } from '../ingestion.js';

interface MetaShape {
  status: IngestionStatus | null;
  time: Date;
}

const Meta = builder.objectRef<MetaShape>('Meta').implement({
  description: 'How fresh the indexed data is, when this answer was made.',
  fields: (t) => ({
    slot: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'Newest slot the indexer applied (null before the first one).',
      resolve: (m) => m.status?.indexedSlot ?? null,
    }),
    chainSlot: t.field({
      type: 'BigInt',
      nullable: true,
      description: "Slot of the program's newest transaction on chain, when known.",
      resolve: (m) => m.status?.chainSlot ?? null,
    }),
    lagSlots: t.field({
      type: 'BigInt',
      nullable: true,
      description: 'chainSlot - slot: how many slots of program activity are not indexed yet (null when unknown).',
      resolve: (m) => m.status?.lagSlots ?? null,
    }),
    stalled: t.boolean({
      description: 'True when ingestion is behind and not moving (the API then also answers 503 on /readyz).',
      resolve: (m) => m.status?.stalled ?? false,
    }),
    time: t.field({ type: 'DateTime', description: 'Server time of this answer.', resolve: (m) => m.time }),
  }),
});

builder.queryField('_meta', (t) =>
  t.field({
    type: Meta,
    description: 'Freshness of the indexed data: indexed slot, lag behind the chain, server time.',
    resolve: async (_root, _args, ctx) => ({ status: ctx.freshness ? await ctx.freshness() : null, time: new Date() }),
  }),
);
