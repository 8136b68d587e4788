// Compute-unit budget: every instruction of the scenario in bench/cu-scenario.ts
// must stay within bench/cu-budget.json (the measured figure + 15 % when the
// budget was last set with `npx tsx bench/compute-units.ts --budget`). CU in
// litesvm are deterministic for a given .so and inputs, so this is not a
// timing assertion: a new check that costs more must be budgeted on purpose.
// The README's table is generated from the same measurement and checked here,
// so the figures a reader sees are this build's (`npx tsx bench/compute-units.ts`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CU_TABLE_END, CU_TABLE_START, cuTableMarkdown, measureComputeUnits } from '../../bench/cu-scenario.js';
import { ROOT } from './setup.js';

const budget: Record<string, number> = JSON.parse(readFileSync(join(ROOT, 'bench', 'cu-budget.json'), 'utf8'));

describe('compute-unit budget', () => {
  const { rows, tickRows } = measureComputeUnits();
  const measured: Record<string, number> = Object.fromEntries(rows.map((r) => [r.name, Number(r.cu)]));
  for (const r of tickRows) {
    measured[`claim_chunk, usage, ${r.ticks} ticks (SOL)`] = Number(r.sol);
    measured[`claim_chunk, usage, ${r.ticks} ticks (USDC)`] = Number(r.usdc);
  }

  it('every measured instruction has a budget and every budget is measured', () => {
    expect(Object.keys(measured).sort()).toEqual(Object.keys(budget).sort());
  });

  it.each(Object.keys(budget))('%s stays within its budget', (name) => {
    expect(measured[name], `${name}: ${measured[name]} CU, budget ${budget[name]}`).toBeLessThanOrEqual(budget[name]);
  });

  it("the README's table is this build's figures (npx tsx bench/compute-units.ts rewrites it)", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(CU_TABLE_START);
    const end = readme.indexOf(CU_TABLE_END);
    expect(start, 'README.md has the cu-table markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(start + CU_TABLE_START.length, end).trim()).toBe(cuTableMarkdown(rows, tickRows));
  });
});
