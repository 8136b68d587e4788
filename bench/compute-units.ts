// Compute units per dvpn instruction (bench/cu-scenario.ts), printed as
// markdown and written into the README between the cu-table markers, so the
// README's table is always what `make bench` measured.
//   npx tsx bench/compute-units.ts            print + update README.md
//   npx tsx bench/compute-units.ts --budget   also rewrite bench/cu-budget.json (figures + 15 %)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../tests/program/setup.js';
import { CU_TABLE_END, CU_TABLE_START, cuTableMarkdown, measureComputeUnits } from './cu-scenario.js';

const { rows, tickRows } = measureComputeUnits();
const table = cuTableMarkdown(rows, tickRows);
console.log(table);

const readme = join(ROOT, 'README.md');
const text = readFileSync(readme, 'utf8');
const a = text.indexOf(CU_TABLE_START);
const b = text.indexOf(CU_TABLE_END);
if (a >= 0 && b > a) {
  writeFileSync(readme, `${text.slice(0, a + CU_TABLE_START.length)}\n${table}\n${text.slice(b)}`);
  console.log(`\nupdated ${readme}`);
}

if (process.argv.includes('--budget')) {
  // The budget the test enforces: today's figure + 15 %, rounded up.
  const budget = Object.fromEntries(rows.map((r) => [r.name, Math.ceil(Number(r.cu) * 1.15)]));
  for (const r of tickRows) budget[`claim_chunk, usage, ${r.ticks} ticks (SOL)`] = Math.ceil(Number(r.sol) * 1.15);
  for (const r of tickRows) budget[`claim_chunk, usage, ${r.ticks} ticks (USDC)`] = Math.ceil(Number(r.usdc) * 1.15);
  writeFileSync(join(ROOT, 'bench', 'cu-budget.json'), `${JSON.stringify(budget, null, 2)}\n`);
  console.log('wrote bench/cu-budget.json');
}
