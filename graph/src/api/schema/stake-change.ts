// Stake changes: stake, unstake request, withdrawal and slashes of a provider.
import { builder } from '../builder.js';

export const StakeChangeKind = builder.enumType('StakeChangeKind', {
  values: ['STAKE', 'REQUEST_UNSTAKE', 'WITHDRAW', 'SLASH'] as const,
});

export const StakeChange = builder.prismaObject('StakeChange', {
  description: "A change of a provider's stake, with the stake right after it.",
  fields: (t) => ({
    id: t.expose('id', { type: 'BigInt' }),
    kind: t.expose('kind', { type: StakeChangeKind }),
    signature: t.exposeString('signature'),
    slot: t.expose('slot', { type: 'BigInt' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    provider: t.relation('provider'),
    amount: t.expose('amount', { type: 'BigInt' }),
    stakeLamports: t.expose('stakeLamports', { type: 'BigInt' }),
    unstakingLamports: t.expose('unstakingLamports', { type: 'BigInt' }),
    unstakeAt: t.expose('unstakeAt', { type: 'DateTime', nullable: true }),
    sessionPubkey: t.expose('sessionPubkey', { type: 'Pubkey', nullable: true, description: 'Slashes only.' }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
  }),
});

builder.prismaObjectField('Provider', 'stakeChanges', (t) =>
  t.relatedConnection(
    'stakeChanges',
    { cursor: 'id', totalCount: true, query: { orderBy: { id: 'desc' } } },
    { name: 'ProviderStakeChangeConnection' },
    { name: 'ProviderStakeChangeEdge' },
  ),
);
