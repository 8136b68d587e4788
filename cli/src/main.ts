// `dvpn`: command-line client of the DVPN marketplace.
import { buildProgram } from './program.js';
import { describeError } from './errors.js';
import { toJson } from './format.js';

function flushAndExit(code: number): void {
  // Wait for stdout/stderr to drain (pipes may be asynchronous), then exit even if sockets are open.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    flushAndExit(0);
  } catch (err) {
    const { message, details, logs } = describeError(err);
    const opts = program.opts<{ json?: boolean; verbose?: boolean }>();
    if (opts.json) process.stdout.write(`${toJson({ error: { message, ...details } })}\n`);
    process.stderr.write(`Error: ${message}\n`);
    if (opts.verbose && logs.length > 0) process.stderr.write(`Program logs:\n  ${logs.join('\n  ')}\n`);
    flushAndExit(1);
  }
}

await main();
