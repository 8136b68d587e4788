import type { Command } from 'commander';
import { Context, type GlobalOptions } from './context.js';

/**
 * Wraps a commander action: builds the Context from the global options
 * (--url, --ws-url, --keypair, --json) and passes the positional arguments
 * and the command's own options through. Errors propagate to main().
 */
export function withContext<A extends unknown[]>(fn: (ctx: Context, ...args: A) => Promise<void>) {
  return async (...raw: unknown[]): Promise<void> => {
    const command = raw[raw.length - 1] as Command;
    const ctx = new Context(command.optsWithGlobals() as GlobalOptions);
    await fn(ctx, ...(raw.slice(0, -1) as A));
  };
}
