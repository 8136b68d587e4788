// Compute units per dvpn instruction (bench/cu-scenario.ts), printed as
// markdown and written into the README between the cu-table markers, so the
// README's table is always what `make bench` measured.
//   npx tsx bench/compute-units.ts            print + update README.md
//   npx tsx bench/compute-units.ts --budget   also rewrite bench/cu-budget.json (figures + 15 %)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../tests/program/setup.js';
import { measureComputeUnits } from './cu-scenario.js';

const { rows, tickRows } = measureComputeUnits();
const fmt = (n: bigint) => n.toLocaleString('en-US');
const out: string[] = [];
out.push('### Compute units per instruction');
out.push('');
out.push('Measured with litesvm on `target/deploy/dvpn.so` (`make bench`). CU includes the CPIs the instruction makes.');
out.push('');
out.push('| instruction | compute units | CPIs |');
out.push('| --- | ---: | ---: |');
for (const r of rows) out.push(`| ${r.name} | ${fmt(r.cu)} | ${r.cpis} |`);
out.push('');
out.push('### claim_chunk (usage session) by ticks verified per claim');
out.push('');
out.push('| ticks per claim | CU (SOL) | CU (USDC) | CU per tick (SOL) | CPIs (SOL / USDC) |');
out.push('| ---: | ---: | ---: | ---: | ---: |');
for (const r of tickRows) out.push(`| ${r.ticks} | ${fmt(r.sol)} | ${fmt(r.usdc)} | ${(Number(r.sol) / r.ticks).toFixed(1)} | ${r.cpisSol} / ${r.cpisUsdc} |`);

const table = out.join('\n');
console.log(table);

const readme = join(ROOT, 'README.md');
const START = '<!-- cu-table:start (written by bench/compute-units.ts) -->';
const END = '<!-- cu-table:end -->';
const text = readFileSync(readme, 'utf8');
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a >= 0 && b > a) {
  writeFileSync(readme, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
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
