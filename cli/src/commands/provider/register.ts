// `dvpn provider register`: Register your keypair as a provider (creates the Provider and its stake vault)
import { Command } from 'commander';
import { findProviderPda, findStakeVaultPda, ix } from '@dvpn/sdk';
import { formatSol, parseSol } from '../../format.js';
import { withContext } from '../../run.js';

export function providerRegisterCommand(): Command {
  return new Command('register')
    .description('Register your keypair as a provider (creates the Provider and its stake vault)')
    .option('--stake <SOL>', 'also stake this much SOL in the same transaction')
    .addHelpText('after', '\nExamples:\n  $ dvpn provider register\n  $ dvpn provider register --stake 2 --keypair ~/.config/solana/provider.json')
    .action(
      withContext(async (ctx, o: { stake?: string }) => {
        const authority = ctx.signer.publicKey;
        const ixs = [ix.registerProvider({ authority })];
        const stake = o.stake !== undefined ? parseSol(o.stake, '--stake') : 0n;
        if (stake > 0n) ixs.push(ix.stakeProvider({ authority, amount: stake }));
        const res = await ctx.send(ixs);
        const [provider] = findProviderPda(authority);
        const [stakeVault] = findStakeVaultPda(provider);
        ctx.printRows({ signature: res.signature, provider, authority, stakeVault, stakeLamports: stake, events: res.events }, 'Provider registered', [
          ['provider', provider],
          ['authority', authority],
          ['stake vault', stakeVault],
          ['stake', formatSol(stake)],
          ['signature', res.signature],
        ]);
      }),
    );
}
