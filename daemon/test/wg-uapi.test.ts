// The WireGuard driver against a real wireguard-go through its UAPI socket
// (root, /dev/net/tun, wireguard-go, wg, ip; skipped with the reason printed
// otherwise, a failure with DVPN_REQUIRE_TUNNEL_TESTS=1). The interface lives
// in its own network namespace; its socket is in /var/run/wireguard as for
// any wireguard-go. The driver is given `wgBin: /bin/false`, so everything it
// gets right went through the socket, never through a `wg` process; `wg`
// itself (a separate reader) checks what the interface holds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWgKeypair } from '../src/wireguard/keys.js';
import { uapiSocketPath } from '../src/wireguard/uapi.js';
import { parseDump, WireGuard, type WgDump } from '../src/wireguard/wg.js';
import { Procs, removeNamespaces, run, sleep, tunnelPrerequisites } from './helpers/netns.js';

const pre = tunnelPrerequisites('wg-uapi.test.ts', ['wireguard-go', 'wg', 'ip']);
if (pre.skip && pre.required) throw new Error(`DVPN_REQUIRE_TUNNEL_TESTS=1 but: ${pre.missing.join('; ')}`);

const tag = `${process.pid % 100000}`;
const ns = `dvu${tag}`;
const iface = `dvu${tag}`;
const procs = new Procs();
let dir = '';

const sorted = (d: WgDump) => ({ ...d, peers: [...d.peers].sort((a, b) => a.publicKey.localeCompare(b.publicKey)) });
const wgShow = async () => parseDump(await run('wg', ['show', iface, 'dump']));

describe.skipIf(pre.skip)('WireGuard driver through the UAPI socket (wireguard-go)', () => {
  let server: { privateKey: string; publicKey: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-uapi-'));
    await run('ip', ['netns', 'add', ns]);
    procs.start(ns, ['wireguard-go', '-f', iface], { env: { WG_PROCESS_FOREGROUND: '1' } });
    for (let i = 0; !uapiSocketPath(iface); i++) {
      if (i > 100) throw new Error('wireguard-go did not open its UAPI socket');
      await sleep(100);
    }
    server = generateWgKeypair();
    const keyFile = join(dir, 'server.key');
    writeFileSync(keyFile, `${server.privateKey}\n`, { mode: 0o600 });
    await run('wg', ['set', iface, 'private-key', keyFile, 'listen-port', '0']);
  }, 30_000);

  afterAll(async () => {
    await procs.stopAll();
    await removeNamespaces([ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds, re-addresses and removes many peers requested at once with no `wg` process, and dumps what `wg show` shows', async () => {
    const wg = new WireGuard({ iface, wgBin: '/bin/false' });
    const keys = Array.from({ length: 300 }, () => generateWgKeypair().publicKey);
    await Promise.all(keys.map((k, i) => wg.setPeer(k, `10.90.${Math.floor(i / 200)}.${(i % 200) + 1}`)));
    let shown = await wgShow();
    expect(shown.peers).toHaveLength(300);
    expect(shown.peers.find((p) => p.publicKey === keys[299])?.allowedIps).toEqual(['10.90.1.100/32']);

    // Setting a peer again replaces its address (as `wg set ... allowed-ips` does); removals in the same batch.
    await Promise.all([wg.setPeer(keys[0], '10.90.9.9'), ...keys.slice(200).map((k) => wg.removePeer(k))]);
    shown = await wgShow();
    expect(shown.peers).toHaveLength(200);
    expect(shown.peers.find((p) => p.publicKey === keys[0])?.allowedIps).toEqual(['10.90.9.9/32']);
    expect(shown.peers.some((p) => p.publicKey === keys[250])).toBe(false);

    const dump = await wg.dump();
    expect(dump.publicKey).toBe(server.publicKey);
    expect(sorted(dump)).toEqual(sorted(shown));
  });

  it('falls back to `wg` when the interface has no UAPI socket, and with uapi off', async () => {
    await expect(new WireGuard({ iface: `nx${tag}`, wgBin: '/bin/false' }).dump()).rejects.toThrow(/failed/);
    await expect(new WireGuard({ iface, wgBin: '/bin/false', uapi: 'off' }).dump()).rejects.toThrow(/failed/);
    const viaWg = await new WireGuard({ iface, uapi: 'off' }).dump();
    expect(sorted(viaWg)).toEqual(sorted(await new WireGuard({ iface, wgBin: '/bin/false' }).dump()));
  });
});
