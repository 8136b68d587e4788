// Ratings: one per session, given by its user after it ended.
import { builder } from '../builder.js';

export const Rating = builder.prismaObject('Rating', {
  description: "A user's rating (1..5) of an ended session, and the provider's reputation right after it.",
  fields: (t) => ({
    sessionPubkey: t.expose('sessionPubkey', { type: 'Pubkey' }),
    sessionGeneration: t.exposeInt('sessionGeneration', { description: 'Which opening of the session address (Session.generation).' }),
    providerPubkey: t.expose('providerPubkey', { type: 'Pubkey' }),
    session: t.relation('session'),
    provider: t.relation('provider'),
    user: t.expose('user', { type: 'Pubkey' }),
    rating: t.exposeInt('rating'),
    reputationScore: t.exposeInt('reputationScore'),
    ratingCount: t.expose('ratingCount', { type: 'BigInt' }),
    timestamp: t.expose('timestamp', { type: 'DateTime' }),
    signature: t.exposeString('signature'),
  }),
});

builder.prismaObjectField('Session', 'rating', (t) => t.relation('rating', { nullable: true }));

builder.prismaObjectField('Provider', 'ratings', (t) =>
  t.relatedConnection(
    'ratings',
    { cursor: 'sessionPubkey_sessionGeneration', totalCount: true, query: { orderBy: [{ timestamp: 'desc' }, { sessionPubkey: 'desc' }, { sessionGeneration: 'desc' }] } },
    { name: 'ProviderRatingConnection' },
    { name: 'ProviderRatingEdge' },
  ),
);
