// The commands a newcomer needs on a local cluster, run as the real `dvpn`
// child process against the harness chain: keygen, airdrop, dev mint, dev
// warp, and the clear errors (no Config, a mint this cluster lacks, limits,
// endpoint and WireGuard-key validation at register time).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair, LAMPORTS_PER_SOL } from '@solana/web3.js';
import { fetchProvider, findProviderPda, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProvider } from '../../tests/harness/fixtures.js';
import { createProviderWithNode, initConfig, openTimeSession } from './fixtures.js';
import { cliEnv, type CliEnv } from './helpers.js';

let chain: Chain;
let cli: CliEnv;
let home: string;
type Json = Record<string, unknown>;

beforeAll(async () => {
  chain = await startChain();
  cli = cliEnv(chain);
  home = join(cli.dir, 'dvpn-home');
  // Where make dev leaves the dev mint's authority; on the harness chain it is the payer.
  mkdirSync(join(home, 'dev'), { recursive: true });
  writeFileSync(join(home, 'dev', 'mint-authority.json'), JSON.stringify([...chain.payer.secretKey]));
});
afterAll(() => {
  cli?.cleanup();
  chain?.close();
});

const WG_A = Buffer.alloc(32, 0x21).toString('base64');
const WG_B = Buffer.alloc(32, 0x22).toString('base64');

describe('before the Config exists', () => {
  it('keygen writes a Solana CLI keypair (0600) at the default wallet path and never overwrites it', async () => {
    const res = await cli.run(['keygen']);
    expect(res.code).toBe(0);
    const path = join(cli.dir, '.config/solana/id.json');
    const bytes = JSON.parse(readFileSync(path, 'utf8')) as number[];
    expect(bytes).toHaveLength(64);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const kp = Keypair.fromSecretKey(Uint8Array.from(bytes));
    expect(res.stdout).toContain(`pubkey: ${kp.publicKey.toBase58()}`);

    const again = await cli.run(['keygen']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists; refusing to overwrite');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(bytes);

    const other = await cli.json<Json>(['keygen', '--outfile', join(cli.dir, 'provider.json')]);
    expect(other.publicKey).not.toBe(kp.publicKey.toBase58());
  });

  it('airdrop funds the default wallet', async () => {
    const kp = Keypair.fromSecretKey(Uint8Array.from(JSON.parse(readFileSync(join(cli.dir, '.config/solana/id.json'), 'utf8')) as number[]));
    const out = await cli.json<Json>(['airdrop', '2.5']);
    expect(out.balance).toBe(String(2.5 * LAMPORTS_PER_SOL));
    expect(await chain.lamports(kp.publicKey)).toBe(BigInt(2.5 * LAMPORTS_PER_SOL));
  });

  it('a token price and dev mint say to run dvpn config init', async () => {
    const provider = await createProvider(chain);
    const reg = await cli.run(
      ['node', 'register', '--endpoint', 'vpn.example.net:51820', '--region', 'eu', '--price-sol', '0.001', '--price-usdc', '0.01', '--capacity', '2', '--wg-pubkey', WG_A],
      { keypair: provider.authority },
    );
    expect(reg.code).toBe(1);
    expect(reg.stderr).toContain('Config is not initialized on this cluster (run: dvpn config init)');
    const mint = await cli.run(['dev', 'mint', '5', '--to', provider.authority.publicKey.toBase58()]);
    expect(mint.stderr).toContain('run: dvpn config init');
  });

  it('config init with a mint this cluster does not have says so before sending', async () => {
    const admin = await chain.fundedKeypair(5);
    const ghost = Keypair.generate().publicKey.toBase58();
    const res = await cli.run(['config', 'init', '--treasury', admin.publicKey.toBase58(), '--mint', ghost], { keypair: admin });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`mint ${ghost} does not exist on this cluster`);
  });
});

describe('with the Config', () => {
  beforeAll(async () => {
    await initConfig(chain);
  });

  it('dev mint puts dev USDC in a wallet (token account created), signed by the authority make dev leaves', async () => {
    const user = Keypair.generate();
    const out = await cli.json<Json>(['dev', 'mint', '12.5', '--to', user.publicKey.toBase58()], { home });
    expect(out.balance).toBe('12500000');
    expect(await chain.tokenBalance(user.publicKey)).toBe(12_500_000n);

    const wrong = join(cli.dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify([...Keypair.generate().secretKey]));
    const res = await cli.run(['dev', 'mint', '1', '--to', user.publicKey.toBase58(), '--mint-authority', wrong]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`is not the mint authority of ${chain.mint.toBase58()}`);
    const missing = await cli.run(['dev', 'mint', '1', '--to', user.publicKey.toBase58()], { home: join(cli.dir, 'empty-home') });
    expect(missing.stderr).toContain('start the dev cluster (make dev or make chain)');
  });

  it('dev warp moves the cluster clock forward', async () => {
    const before = await chain.now();
    const out = await cli.json<Json>(['dev', 'warp', '10m']);
    expect(BigInt(out.now as string)).toBeGreaterThanOrEqual(before + 600n);
    expect(await chain.now()).toBeGreaterThanOrEqual(before + 600n);
  });

  it('node register refuses an endpoint that is not HOST:PORT and a WireGuard key another of its nodes has', async () => {
    const provider = await createProvider(chain);
    const base = ['node', 'register', '--region', 'eu', '--price-sol', '0.001', '--capacity', '2'];
    const bad = await cli.run([...base, '--endpoint', 'not an endpoint', '--wg-pubkey', WG_A], { keypair: provider.authority });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--endpoint: endpoint "not an endpoint" is not HOST:PORT');

    const first = await cli.json<Json>([...base, '--endpoint', 'vpn1.example.net:51820', '--wg-pubkey', WG_A], { keypair: provider.authority });
    const dup = await cli.run([...base, '--endpoint', 'vpn2.example.net:51820', '--wg-pubkey', WG_A], { keypair: provider.authority });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`is already the key of your node 0 (${first.address as string})`);
    expect((await fetchProvider(chain.connection, findProviderPda(provider.authority.publicKey)[0]))!.nodeCount).toBe(1n);

    await cli.json<Json>([...base, '--endpoint', '[2001:db8::1]:51820', '--wg-pubkey', WG_B], { keypair: provider.authority });
    const upd = await cli.run(['node', 'update', '1', '--wg-pubkey', WG_A], { keypair: provider.authority });
    expect(upd.stderr).toContain('is already the key of your node 0');
    const updEndpoint = await cli.run(['node', 'update', '1', '--endpoint', 'vpn2.example.net'], { keypair: provider.authority });
    expect(updEndpoint.stderr).toContain('is not HOST:PORT');
    // Its own key again is no conflict.
    await cli.json<Json>(['node', 'update', '1', '--wg-pubkey', WG_B], { keypair: provider.authority });
  });

  it('limits are said: a full node and a stake below the minimum', async () => {
    const full = await createProviderWithNode(chain, { maxCapacity: 1 });
    await openTimeSession(chain, full, 10);
    const user = await chain.fundedKeypair(5);
    const res = await cli.run(['session', 'open', '--node', full.node.toBase58(), '--sol', '--minutes', '5'], { keypair: user });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`NodeFull — node ${full.node.toBase58()} is at its capacity limit: 1 of 1 sessions active`);

    const unstaked = await chain.fundedKeypair(5);
    await chain.send(ix.registerProvider({ authority: unstaked.publicKey }), [unstaked]);
    const reg = await cli.run(
      ['node', 'register', '--endpoint', 'vpn.example.net:51820', '--region', 'eu', '--price-sol', '0.001', '--capacity', '2', '--wg-pubkey', WG_A],
      { keypair: unstaked },
    );
    expect(reg.stderr).toContain("InsufficientStake — your stake 0 SOL is below the limit: the Config's minimum provider stake is 1 SOL");
  });
});
