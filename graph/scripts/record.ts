// Records real transactions from the embedded chain as replay fixtures.
//   tsx graph/scripts/record.ts scenario <out.json>          every event type (graph/test/fixtures/scenario.json)
//   tsx graph/scripts/record.ts traffic <out.json.gz> <events> a long stream for bench/ingest.ts
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startChain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig } from '../../tests/harness/fixtures.js';
import { recordProgramTransactions } from '../src/ingest/record.js';
import { runScenario, runTraffic } from '../test/scenario.js';

export async function recordScenario(): Promise<unknown[]> {
  const chain = await startChain();
  try {
    await runScenario(chain);
    return await recordProgramTransactions(chain.rpcUrl);
  } finally {
    chain.close();
  }
}

/**
 * Traffic until about `events` events are recorded (16 events per round of 3
 * transactions). The embedded runtime slows down as its history grows, so the
 * stream is recorded in chunks, each on a fresh chain (its own config,
 * provider, node and users), and the recordings are concatenated.
 */
export async function recordTraffic(events: number, log: (s: string) => void = () => undefined, chunkEvents = 2_000): Promise<unknown[]> {
  const out: unknown[] = [];
  let recorded = 0;
  const t0 = Date.now();
  while (recorded < events) {
    const chain = await startChain();
    try {
      const cfg = await initConfig(chain);
      const node = await createProviderWithNode(chain, { maxCapacity: 1_000_000 });
      const rounds = Math.ceil(Math.min(chunkEvents, events - recorded) / 16);
      await runTraffic(chain, { cfg, node }, { rounds, perTx: 4, parallel: 4 });
      const txs = await recordProgramTransactions(chain.rpcUrl);
      out.push(...txs);
      recorded += rounds * 16;
      log(`  ${recorded} events, ${out.length} transactions recorded (${Math.round((Date.now() - t0) / 1000)} s)`);
    } finally {
      chain.close();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const [what, out, n] = process.argv.slice(2);
  if (!out || (what !== 'scenario' && what !== 'traffic')) {
    console.error('usage: tsx graph/scripts/record.ts scenario|traffic <out.json[.gz]> [events]');
    process.exit(2);
  }
  const txs = what === 'scenario' ? await recordScenario() : await recordTraffic(Number(n ?? 30_000), console.log);
  const json = what === 'scenario' ? JSON.stringify(txs, null, 1) : JSON.stringify(txs);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, out.endsWith('.gz') ? gzipSync(json) : json);
  console.log(`${txs.length} transactions written to ${out}`);
}

if (process.argv[1]?.endsWith('record.ts')) {
  main().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
}
