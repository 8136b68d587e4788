import { Keypair } from '@solana/web3.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '../src/index.js';
import { defaultKeypairPath, loadKeypair, programKeypairPath, readProgramSo, saveKeypair } from '../src/node/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dvpn-sdk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('node helpers', () => {
  it('default keypair path is the Solana CLI one', () => {
    expect(defaultKeypairPath()).toBe(join(homedir(), '.config', 'solana', 'id.json'));
  });

  it('saves and loads the Solana CLI JSON format', () => {
    const kp = Keypair.generate();
    const file = join(dir, 'nested', 'id.json');
    saveKeypair(file, kp);
    const text = JSON.parse(readFileSync(file, 'utf8')) as number[];
    expect(text).toHaveLength(64);
    expect(loadKeypair(file).publicKey.equals(kp.publicKey)).toBe(true);
  });

  it('rejects files that are not keypairs', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[1,2,3]');
    expect(() => loadKeypair(bad)).toThrow(/64 bytes/);
    expect(() => loadKeypair(join(dir, 'missing.json'))).toThrow(/cannot read keypair/);
  });

  it('the program keypair in the repo is the program id', () => {
    expect(loadKeypair(programKeypairPath()).publicKey.equals(DVPN_PROGRAM_ID)).toBe(true);
  });

  it('readProgramSo says how to build a missing program', () => {
    expect(() => readProgramSo(join(dir, 'none.so'))).toThrow(/make program/);
    const so = join(dir, 'fake.so');
    writeFileSync(so, Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    expect(readProgramSo(so).subarray(0, 4).toString('hex')).toBe('7f454c46');
  });
});
