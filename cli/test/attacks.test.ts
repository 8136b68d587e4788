// A hostile or careless user against the local-cluster commands (keygen,
// airdrop, dev mint, dev warp, node register), run as the real `dvpn` child
// process against the harness chain. Each case says what a user would check:
// nothing lost, nothing sent, and an error that says what is wrong.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Keypair } from '@solana/web3.js';
import { fetchProvider, findProviderPda } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProvider } from '../../tests/harness/fixtures.js';
import { initConfig } from './fixtures.js';
import { cliEnv, type CliEnv } from './helpers.js';

// Many child processes per case on a shared machine.
vi.setConfig({ testTimeout: 240_000 });

let chain: Chain;
let cli: CliEnv;
let home: string;

beforeAll(async () => {
  chain = await startChain();
  cli = cliEnv(chain);
  home = join(cli.dir, 'dvpn-home');
  mkdirSync(join(home, 'dev'), { recursive: true });
  writeFileSync(join(home, 'dev', 'mint-authority.json'), JSON.stringify([...chain.payer.secretKey]));
  await initConfig(chain);
});
afterAll(() => {
  cli?.cleanup();
  chain?.close();
});

/** No stack trace and no raw Node error code in front of the user. */
const clean = (stderr: string) => {
  expect(stderr).toMatch(/^Error: /);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('keygen', () => {
  it('--force over a world-readable wallet leaves it 0600 (the secret key is not left readable by others)', async () => {
    const path = join(cli.dir, 'readable.json');
    writeFileSync(path, JSON.stringify([...Keypair.generate().secretKey]));
    chmodSync(path, 0o644);
    const res = await cli.run(['keygen', '--outfile', path, '--force']);
    expect(res.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to write through a dangling symlink planted at the wallet path (the key would land elsewhere)', async () => {
    const target = join(cli.dir, 'elsewhere', 'stolen.json');
    mkdirSync(join(cli.dir, 'elsewhere'));
    const link = join(cli.dir, 'link.json');
    symlinkSync(target, link);
    const res = await cli.run(['keygen', '--outfile', link]);
    expect(res.code).toBe(1);
    clean(res.stderr);
    expect(res.stderr).toContain('already exists');
    expect(existsSync(target)).toBe(false);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a directory as --outfile is refused as a directory, with or without --force', async () => {
    const d = join(cli.dir, 'a-dir');
    mkdirSync(d);
    for (const extra of [[], ['--force']]) {
      const res = await cli.run(['keygen', '--outfile', d, ...extra]);
      expect(res.code).toBe(1);
      clean(res.stderr);
      expect(res.stderr).toContain(`${d} is a directory`);
    }
  });

  it('a path it cannot create says which path and why, without a stack trace', async () => {
    const file = join(cli.dir, 'plain-file');
    writeFileSync(file, 'x');
    const res = await cli.run(['keygen', '--outfile', join(file, 'id.json')]);
    expect(res.code).toBe(1);
    clean(res.stderr);
    expect(res.stderr).toContain(`cannot write ${join(file, 'id.json')}`);
  });
});

describe('airdrop amounts', () => {
  it('negative, NaN, Infinity, exponents, hex and empty are refused before anything is sent', async () => {
    const who = Keypair.generate();
    for (const bad of ['NaN', 'Infinity', '1e400', '0x10', ' ']) {
      const res = await cli.run(['airdrop', bad, who.publicKey.toBase58()]);
      expect(res.code, bad).toBe(1);
      clean(res.stderr);
      expect(res.stderr, bad).toContain('is not a non-negative decimal number');
    }
    const neg = await cli.run(['airdrop', '-1', who.publicKey.toBase58()]);
    expect(neg.code).toBe(1);
    expect(neg.stderr).toContain('"-1" is not a non-negative decimal number');
    expect(await chain.lamports(who.publicKey)).toBe(0n);
  });

  it('a huge amount is refused naming the limit', async () => {
    const who = Keypair.generate();
    const res = await cli.run(['airdrop', '10000000', who.publicKey.toBase58()]);
    expect(res.code).toBe(1);
    clean(res.stderr);
    expect(res.stderr).toContain('9007199.254740991 SOL');
    expect(await chain.lamports(who.publicKey)).toBe(0n);
  });

  it('an RPC that is not running says it cannot reach it', async () => {
    const down = await cli.run(['airdrop', '1'], { keypair: Keypair.generate(), url: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    clean(down.stderr);
    expect(down.stderr).toContain('cannot reach the cluster RPC');
  });
});

describe('dev mint and dev warp limits', () => {
  it('dev mint beyond u64 is refused naming the limit, nothing minted', async () => {
    const user = Keypair.generate();
    const res = await cli.run(['dev', 'mint', '99999999999999999999', '--to', user.publicKey.toBase58()], { home });
    expect(res.code).toBe(1);
    clean(res.stderr);
    expect(res.stderr).toContain('18446744073709.551615');
    expect(await chain.tokenBalance(user.publicKey)).toBe(0n);
  });

  it('dev warp by an absurd duration is refused naming the limit, and the chain keeps running', async () => {
    const before = await chain.now();
    const res = await cli.run(['dev', 'warp', '99999999999999d']);
    expect(res.code).toBe(1);
    clean(res.stderr);
    expect(res.stderr).toMatch(/at most \d+ days/);
    const now = await chain.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now - before).toBeLessThan(86_400n);
    // Still usable afterwards.
    const ok = await cli.json<{ now: string }>(['dev', 'warp', '60']);
    expect(BigInt(ok.now)).toBeGreaterThanOrEqual(before + 60n);
  });
});

describe('node register input', () => {
  const base = ['node', 'register', '--region', 'eu', '--price-sol', '0.001', '--capacity', '2'];
  const key = (b: number) => Buffer.alloc(32, b).toString('base64');

  it('endpoints that are not HOST:PORT are refused before anything is sent', async () => {
    const provider = await createProvider(chain);
    const bad: [string, string][] = [
      ['host:0', 'outside 1..65535'],
      ['host:99999', 'outside 1..65535'],
      ['a b:1', 'not HOST:PORT'],
      ['host', 'not HOST:PORT'],
      [':51820', 'not HOST:PORT'],
      ['vpn.exämple.net:51820', 'is not a host name'],
      ['-vpn.example.net:51820', 'is not a host name'],
      ['300.1.1.1:51820', 'not an IPv4 address'],
      ['[1:2:3]:51820', 'not an IPv6 address'],
      ['[:::]:51820', 'not an IPv6 address'],
      ['[1::2::3]:51820', 'not an IPv6 address'],
      ['::1:51820', 'not HOST:PORT'],
      [`${'a'.repeat(300)}:1`, 'bytes'],
    ];
    for (const [endpoint, why] of bad) {
      const res = await cli.run([...base, '--endpoint', endpoint, '--wg-pubkey', key(0x31)], { keypair: provider.authority });
      expect(res.code, endpoint).toBe(1);
      clean(res.stderr);
      expect(res.stderr, endpoint).toContain(why);
    }
    expect((await fetchProvider(chain.connection, findProviderPda(provider.authority.publicKey)[0]))!.nodeCount).toBe(0n);
  });

  it('IPv6 loopback and an IPv4-mapped address are accepted', async () => {
    const provider = await createProvider(chain);
    await cli.json([...base, '--endpoint', '[::1]:51820', '--wg-pubkey', key(0x41)], { keypair: provider.authority });
    await cli.json([...base, '--endpoint', '[::ffff:203.0.113.7]:51820', '--wg-pubkey', key(0x42)], { keypair: provider.authority });
    expect((await fetchProvider(chain.connection, findProviderPda(provider.authority.publicKey)[0]))!.nodeCount).toBe(2n);
  });

  it('WireGuard keys that are not keys: bad base64, wrong length, all zeros', async () => {
    const provider = await createProvider(chain);
    const bad = [
      'not base64!!',
      Buffer.alloc(31, 1).toString('base64'),
      Buffer.alloc(33, 1).toString('base64'),
      '0'.repeat(63),
      Buffer.alloc(32, 0).toString('base64'),
      '0'.repeat(64),
    ];
    for (const k of bad) {
      const res = await cli.run([...base, '--endpoint', 'vpn.example.net:51820', '--wg-pubkey', k], { keypair: provider.authority });
      expect(res.code, k).toBe(1);
      clean(res.stderr);
      expect(res.stderr, k).toMatch(/WireGuard public key/);
    }
    const zero = await cli.run([...base, '--endpoint', 'vpn.example.net:51820', '--wg-pubkey', Buffer.alloc(32).toString('base64')], { keypair: provider.authority });
    expect(zero.stderr).toContain('all zeros');
    expect((await fetchProvider(chain.connection, findProviderPda(provider.authority.publicKey)[0]))!.nodeCount).toBe(0n);
  });
});
