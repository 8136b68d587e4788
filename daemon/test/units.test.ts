// Unit tests: key and argument validation, the WireGuard driver's argv (with
// a stand-in `wg`), dump parsing, the address pool, the crash-safe state
// store, config loading, rate limiting, routing, claim planning, and the
// client-side helpers of `dvpn connect`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair, PublicKey, Transaction, TransactionInstruction } from '@solana/web3.js';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionMode, SessionState, createHashChain, wgQuickConfig, type AuthAnswer, type SessionAccount } from '@dvpn/sdk';
import { debtAllowance, ownTickLimit, tickIntervalSeconds, tickToPay, defaultApiUrl } from '../../cli/src/commands/connect.js';
import { ConfigError, configFromEnv, loadConfig } from '../src/config.js';
import { RateLimiter } from '../src/http/rate-limit.js';
import { Router, type Route } from '../src/http/router.js';
import { newRecord } from '../src/sessions/records.js';
import { planClaim } from '../src/sessions/claimer.js';
import { ChainClient, PACKET_DATA_SIZE, instructionIndexOf } from '../src/chain/client.js';
import { pino } from 'pino';
import { StateStore } from '../src/state/store.js';
import { generateWgKeypair, isValidInterfaceName, isValidWgKey, wgPublicKeyOf } from '../src/wireguard/keys.js';
import { AddressPool, PoolExhaustedError } from '../src/wireguard/pool.js';
import { Egress, egressRuleset, egressTableName, unisolatedWarning } from '../src/wireguard/egress.js';
import { WireGuard, parseDump } from '../src/wireguard/wg.js';

const tmp = mkdtempSync(join(tmpdir(), 'dvpn-units-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('WireGuard keys', () => {
  it('accepts generated keys and derives public keys like `wg pubkey`', async () => {
    const k = generateWgKeypair();
    expect(isValidWgKey(k.publicKey)).toBe(true);
    expect(isValidWgKey(k.privateKey)).toBe(true);
    expect(wgPublicKeyOf(k.privateKey)).toBe(k.publicKey);
    const viaWg = await new Promise<string | null>((resolve) => {
      const child = execFile('wg', ['pubkey'], (err, stdout) => resolve(err ? null : stdout.trim()));
      child.stdin?.end(`${k.privateKey}\n`);
    });
    if (viaWg !== null) expect(viaWg).toBe(k.publicKey);
  });

  it('refuses anything but canonical base64 of 32 bytes', () => {
    const v = generateWgKeypair().publicKey;
    for (const bad of [
      '',
      v.slice(0, 43),
      `${v} `,
      ` ${v}`,
      `${v}\n`,
      `${v.slice(0, 42)}B=`,
      `-${v.slice(1)}`,
      `$(${v.slice(0, 40)})`,
      Buffer.alloc(32).toString('hex'),
      Buffer.alloc(33).toString('base64'),
      undefined,
      42,
    ]) {
      expect(isValidWgKey(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('validates interface names', () => {
    for (const ok of ['wg0', 'dvs1234', 'a.b-c_d', 'x'.repeat(15)]) expect(isValidInterfaceName(ok)).toBe(true);
    for (const bad of ['', 'x'.repeat(16), '-wg', 'wg 0', 'wg0;ls', '../wg', 'wg/0']) expect(isValidInterfaceName(bad)).toBe(false);
  });
});

describe('WireGuard driver', () => {
  const fakeWg = join(tmp, 'fake-wg');
  const log = join(tmp, 'wg-argv.log');
  writeFileSync(
    fakeWg,
    `#!${process.execPath}
const fs = require('fs');
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');
if (process.argv[3] === 'dump' || process.argv[4] === 'dump') {
  process.stdout.write('priv\\tSERVERKEYSERVERKEYSERVERKEYSERVERKEYSERVERK=\\t51820\\toff\\n');
} else if (process.argv[4] === 'public-key') {
  process.stdout.write('${generateWgKeypair().publicKey}\\n');
}
`,
  );
  chmodSync(fakeWg, 0o755);
  const argv = () =>
    readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string[]);

  it('passes each argument as one argv entry, never through a shell', async () => {
    writeFileSync(log, '');
    const wg = new WireGuard({ iface: 'wgtest0', wgBin: fakeWg, ipBin: fakeWg });
    const key = generateWgKeypair().publicKey;
    await wg.setPeer(key, '10.77.0.9');
    await wg.removePeer(key);
    await wg.configure({ privateKeyPath: '/etc/dvpn/my key$(id).key', listenPort: 51820, address: '10.77.0.1', prefix: 24 });
    expect(argv()).toEqual([
      ['set', 'wgtest0', 'peer', key, 'allowed-ips', '10.77.0.9/32'],
      ['set', 'wgtest0', 'peer', key, 'remove'],
      ['set', 'wgtest0', 'listen-port', '51820', 'private-key', '/etc/dvpn/my key$(id).key'],
      ['address', 'replace', '10.77.0.1/24', 'dev', 'wgtest0'],
      ['link', 'set', 'dev', 'wgtest0', 'up'],
    ]);
  });

  it('batches peer changes requested together into one `wg set`', async () => {
    writeFileSync(log, '');
    const wg = new WireGuard({ iface: 'wgtest0', wgBin: fakeWg });
    const [a, b, c] = [generateWgKeypair().publicKey, generateWgKeypair().publicKey, generateWgKeypair().publicKey];
    await Promise.all([wg.setPeer(a, '10.77.0.2'), wg.removePeer(b), wg.setPeer(c, '10.77.0.3')]);
    expect(argv()).toEqual([['set', 'wgtest0', 'peer', a, 'allowed-ips', '10.77.0.2/32', 'peer', b, 'remove', 'peer', c, 'allowed-ips', '10.77.0.3/32']]);
  });

  it('refuses hostile arguments before running anything', async () => {
    writeFileSync(log, '');
    const wg = new WireGuard({ iface: 'wgtest0', wgBin: fakeWg });
    const key = generateWgKeypair().publicKey;
    await expect(wg.setPeer(`${key};reboot`, '10.77.0.9')).rejects.toThrow(/32 bytes/);
    await expect(wg.setPeer(key, '10.77.0.9/0')).rejects.toThrow(/IPv4/);
    await expect(wg.setPeer(key, '10.77.0.9 allowed-ips 0.0.0.0')).rejects.toThrow(/IPv4/);
    await expect(wg.removePeer('--help')).rejects.toThrow(/32 bytes/);
    expect(() => new WireGuard({ iface: 'wg0; rm -rf /' })).toThrow(/interface name/);
    await expect(wg.configure({ privateKeyPath: '-h', listenPort: 1, address: '10.0.0.1', prefix: 24 })).rejects.toThrow();
    expect(readFileSync(log, 'utf8')).toBe('');
  });

  it('reports a failing command with its stderr', async () => {
    const wg = new WireGuard({ iface: 'wgtest0', wgBin: '/bin/false' });
    await expect(wg.dump()).rejects.toThrow(/failed/);
  });
});

describe('wg show dump', () => {
  it('parses interface and peers', () => {
    const text = [
      'PRIV\tSRVPUB\t51820\toff',
      'PEER1\t(none)\t192.0.2.2:40000\t10.77.0.2/32\t1700000000\t1234\t5678\t25',
      'PEER2\t(none)\t(none)\t10.77.0.3/32,10.77.1.0/24\t0\t0\t0\toff',
      '',
    ].join('\n');
    const d = parseDump(text);
    expect(d.publicKey).toBe('SRVPUB');
    expect(d.listenPort).toBe(51820);
    expect(d.peers).toEqual([
      { publicKey: 'PEER1', endpoint: '192.0.2.2:40000', allowedIps: ['10.77.0.2/32'], latestHandshake: 1700000000, rxBytes: 1234n, txBytes: 5678n },
      { publicKey: 'PEER2', endpoint: null, allowedIps: ['10.77.0.3/32', '10.77.1.0/24'], latestHandshake: 0, rxBytes: 0n, txBytes: 0n },
    ]);
    expect(() => parseDump('')).toThrow();
    expect(() => parseDump('a\tb\tc\td\nshort\tline')).toThrow();
  });
});

describe('address pool', () => {
  it('is deterministic per key, skips taken and reserved addresses', () => {
    const pool = new AddressPool('10.77.0.0/24');
    expect(pool.serverAddress).toBe('10.77.0.1');
    expect(pool.size).toBe(253);
    const key = generateWgKeypair().publicKey;
    const a = pool.allocate(key, () => false);
    expect(pool.allocate(key, () => false)).toBe(a);
    expect(pool.isClientAddress(a)).toBe(true);
    const b = pool.allocate(key, (ip) => ip === a);
    expect(b).not.toBe(a);
    const seen = new Set<string>();
    for (let i = 0; i < 253; i++) {
      const ip = pool.allocate(randomBytes(32).toString('base64'), (x) => seen.has(x));
      expect(seen.has(ip)).toBe(false);
      expect(['10.77.0.0', '10.77.0.1', '10.77.0.255']).not.toContain(ip);
      seen.add(ip);
    }
    expect(() => pool.allocate(key, (x) => seen.has(x))).toThrow(PoolExhaustedError);
  });

  it('honours a custom server address and refuses bad pools', () => {
    const pool = new AddressPool('10.9.0.0/29', '10.9.0.6');
    const all = new Set<string>();
    for (let i = 0; i < 5; i++) all.add(pool.allocate(String(i), (x) => all.has(x)));
    expect([...all].sort()).toEqual(['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5']);
    expect(() => new AddressPool('10.9.0.0/31')).toThrow();
    expect(() => new AddressPool('10.9.0.0/24', '10.9.1.1')).toThrow();
    expect(() => new AddressPool('fd00::/64')).toThrow();
  });
});

function sampleRecord(session = Keypair.generate().publicKey.toBase58()) {
  const account = {
    user: Keypair.generate().publicKey,
    paymentMint: PublicKey.default,
    mode: SessionMode.Usage,
    startTs: 1000n,
    endTs: 4600n,
    maxTicks: 100n,
    tickAmount: 10n,
    escrowAmount: 1000n,
    lastTick: 0n,
    lastProofHash: new Uint8Array(32).fill(9),
  } as unknown as SessionAccount;
  return newRecord(session, account, Date.now());
}

describe('state store', () => {
  it('persists records and replay entries across reopen, journal and snapshot', async () => {
    const dir = join(tmp, 'store1');
    let store = await StateStore.open({ dir });
    const r = sampleRecord();
    r.latestTick = 7n;
    store.put(r);
    expect(store.addReplay('aa', Math.floor(Date.now() / 1000) + 60)).toBe(true);
    expect(store.addReplay('aa', Math.floor(Date.now() / 1000) + 60)).toBe(false);
    expect(store.addReplay('old', Math.floor(Date.now() / 1000) - 1)).toBe(true);
    await store.flush();
    // Simulate a crash: no close(), just reopen over the journal (release the lock by hand).
    rmSync(join(dir, 'daemon.lock'));
    store = await StateStore.open({ dir });
    expect(store.sessions.get(r.session)?.latestTick).toBe(7n);
    expect(store.hasReplay('aa')).toBe(true);
    expect(store.hasReplay('old')).toBe(false);
    r.latestTick = 9n;
    store.put(r);
    await store.close();
    store = await StateStore.open({ dir });
    expect(store.sessions.get(r.session)?.latestTick).toBe(9n);
    await store.close();
  });

  it('skips torn records, last or in the middle (a full disk), and applies the whole records after them', async () => {
    const dir = join(tmp, 'store2');
    let store = await StateStore.open({ dir });
    const r = sampleRecord();
    store.put(r);
    await store.flush();
    rmSync(join(dir, 'daemon.lock'));
    appendFileSync(join(dir, 'journal.jsonl'), '{"seq": 99, "t": "sess');
    store = await StateStore.open({ dir });
    expect(store.sessions.has(r.session)).toBe(true);
    await store.close();
    const later = { ...r, latestTick: 5n };
    const line = (seq: number, tick: bigint) => JSON.stringify({ seq, t: 'session', v: { ...later, latestTick: tick } }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    // A record cut mid-JSON between whole ones, and one glued to a torn one on the same line.
    writeFileSync(join(dir, 'journal.jsonl'), `${line(1000, 3n)}\n${line(1001, 4n).slice(0, 40)}\n${line(1002, 5n).slice(0, 30)}${line(1003, 6n)}\n`);
    store = await StateStore.open({ dir });
    expect(store.tornRecords).toBe(1);
    expect(store.sessions.get(r.session)?.latestTick).toBe(6n);
    await store.close();
  });

  it('with the disk full: flush fails with a clear error, leaves no torn record, and writes it all once there is space (tmpfs; root)', async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip('needs root to mount a small tmpfs (a real full disk)');
    const { execFileSync } = await import('node:child_process');
    const { StateWriteError } = await import('../src/state/store.js');
    const mnt = join(tmp, 'full');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    try {
      const dir = join(mnt, 'state');
      let store = await StateStore.open({ dir });
      const r = sampleRecord();
      store.put(r);
      await store.flush();
      // Fill the disk: the next records cannot be written whole.
      const filler = join(mnt, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        /* dd stops at ENOSPC */
      }
      for (let i = 1; i <= 50; i++) {
        r.latestTick = BigInt(i);
        store.put(r);
      }
      const err = await store.flush().catch((e) => e);
      expect(err).toBeInstanceOf(StateWriteError);
      expect(err.code).toBe('ENOSPC');
      // Every line in the journal is whole.
      for (const l of readFileSync(join(dir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
      rmSync(filler);
      await store.flush();
      rmSync(join(dir, 'daemon.lock'));
      store = await StateStore.open({ dir });
      expect(store.tornRecords).toBe(0);
      expect(store.sessions.get(r.session)?.latestTick).toBe(50n);
      await store.close();
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });

  it('compacts: journal entries already in the snapshot are skipped by sequence', async () => {
    const dir = join(tmp, 'store3');
    let store = await StateStore.open({ dir, compactEvery: 10 });
    const r = sampleRecord();
    for (let i = 1; i <= 25; i++) {
      r.latestTick = BigInt(i);
      store.put(r);
      await store.flush();
    }
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    expect(journal.split('\n').filter(Boolean).length).toBeLessThan(10);
    await store.close();
    // An old journal left behind by a crash between rename and truncate must not roll state back.
    const snap = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    const stale = { seq: 1, t: 'session', v: { ...snap.sessions[0], latestTick: '1' } };
    writeFileSync(join(dir, 'journal.jsonl'), `${JSON.stringify(stale)}\n`);
    store = await StateStore.open({ dir });
    expect(store.sessions.get(r.session)?.latestTick).toBe(25n);
    await store.close();
  });

  it('group commit: a flush returns once a write holding its records is synced, not after later writes too', async () => {
    const dir = join(tmp, 'store5');
    const store = await StateStore.open({ dir });
    // Count the real fdatasyncs of the journal (the file handle is the store's own).
    const fh = (store as unknown as { fh: { datasync: () => Promise<void> } }).fh;
    const datasync = fh.datasync.bind(fh);
    let syncs = 0;
    fh.datasync = async () => {
      await datasync();
      syncs++;
    };
    const a = sampleRecord();
    store.put(a);
    const first = store.flush();
    const second = store.flush(); // waits for the same record as `first`
    await Promise.resolve(); // `first` has taken the buffer: its write is under way
    const b = sampleRecord();
    store.put(b);
    const third = store.flush();
    await second;
    // Before: `second` also wrote and synced `b` (appended after it was called) before returning.
    expect(syncs).toBe(1);
    await Promise.all([first, third]);
    expect(syncs).toBe(2);
    await store.close();
    const again = await StateStore.open({ dir });
    expect(again.sessions.has(a.session) && again.sessions.has(b.session)).toBe(true);
    await again.close();
  });

  it('refuses a state directory held by another live process', async () => {
    const dir = join(tmp, 'store4');
    const store = await StateStore.open({ dir });
    await store.close();
    writeFileSync(join(dir, 'daemon.lock'), '1\n'); // pid 1 is alive
    await expect(StateStore.open({ dir })).rejects.toThrow(/in use by process 1/);
    writeFileSync(join(dir, 'daemon.lock'), '999999999\n'); // a dead pid: taken over
    const again = await StateStore.open({ dir });
    await again.close();
  });
});

describe('config', () => {
  const key = join(tmp, 'authority.json');
  writeFileSync(key, JSON.stringify(Array.from(Keypair.generate().secretKey)));

  it('reads typed env variables into the nested config with defaults', () => {
    const c = loadConfig({
      DVPN_AUTHORITY_KEYPAIR: key,
      DVPN_HTTP_PORT: '8080',
      DVPN_WG_DNS: '9.9.9.9, 1.1.1.1',
      DVPN_WG_CONFIGURE: 'false',
      DVPN_TRUST_PROXY: 'yes',
      SOLANA_RPC_URL: 'http://rpc.example:8899',
    });
    expect(c.http.port).toBe(8080);
    expect(c.http.trustProxy).toBe(true);
    expect(c.wireguard.dns).toEqual(['9.9.9.9', '1.1.1.1']);
    expect(c.wireguard.interface).toBe('wg0');
    expect(c.chain.rpcUrl).toBe('http://rpc.example:8899');
    expect(c.usage.tickIntervalSeconds).toBe(30);
    expect(c.http.rateLimit).toEqual({ perSecond: 20, burst: 40 });
  });

  it('merges a JSON file under the environment', () => {
    const file = join(tmp, 'daemon.json');
    writeFileSync(file, JSON.stringify({ secrets: { authorityKeypairPath: key }, http: { port: 1111, host: '0.0.0.0' }, wireguard: { pool: '10.1.0.0/24' } }));
    const c = loadConfig({ DVPN_DAEMON_CONFIG: file, DVPN_HTTP_PORT: '2222' });
    expect(c.http.port).toBe(2222);
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.wireguard.pool).toBe('10.1.0.0/24');
  });

  it('names every bad field', () => {
    expect(() => loadConfig({})).toThrow(/secrets/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_HTTP_PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_WG_INTERFACE: 'wg0;ls' })).toThrow(/wireguard.interface/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_WG_POOL: '10.0.0.0/99' })).toThrow(/wireguard.pool/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_WG_CONFIGURE: 'true' })).toThrow(/privateKeyPath/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_TRUST_PROXY: 'maybe' })).toThrow(/boolean/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_TRUSTED_PROXIES: '10.0.0.1,proxy.example' })).toThrow(/trustedProxies/);
    expect(configFromEnv({})).toEqual({});
  });

  it('egress and IPv6: nat needs an interface and a fixed port; IPv6 client routes are refused (the pool is IPv4)', () => {
    expect(loadConfig({ DVPN_AUTHORITY_KEYPAIR: key }).wireguard.clientAllowedIps).toEqual(['0.0.0.0/0']);
    expect(loadConfig({ DVPN_AUTHORITY_KEYPAIR: key }).egress.mode).toBe('off');
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_WG_CLIENT_ALLOWED_IPS: '0.0.0.0/0,::/0' })).toThrow(/::\/0 is IPv6, but the pool is IPv4 only/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'nat' })).toThrow(/DVPN_EGRESS_INTERFACE\): required/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'masquerade', DVPN_EGRESS_INTERFACE: 'eth0' })).toThrow(/egress.mode \(DVPN_EGRESS\)/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'nat', DVPN_EGRESS_INTERFACE: 'eth0;x' })).toThrow(/egress.interface/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'nat', DVPN_EGRESS_INTERFACE: 'eth0', DVPN_HTTP_PORT: '0' })).toThrow(/fixed port/);
    expect(() => loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'nat', DVPN_EGRESS_INTERFACE: 'wg0' })).toThrow(/must not be the WireGuard interface/);
    const c = loadConfig({ DVPN_AUTHORITY_KEYPAIR: key, DVPN_EGRESS: 'nat', DVPN_EGRESS_INTERFACE: 'eth0' });
    expect(c.egress).toEqual({ mode: 'nat', interface: 'eth0', allowPrivate: false, nftBin: 'nft' });
  });

  it('reads the proxy and connection limits', () => {
    const d = loadConfig({ DVPN_AUTHORITY_KEYPAIR: key });
    expect(d.http).toMatchObject({ trustedProxies: ['127.0.0.0/8', '::1'], proxyHops: 1, maxConnections: 1024, maxConnectionsPerClient: 32, headersTimeoutMs: 5000 });
    const c = loadConfig({
      DVPN_AUTHORITY_KEYPAIR: key,
      DVPN_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7, fd00::/8',
      DVPN_PROXY_HOPS: '2',
      DVPN_HTTP_MAX_CONNECTIONS: '200',
      DVPN_HTTP_MAX_CONNECTIONS_PER_CLIENT: '8',
      DVPN_HTTP_HEADERS_TIMEOUT_MS: '2000',
    });
    expect(c.http).toMatchObject({ trustedProxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'], proxyHops: 2, maxConnections: 200, maxConnectionsPerClient: 8, headersTimeoutMs: 2000 });
  });
});

describe('egress off', () => {
  it('warns at start when the host forwards IPv4 and the daemon sets no isolation; not otherwise', () => {
    expect(unisolatedWarning('off', '1\n')).toMatch(/peers can reach each other/);
    expect(unisolatedWarning('off', '0\n')).toBeNull();
    expect(unisolatedWarning('off', null)).toBeNull();
    expect(unisolatedWarning('nat', '1\n')).toBeNull();
  });
});

describe('egress ruleset', () => {
  const plan = { wgInterface: 'wg0', egressInterface: 'eth0', pool: '10.77.0.0/24', serverAddress: '10.77.0.1', httpPort: 51820, httpHost: '192.0.2.1' };
  it("is one idempotent transaction on the daemon's own table", () => {
    const r = egressRuleset(plan);
    expect(r.split('\n').slice(0, 3)).toEqual(['table inet dvpn_wg0', 'delete table inet dvpn_wg0', 'table inet dvpn_wg0 {']);
    expect(r).toContain('iifname "wg0" oifname "wg0" drop');
    expect(r).toContain('oifname "eth0" ip saddr 10.77.0.0/24 masquerade');
    expect(r).toContain('iifname "wg0" ip daddr { 10.77.0.1, 192.0.2.1 } tcp dport 51820 accept');
    expect(egressRuleset({ ...plan, httpHost: '0.0.0.0' })).toContain('iifname "wg0" fib daddr type local tcp dport 51820 accept');
    expect(egressTableName('wg-a.1')).toBe('dvpn_wg_a_1');
  });
  it('a missing egress interface or nft stops the start with the setting named', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dvpn-egress-unit-'));
    try {
      await expect(new Egress({ ...plan, egressInterface: 'dvpnnoif0' }, { stateDir }).check()).rejects.toThrow(
        /egress interface dvpnnoif0 \(DVPN_EGRESS_INTERFACE\) does not exist/,
      );
      await expect(new Egress({ ...plan, egressInterface: 'lo' }, { stateDir, nftBin: join(stateDir, 'no-nft') }).check()).rejects.toThrow(/needs nftables/);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
  it('refuses what could inject into the ruleset', () => {
    expect(() => egressRuleset({ ...plan, egressInterface: 'eth0" accept' })).toThrow(/interface name/);
    expect(() => egressRuleset({ ...plan, pool: '10.77.0.0/24; flush ruleset' })).toThrow(/pool/);
    expect(() => egressRuleset({ ...plan, serverAddress: '10.77.0.1 }' })).toThrow(/IPv4/);
  });
});

describe('rate limiter', () => {
  it('allows the burst, then refills at the sustained rate, per client', () => {
    let now = 0;
    const rl = new RateLimiter(2, 3, 100, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBeGreaterThanOrEqual(1);
    expect(rl.take('b')).toBe(0);
    now += 500;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBeGreaterThan(0);
    now += 10_000;
    rl.sweep();
    expect(rl.size).toBe(0);
  });

  it('gives back a refunded token, never above the burst', () => {
    const rl = new RateLimiter(1, 2, 100, () => 0);
    expect([rl.take('a'), rl.take('a')]).toEqual([0, 0]);
    expect(rl.take('a')).toBeGreaterThan(0);
    rl.refund('a');
    expect(rl.take('a')).toBe(0);
    rl.refund('a');
    rl.refund('a');
    rl.refund('a');
    expect([rl.take('a'), rl.take('a'), rl.take('a')].map((w) => w === 0)).toEqual([true, true, false]);
  });
});

describe('router', () => {
  const r = (method: 'GET' | 'POST', path: string): Route => ({ method, path, name: path, handle: async () => ({}) });
  const router = new Router([r('POST', '/session/auth'), r('POST', '/session/:pda/ticks'), r('GET', '/session/:pda'), r('GET', '/node')]);
  it('prefers literal segments and answers 405 with the allowed methods', () => {
    expect(router.match('POST', '/session/auth')).toMatchObject({ kind: 'found', route: { path: '/session/auth' } });
    expect(router.match('GET', '/session/auth')).toEqual({ kind: 'method', allow: ['POST'] });
    expect(router.match('GET', '/session/abc')).toMatchObject({ kind: 'found', params: { pda: 'abc' } });
    expect(router.match('POST', '/session/abc/ticks')).toMatchObject({ kind: 'found', params: { pda: 'abc' } });
    expect(router.match('GET', '/session/abc/ticks/x')).toEqual({ kind: 'none' });
    expect(router.match('HEAD', '/node')).toMatchObject({ kind: 'found' });
    expect(router.match('GET', '/session/%E0%A4%A')).toEqual({ kind: 'none' });
  });
});

describe('claim planning', () => {
  const chain = createHashChain(2000);
  const base = (over: Partial<SessionAccount> = {}) =>
    ({
      mode: SessionMode.Usage,
      state: SessionState.Active,
      startTs: 1000n,
      endTs: 4600n,
      closedAt: 0n,
      lastTick: 0n,
      bytesUsed: 0n,
      disputeTs: 0n,
      settleWindowSeconds: 600n,
      disputeWindowSeconds: 7200n,
      ...over,
    }) as SessionAccount;
  const plan = (rec: ReturnType<typeof sampleRecord>, s: SessionAccount, now: bigint, nowMs = Date.now()) =>
    planClaim({
      rec,
      session: s,
      now,
      nowMs,
      intervalMs: 60_000,
      payout: true,
      preimageFor: (_r, t) => chain.preimage(t),
    });

  it('usage: waits for the interval, caps a claim at 512 ticks, claims at once when ended', () => {
    const rec = sampleRecord();
    rec.latestTick = 1000n;
    rec.bytesRx = 10n;
    rec.bytesTx = 5n;
    rec.authAt = Date.now();
    // 1000 - 0 > 512: claim now, 512 ticks.
    const p = plan(rec, base(), 2000n);
    expect(p).toMatchObject({ kind: 'chunk', tick: 512n, bytesUsed: 15n });
    expect(Buffer.from((p as { preimage: Uint8Array }).preimage)).toEqual(Buffer.from(chain.preimage(512)));
    // Within 512 and within the interval: nothing yet.
    expect(plan(rec, base({ lastTick: 600n }), 2000n)).toBeNull();
    // Ended on chain (Closing): claim at once.
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Closing, closedAt: 2000n }), 2001n)).toMatchObject({ tick: 1000n });
    // After the deadline: payout instead.
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Closing, closedAt: 2000n }), 2601n)).toEqual({ kind: 'payout' });
    // Disputed: the revealed ticks stay claimable until the settle deadline (end_ts + the session's window) ...
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Disputed, disputeTs: 2000n }), 2001n)).toMatchObject({ kind: 'chunk', tick: 1000n });
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Disputed, disputeTs: 2000n }), 5200n)).toMatchObject({ tick: 1000n });
    // ... then nothing until the dispute window (dispute_ts + the session's window) has passed, then the default settlement.
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Disputed, disputeTs: 2000n }), 5201n)).toBeNull();
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Disputed, disputeTs: 2000n }), 9201n)).toEqual({ kind: 'payout' });
    // The deadline is the session's own settle window.
    expect(plan(rec, base({ lastTick: 600n, state: SessionState.Closing, closedAt: 2000n, settleWindowSeconds: 60n }), 2061n)).toEqual({ kind: 'payout' });
    // Never below what the chain already has.
    expect(plan(rec, base({ lastTick: 1000n, state: SessionState.Closing, closedAt: 2000n }), 2001n)).toBeNull();
    // Bytes never go backwards.
    expect(plan(rec, base({ lastTick: 600n, bytesUsed: 99n }), 5000n)).toMatchObject({ bytesUsed: 99n });
  });

  it('time: claims elapsed seconds, clamped to the duration', () => {
    const rec = sampleRecord();
    rec.mode = 'time';
    rec.authAt = 0;
    expect(plan(rec, base({ mode: SessionMode.Time }), 1030n)).toMatchObject({ kind: 'chunk', tick: 30n });
    expect(plan(rec, base({ mode: SessionMode.Time }), 5000n)).toMatchObject({ kind: 'chunk', tick: 3600n });
    expect(plan(rec, base({ mode: SessionMode.Time, lastTick: 3600n }), 4601n)).toBeNull();
    expect(plan(rec, base({ mode: SessionMode.Time, lastTick: 3600n }), 5201n)).toEqual({ kind: 'payout' });
    // Disputed time session: waits for the resolution, or settles by the default rule after the dispute window.
    expect(plan(rec, base({ mode: SessionMode.Time, state: SessionState.Disputed, disputeTs: 1030n }), 1040n)).toBeNull();
    expect(plan(rec, base({ mode: SessionMode.Time, state: SessionState.Disputed, disputeTs: 1030n }), 8231n)).toEqual({ kind: 'payout' });
  });
});

describe('failing instruction of a batched claim transaction', () => {
  it('is read from a status error and from a refused preflight, and unknown otherwise', () => {
    expect(instructionIndexOf({ InstructionError: [3, { Custom: 6001 }] })).toBe(3);
    expect(instructionIndexOf(new Error('failed to send transaction: Transaction simulation failed: Error processing Instruction 7: custom program error: 0x1771'))).toBe(7);
    expect(instructionIndexOf('InsufficientFundsForFee')).toBeUndefined();
    expect(instructionIndexOf({ InsufficientFundsForRent: { account_index: 0 } })).toBeUndefined();
    expect(instructionIndexOf(null)).toBeUndefined();
  });
});

describe('claim transaction size', () => {
  it('is the signed wire size, and too large (not an exception) past the packet', () => {
    const authority = Keypair.generate();
    const chain = new ChainClient({ rpcUrl: 'http://127.0.0.1:9', commitment: 'confirmed', authority, confirmTimeoutMs: 1000, log: pino({ level: 'silent' }) });
    const claim = () =>
      new TransactionInstruction({ programId: PublicKey.default, keys: [{ pubkey: Keypair.generate().publicKey, isSigner: false, isWritable: true }], data: Buffer.alloc(56) });
    const ixs = [claim(), claim(), claim()];
    const tx = new Transaction({ feePayer: authority.publicKey, blockhash: PublicKey.default.toBase58(), lastValidBlockHeight: 0 }).add(...ixs);
    tx.sign(authority);
    expect(chain.transactionSize(ixs)).toBe(tx.serialize().length);
    const many = Array.from({ length: 40 }, claim);
    expect(chain.transactionSize(many)).toBeGreaterThan(PACKET_DATA_SIZE);
  });
});

describe('session reads over JSON-RPC', () => {
  // A real loopback JSON-RPC server standing in for the RPC node: it answers getMultipleAccounts
  // with the Clock only, and can drop a kept-alive connection when the next request arrives on it
  // (what a server whose keep-alive timeout ran out does) or never answer.
  const clockAt = (ts: bigint) => {
    const b = Buffer.alloc(40);
    b.writeBigInt64LE(ts, 32);
    return b.toString('base64');
  };
  async function rpcServer(mode: { dropReused: boolean; hang: boolean }) {
    const { createServer } = await import('node:http');
    const seen = new WeakSet<object>();
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      if (mode.hang) return;
      if (mode.dropReused && seen.has(req.socket)) {
        mode.dropReused = false;
        req.socket.destroy();
        return;
      }
      seen.add(req.socket);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const keys = JSON.parse(body).params[0] as string[];
        const value = keys.map((_k, i) => (i === 0 ? { owner: 'Sysvar1111111111111111111111111111111111111', data: [clockAt(1_700_000_000n), 'base64'] } : null));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { context: { slot: 1 }, value } }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, server, requests: () => requests };
  }

  it('reads the sessions and the Clock, and sends a read again when a kept-alive connection was closed by the server', async () => {
    const mode = { dropReused: false, hang: false };
    const rpc = await rpcServer(mode);
    try {
      const chain = new ChainClient({ rpcUrl: rpc.url, commitment: 'confirmed', authority: Keypair.generate(), confirmTimeoutMs: 1000, log: pino({ level: 'silent' }) });
      const failures: Array<string | null> = [];
      chain.onRpc = (method, _s, failure) => failures.push(`${method}:${failure}`);
      const missing = Keypair.generate().publicKey.toBase58();
      const first = await chain.readSessions([missing]);
      expect(first.now).toBe(1_700_000_000n);
      expect(first.sessions.get(missing)).toEqual({ kind: 'missing' });
      mode.dropReused = true; // the next request on the kept-alive connection is cut
      expect(await chain.clockNow()).toBe(1_700_000_000n);
      expect(rpc.requests()).toBe(3);
      expect(failures).toEqual(['getMultipleAccounts:null', 'getMultipleAccounts:null']);
    } finally {
      rpc.server.closeAllConnections();
      rpc.server.close();
    }
  });

  it('gives up after the RPC timeout when the RPC accepts and never answers', async () => {
    const rpc = await rpcServer({ dropReused: false, hang: true });
    try {
      const chain = new ChainClient({ rpcUrl: rpc.url, commitment: 'confirmed', authority: Keypair.generate(), confirmTimeoutMs: 1000, rpcTimeoutMs: 200, log: pino({ level: 'silent' }) });
      const failures: Array<string | null> = [];
      chain.onRpc = (_m, _s, failure) => failures.push(failure);
      await expect(chain.clockNow()).rejects.toThrow(/did not answer within 200 ms/);
      expect(failures).toEqual(['timeout']);
    } finally {
      rpc.server.closeAllConnections();
      rpc.server.close();
    }
  });
});

describe('dvpn connect helpers', () => {
  it('pays one tick ahead of what is owed, only while serving, within the chain', () => {
    expect(tickToPay({ paid: 0n, owed: 0n, maxTicks: 10n, serving: true })).toBe(1n);
    expect(tickToPay({ paid: 1n, owed: 0n, maxTicks: 10n, serving: true })).toBeNull();
    expect(tickToPay({ paid: 1n, owed: 3n, maxTicks: 10n, serving: true })).toBe(4n);
    expect(tickToPay({ paid: 1n, owed: 3n, maxTicks: 10n, serving: false })).toBeNull();
    expect(tickToPay({ paid: 10n, owed: 12n, maxTicks: 10n, serving: true })).toBeNull();
  });

  it('a daemon that overstates the debt cannot make it reveal a far preimage: payment stops at its own measure', () => {
    // 30 s served at one tick per 10 s after revealing tick 4 before: at most tick 4 + 1 + 3
    const limit = ownTickLimit({ revealedBefore: 4n, servedMs: 30_000, intervalSeconds: 10, bytesPerTick: 0, tunnelBytes: 10n ** 12n });
    expect(limit).toBe(8n);
    // the daemon says all 1,000 ticks are owed (and that it was paid through 0): tick 8, not 1,000
    expect(tickToPay({ paid: 0n, owed: 999n, maxTicks: 1000n, serving: true, limit })).toBe(8n);
    // billed by bytes: what the tunnel itself counted (2.5 MB at 1 MB per tick -> 3 ticks)
    expect(ownTickLimit({ revealedBefore: 0n, servedMs: 1_000, intervalSeconds: 30, bytesPerTick: 1_000_000, tunnelBytes: 2_500_000n })).toBe(4n);
    // a hostile bytesPerTick (NaN, fraction, negative) counts no bytes
    for (const bytesPerTick of [Number.NaN, 0.5, -1]) {
      expect(ownTickLimit({ revealedBefore: 0n, servedMs: 0, intervalSeconds: 30, bytesPerTick, tunnelBytes: 10n ** 9n })).toBe(1n);
    }
  });

  it('a debt left by a cut is paid without asking only up to one grace period of ticks (at most 12)', () => {
    expect(debtAllowance(90, 30)).toBe(5n); // the daemon's defaults
    expect(debtAllowance(6, 1)).toBe(8n);
    expect(debtAllowance(1e9, 1)).toBe(12n); // hostile terms
    expect(debtAllowance(undefined, undefined)).toBe(2n);
    expect(debtAllowance(Number.NaN, 0)).toBe(2n);
  });

  it("the daemon's tick interval is a number of seconds in 1..3600, else 10 (no busy loop on NaN)", () => {
    expect(tickIntervalSeconds(Number.NaN)).toBe(10);
    expect(tickIntervalSeconds('5')).toBe(10);
    expect(tickIntervalSeconds(undefined)).toBe(10);
    expect(tickIntervalSeconds(0.01)).toBe(1);
    expect(tickIntervalSeconds(1e12)).toBe(3600);
    expect(tickIntervalSeconds(30)).toBe(30);
  });

  it('writes a wg-quick config with the private key, and finds the API from the endpoint', () => {
    // Real keys: the writer refuses anything that is not one (a daemon's answer is untrusted).
    const SRV = generateWgKeypair().publicKey;
    const PRIV = generateWgKeypair().privateKey;
    const answer = {
      wireguard: {
        interface: { address: '10.77.0.5/32', dns: ['1.1.1.1'] },
        peer: { publicKey: SRV, endpoint: '192.0.2.1:51820', allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 },
      },
    } as unknown as AuthAnswer;
    expect(wgQuickConfig(answer.wireguard, PRIV)).toBe(
      `[Interface]\nPrivateKey = ${PRIV}\nAddress = 10.77.0.5/32\nDNS = 1.1.1.1\n\n[Peer]\nPublicKey = ${SRV}\nEndpoint = 192.0.2.1:51820\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n`,
    );
    expect(defaultApiUrl('vpn1.example.net:51820')).toBe('http://vpn1.example.net:51820');
    expect(() => defaultApiUrl('vpn1 example')).toThrow();
  });
});

describe('session cache', () => {
  const lookup = { kind: 'missing' as const };
  it('shares one read among concurrent callers, keeps at most maxEntries, re-reads stale entries', async () => {
    const { SessionCache } = await import('../src/chain/session-cache.js');
    let clock = 1_000_000;
    const reads: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const chain = {
      async readSessions(addresses: PublicKey[]) {
        reads.push(...addresses.map((a) => a.toBase58()));
        await gate;
        return { now: 100n, sessions: new Map(addresses.map((a) => [a.toBase58(), { kind: 'session', account: { user: a } } as never])) };
      },
    };
    const cache = new SessionCache(chain as never, { maxEntries: 3, maxAgeMs: 5000, negativeMaxAgeMs: 1000, clock: () => clock });
    const a = Keypair.generate().publicKey;
    const pending = Promise.all([cache.get(a), cache.get(a), cache.get(a)]);
    release();
    const [x, y, z] = await pending;
    expect(reads).toEqual([a.toBase58()]);
    expect(x).toBe(y);
    expect(y).toBe(z);
    clock += 4000;
    await cache.get(a);
    expect(reads.length).toBe(1); // fresh enough
    expect(cache.chainNow(x)).toBe(104n);
    clock += 2000;
    await cache.get(a);
    expect(reads.length).toBe(2); // stale: read again
    for (let i = 0; i < 10; i++) cache.put(Keypair.generate().publicKey.toBase58(), lookup, 1n);
    expect(cache.size).toBe(3);
    expect(cache.peek(a.toBase58())).toBeUndefined(); // the oldest went first
    const gone = Keypair.generate().publicKey.toBase58();
    cache.put(gone, lookup, 1n);
    clock += 1500;
    expect(cache.peek(gone)).toBeDefined();
  });

  it('coalesces concurrent reads of many sessions into batched reads, and a re-read never joins a read already on the wire', async () => {
    const { SessionCache } = await import('../src/chain/session-cache.js');
    const calls: string[][] = [];
    const gates: Array<() => void> = [];
    const chain = {
      async readSessions(addresses: PublicKey[]) {
        calls.push(addresses.map((a) => a.toBase58()));
        await new Promise<void>((r) => gates.push(r));
        return { now: 7n, sessions: new Map(addresses.map((a) => [a.toBase58(), { kind: 'session', account: { user: a } } as never])) };
      },
    };
    const cache = new SessionCache(chain as never, { maxEntries: 1000, maxAgeMs: 5000, negativeMaxAgeMs: 1000, maxBatch: 50, maxConcurrentReads: 1 });
    const keys = Array.from({ length: 120 }, () => Keypair.generate().publicKey);
    const first = Promise.all(keys.map((k) => cache.get(k, { reread: true })));
    await new Promise((r) => setImmediate(r));
    expect(calls.map((c) => c.length)).toEqual([50]); // one read on the wire, the rest wait for it
    // A re-read of an address whose read is on the wire waits for a read that starts later.
    const again = cache.get(keys[0], { reread: true });
    while (calls.length < 3) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(calls.map((c) => c.length)).toEqual([50, 50, 21]);
    expect(calls[2]).toContain(keys[0].toBase58());
    gates.shift()!();
    const entries = await first;
    expect(entries.every((e, i) => (e.lookup as { account: { user: PublicKey } }).account.user.equals(keys[i]))).toBe(true);
    await again;
    expect(cache.reads).toBe(121);
    expect(cache.batches).toBe(3);
  });
});
