// Every command and subcommand has a description and help text with examples.
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../tests/harness/surfnet.js';
import { buildProgram } from '../src/program.js';

const run = promisify(execFile);

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

function walk(cmd: Command, path: string[] = []): [string, Command][] {
  return cmd.commands.flatMap((c) => [[[...path, c.name()].join(' '), c] as [string, Command], ...walk(c, [...path, c.name()])]);
}

const EXPECTED = [
  'config init', 'config update', 'config accept-admin', 'config show',
  'provider register', 'provider show', 'provider stake', 'provider unstake', 'provider withdraw',
  'node register', 'node update', 'node show', 'node list',
  'session open', 'session show', 'session list', 'session tick', 'session close', 'session claim', 'session payout',
  'session dispute', 'session resolve', 'session rate',
  'connect', 'keygen', 'airdrop', 'dev mint', 'dev warp',
];

describe('dvpn --help', () => {
  const program = buildProgram();
  const commands = walk(program);

  it('has exactly the commands listed here (a new or removed command updates this list and the docs)', () => {
    const leaves = commands.filter(([, c]) => c.commands.length === 0).map(([name]) => name);
    expect(leaves.sort()).toEqual([...EXPECTED].sort());
  });

  it.each(walk(buildProgram()).map(([name]) => name))('`dvpn %s --help` describes it and shows examples', (name) => {
    const cmd = commands.find(([n]) => n === name)![1];
    const help = helpOf(cmd);
    expect(cmd.description().length).toBeGreaterThan(10);
    expect(help).toContain(`Usage: dvpn ${name}`);
    expect(help).toContain('Examples:');
    expect(help).toMatch(new RegExp(`\\$ dvpn ${name.split(' ')[0]}`));
  });

  it('the installed bin (node_modules/.bin/dvpn, what `npx dvpn` runs) works without a build step', async () => {
    const bin = resolve(REPO_ROOT, 'node_modules/.bin/dvpn');
    expect(realpathSync(bin)).toBe(realpathSync(resolve(REPO_ROOT, 'cli/bin/dvpn.js')));
    const { stdout } = await run(bin, ['--help'], { cwd: REPO_ROOT });
    expect(stdout).toContain('Usage: dvpn [options] [command]');
    expect(stdout).toMatch(/session\s+VPN sessions/);
  });
});
