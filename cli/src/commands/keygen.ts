// `dvpn keygen`: a new wallet in the Solana CLI's file format (what solana-keygen new writes).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { Keypair } from '@solana/web3.js';
import { saveKeypair } from '@dvpn/sdk/node';
import { out } from '../context.js';
import { CliError } from '../errors.js';
import { toJson } from '../format.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description('Create a new keypair file (Solana CLI JSON, mode 0600); refuses to overwrite one')
    .option('-o, --outfile <PATH>', 'where to write it', join(homedir(), '.config', 'solana', 'id.json'))
    .option('--force', 'overwrite an existing file (its key is lost)')
    .addHelpText(
      'after',
      `
The default path is the wallet every dvpn and Solana command uses when no
--keypair is given.

Examples:
  $ dvpn keygen
  $ dvpn keygen --outfile provider.json
  $ dvpn --keypair provider.json airdrop 10`,
    )
    .action((o: { outfile: string; force?: boolean }, command: Command) => {
      const path = resolve(o.outfile.replace(/^~(?=$|\/)/, homedir()));
      if (existsSync(path) && !o.force) {
        throw new CliError(`${path} already exists; refusing to overwrite a wallet (--force to replace it, or --outfile another path)`);
      }
      const kp = Keypair.generate();
      saveKeypair(path, kp);
      const json = command.optsWithGlobals<{ json?: boolean }>().json;
      out(json ? toJson({ publicKey: kp.publicKey, outfile: path }) : `Wrote new keypair to ${path}\npubkey: ${kp.publicKey.toBase58()}`);
    });
}
