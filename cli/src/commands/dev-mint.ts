// `dvpn dev mint`: dev USDC (the Config's token mint) to a wallet, signed by the
// mint authority that `make dev` / `make chain` keep in $DVPN_HOME/dev.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { createAssociatedTokenAccountIdempotentInstruction, createMintToInstruction, getAssociatedTokenAddressSync } from '@solana/spl-token';
import { readKeypairFile } from '../context.js';
import { refuseOnMainnet } from '../cluster.js';
import { CliError } from '../errors.js';
import { formatUnits, parsePubkey, parseUnits } from '../format.js';
import { withContext } from '../run.js';
import { dvpnHome } from '../state.js';

/** Where `make dev` / `make chain` leave the dev mint's authority (Solana CLI JSON). */
export const devMintAuthorityPath = (env: NodeJS.ProcessEnv = process.env) =>
  env.DVPN_DEV_MINT_AUTHORITY && env.DVPN_DEV_MINT_AUTHORITY.length > 0 ? env.DVPN_DEV_MINT_AUTHORITY : join(dvpnHome(env), 'dev', 'mint-authority.json');

export function devMintCommand(): Command {
  return new Command('mint')
    .argument('<AMOUNT>', 'amount of the Config token (dev USDC), e.g. 100 or 0.5')
    .description("Mint dev USDC (the Config's token mint) into a wallet's token account, which is created if needed")
    .option('--to <WALLET>', 'wallet to fund (default: your keypair)')
    .option('--mint-authority <PATH>', 'the mint authority keypair (default: $DVPN_DEV_MINT_AUTHORITY, else $DVPN_HOME/dev/mint-authority.json, where make dev keeps it)')
    .addHelpText(
      'after',
      `
The mint authority also pays the fee, so the wallet needs no SOL.

Examples:
  $ dvpn dev mint 100
  $ dvpn dev mint 25 --to 7xKX...9fQ`,
    )
    .action(
      withContext(async (ctx, amountText: string, o: { to?: string; mintAuthority?: string }) => {
        const authorityPath = o.mintAuthority ?? devMintAuthorityPath();
        if (!existsSync(authorityPath)) {
          throw new CliError(`no mint authority at ${authorityPath}: start the dev cluster (make dev or make chain), or pass --mint-authority PATH`);
        }
        const authority = readKeypairFile(authorityPath);
        const to = o.to ? parsePubkey(o.to, '--to') : ctx.signer.publicKey;
        await refuseOnMainnet(ctx.connection, ctx.rpcUrl, 'dev mint');
        const config = await ctx.config();
        const mint = await ctx.mint(config.tokenMint);
        if (!mint.mintAuthority || !mint.mintAuthority.equals(authority.publicKey)) {
          throw new CliError(
            `${authorityPath} (${authority.publicKey.toBase58()}) is not the mint authority of ${config.tokenMint.toBase58()} ` +
              `(${mint.mintAuthority?.toBase58() ?? 'none: the supply is fixed'}); is this the cluster make dev started?`,
          );
        }
        const amount = parseUnits(amountText, mint.decimals, '<AMOUNT>');
        if (amount === 0n) throw new CliError('<AMOUNT>: must be more than 0');
        const account = getAssociatedTokenAddressSync(config.tokenMint, to, true);
        const res = await ctx.send(
          [
            createAssociatedTokenAccountIdempotentInstruction(authority.publicKey, account, to, config.tokenMint),
            createMintToInstruction(config.tokenMint, account, authority.publicKey, amount),
          ],
          [authority],
          authority,
        );
        const balance = (await ctx.connection.getTokenAccountBalance(account, 'confirmed')).value.amount;
        ctx.printRows(
          { signature: res.signature, mint: config.tokenMint, recipient: to, tokenAccount: account, amount, balance: BigInt(balance) },
          `Minted ${formatUnits(amount, mint.decimals)} USDC to ${to.toBase58()}`,
          [
            ['token account', account],
            ['balance', `${formatUnits(BigInt(balance), mint.decimals)} USDC`],
            ['mint', config.tokenMint],
            ['signature', res.signature],
          ],
        );
      }),
    );
}
