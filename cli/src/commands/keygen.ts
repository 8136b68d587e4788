// `dvpn keygen`: a new wallet in the Solana CLI's file format (what solana-keygen new writes).
import { lstatSync, statSync } from 'node:fs';
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
      const exists = `${path} already exists; refusing to overwrite a wallet (--force to replace it, or --outfile another path)`;
      const kp = Keypair.generate();
      try {
        if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${path} is a directory; --outfile takes a file path`);
        // lstat: a dangling symlink counts as existing (writing through it would put the key elsewhere).
        if (lstatSync(path, { throwIfNoEntry: false }) && !o.force) throw new CliError(exists);
        saveKeypair(path, kp, { overwrite: !!o.force });
      } catch (err) {
        if (err instanceof CliError) throw err;
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EEXIST' && !o.force && e.path === path) throw new CliError(exists);
        throw new CliError(`cannot write ${path}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '));
      }
      const json = command.optsWithGlobals<{ json?: boolean }>().json;
      out(json ? toJson({ publicKey: kp.publicKey, outfile: path }) : `Wrote new keypair to ${path}\npubkey: ${kp.publicKey.toBase58()}`);
    });
}
