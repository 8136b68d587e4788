// `dvpn airdrop`: SOL from the cluster's faucet (requestAirdrop), for local and test clusters.
import { Command } from 'commander';
import { refuseOnMainnet } from '../cluster.js';
import { CliError } from '../errors.js';
import { formatSol, parsePubkey, parseSol } from '../format.js';
import { withContext } from '../run.js';

export function airdropCommand(): Command {
  return new Command('airdrop')
    .argument('<SOL>', 'amount of SOL, e.g. 2 or 0.5')
    .argument('[RECIPIENT]', 'wallet to fund (default: your keypair)')
    .description('Request SOL from the cluster (make dev / make chain, devnet, testnet); refused on mainnet')
    .addHelpText('after', '\nExamples:\n  $ dvpn airdrop 10\n  $ dvpn airdrop 1 7xKX...9fQ --json')
    .action(
      withContext(async (ctx, solText: string, recipientText: string | undefined) => {
        const lamports = parseSol(solText, '<SOL>');
        if (lamports === 0n) throw new CliError('<SOL>: must be more than 0');
        if (lamports > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError(`<SOL>: too large for one airdrop (the limit is ${formatSol(BigInt(Number.MAX_SAFE_INTEGER))}, what requestAirdrop can carry)`);
        const to = recipientText ? parsePubkey(recipientText, '[RECIPIENT]') : ctx.signer.publicKey;
        await refuseOnMainnet(ctx.connection, ctx.rpcUrl, 'airdrop');
        const { lastValidBlockHeight } = await ctx.connection.getLatestBlockhash('confirmed');
        let signature: string;
        try {
          signature = await ctx.connection.requestAirdrop(to, Number(lamports));
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          throw new CliError(`the cluster refused the airdrop (${why}); public faucets limit amount and rate, try less or later`);
        }
        const failed = await ctx.confirm(signature, lastValidBlockHeight);
        if (failed) throw new CliError(`airdrop transaction ${signature} failed: ${JSON.stringify(failed)}`);
        const balance = BigInt(await ctx.connection.getBalance(to, 'confirmed'));
        ctx.printRows({ signature, recipient: to, lamports, balance }, `Airdropped ${formatSol(lamports)} to ${to.toBase58()}`, [
          ['balance', formatSol(balance)],
          ['signature', signature],
        ]);
      }),
    );
}
