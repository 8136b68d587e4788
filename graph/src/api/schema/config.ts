// The program's Config singleton.
import { builder } from '../builder.js';

export const Config = builder.prismaObject('Config', {
  name: 'ProgramConfig',
  description: 'Program configuration (account `Config`, PDA "config").',
  fields: (t) => ({
    pubkey: t.expose('pubkey', { type: 'Pubkey' }),
    admin: t.expose('admin', { type: 'Pubkey', description: 'Dispute resolver.' }),
    treasury: t.expose('treasury', { type: 'Pubkey' }),
    tokenMint: t.expose('tokenMint', { type: 'Pubkey', description: 'The accepted SPL token (USDC).' }),
    protocolFeeBps: t.exposeInt('protocolFeeBps'),
    minProviderStake: t.expose('minProviderStake', { type: 'BigInt' }),
    unbondingSeconds: t.expose('unbondingSeconds', { type: 'BigInt' }),
    settleWindowSeconds: t.expose('settleWindowSeconds', { type: 'BigInt' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastSlot: t.expose('lastSlot', { type: 'BigInt' }),
  }),
});

builder.queryField('config', (t) =>
  t.prismaField({
    type: 'Config',
    nullable: true,
    resolve: (query, _root, _args, ctx) => ctx.prisma.config.findFirst({ ...query }),
  }),
);
