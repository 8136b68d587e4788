// The provider side of `dvpn`, run as a child process against the harness chain:
// config init/show, provider register/stake/show/unstake/withdraw,
// node register/show/list/update. Output (--json) and chain state both checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMPORTS_PER_SOL, PublicKey, type Keypair } from '@solana/web3.js';
import { ACCOUNT_SIZES, fetchConfig, fetchNode, fetchProvider, findConfigPda, findNodePda, findProviderPda, findStakeVaultPda } from '@dvpn/sdk';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { rentFor } from '../../tests/harness/fixtures.js';
import { createProviderWithNode } from './fixtures.js';
import { cliEnv, type CliEnv } from './helpers.js';

let chain: Chain;
let cli: CliEnv;
let admin: Keypair;
let treasury: Keypair;
let provider: Keypair;

const WG_KEY = Buffer.alloc(32, 0xab).toString('base64');
const WG_KEY_2 = Buffer.alloc(32, 0x11).toString('base64');

beforeAll(async () => {
  chain = await startChain();
  cli = cliEnv(chain);
  admin = await chain.fundedKeypair(10);
  treasury = await chain.fundedKeypair(1);
  provider = await chain.fundedKeypair(20);
});
afterAll(() => {
  cli?.cleanup();
  chain?.close();
});

type Json = Record<string, unknown>;
const sol = (n: number) => BigInt(Math.round(n * LAMPORTS_PER_SOL));

describe('dvpn config', () => {
  it('config init creates the Config with the given values', async () => {
    const out = await cli.json<Json>(
      [
        'config', 'init',
        '--treasury', treasury.publicKey.toBase58(),
        '--mint', chain.mint.toBase58(),
        '--fee-bps', '250',
        '--min-stake', '1',
        '--unbonding', '1h',
        '--settle-window', '10m',
        '--dispute-window', '3d',
        '--idle-timeout', '15m',
        '--min-rating-sol', '0.001',
        '--max-slash-bps', '1000',
      ],
      { keypair: admin },
    );
    expect(out.disputeWindowSeconds).toBe(String(3 * 86_400));
    expect(out.idleTimeoutSeconds).toBe('900');
    expect(out.minRatingLamports).toBe('1000000');
    expect(out.minRatingToken).toBe('10000'); // default 0.01 token at the mint's 6 decimals
    expect(out.maxSlashBps).toBe(1000);
    expect(out.config).toBe(findConfigPda()[0].toBase58());
    expect(out.admin).toBe(admin.publicKey.toBase58());
    expect(out.minProviderStake).toBe('1000000000');
    expect(out.unbondingSeconds).toBe('3600');
    expect(out.settleWindowSeconds).toBe('600');
    expect(typeof out.signature).toBe('string');
    expect((out.events as Json[]).map((e) => e.name)).toEqual(['ConfigUpdated']);

    const c = (await fetchConfig(chain.connection))!;
    expect(c.admin.toBase58()).toBe(admin.publicKey.toBase58());
    expect(c.treasury.toBase58()).toBe(treasury.publicKey.toBase58());
    expect(c.tokenMint.toBase58()).toBe(chain.mint.toBase58());
    expect([c.protocolFeeBps, c.minProviderStake, c.unbondingSeconds, c.settleWindowSeconds]).toEqual([250, 1_000_000_000n, 3600n, 600n]);
    expect([c.disputeWindowSeconds, c.idleTimeoutSeconds, c.minRatingLamports, c.minRatingToken, c.maxSlashBps]).toEqual([
      259_200n, 900n, 1_000_000n, 10_000n, 1000,
    ]);
  });

  it('values out of the program bounds are refused before sending', async () => {
    const base = ['config', 'init', '--treasury', treasury.publicKey.toBase58(), '--mint', chain.mint.toBase58()];
    const slash = await cli.run([...base, '--max-slash-bps', '2501'], { keypair: provider });
    expect(slash.code).toBe(1);
    expect(slash.stderr.trim()).toBe("Error: --max-slash-bps: at most 2500 (25% of a provider's stake per dispute)");
    const window = await cli.run([...base, '--dispute-window', '367d'], { keypair: provider });
    expect(window.stderr.trim()).toBe('Error: --dispute-window: 31708800 s is outside 1 s .. 366 days (31622400 s)');
    const zero = await cli.run([...base, '--idle-timeout', '0'], { keypair: provider });
    expect(zero.stderr).toContain('--idle-timeout: 0 s is outside 1 s .. 366 days');
    const fee = await cli.run([...base, '--fee-bps', '1001'], { keypair: provider });
    expect(fee.stderr).toContain('--fee-bps: at most 1000');
  });

  it('config show prints it, as JSON (bigints as strings) and as text', async () => {
    const out = await cli.json<Json>(['config', 'show']);
    expect(out).toMatchObject({
      address: findConfigPda()[0].toBase58(),
      admin: admin.publicKey.toBase58(),
      treasury: treasury.publicKey.toBase58(),
      tokenMint: chain.mint.toBase58(),
      protocolFeeBps: 250,
      minProviderStake: '1000000000',
      unbondingSeconds: '3600',
      settleWindowSeconds: '600',
      disputeWindowSeconds: '259200',
      idleTimeoutSeconds: '900',
      minRatingLamports: '1000000',
      minRatingToken: '10000',
      maxSlashBps: 1000,
      pendingAdmin: null,
    });
    const text = await cli.run(['config', 'show']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/protocol fee\s+250 bps/);
    expect(text.stdout).toMatch(/min stake\s+1 SOL/);
    expect(text.stdout).toMatch(/dispute window\s+259200 s/);
    expect(text.stdout).toMatch(/idle timeout\s+900 s/);
    expect(text.stdout).toMatch(/min rating\s+0\.001 SOL \/ 0\.01 USDC/);
    expect(text.stdout).toMatch(/max slash\s+1000 bps/);
    expect(text.stdout).toMatch(/pending admin\s+-/);
  });

  it('config update --new-admin only proposes; the new admin takes over with config accept-admin', async () => {
    const next = await chain.fundedKeypair(1);
    const proposed = await cli.json<Json>(['config', 'update', '--new-admin', next.publicKey.toBase58(), '--fee-bps', '300'], { keypair: admin });
    expect(proposed.admin).toBe(admin.publicKey.toBase58());
    expect(proposed.pendingAdmin).toBe(next.publicKey.toBase58());
    let c = (await fetchConfig(chain.connection))!;
    expect([c.admin.toBase58(), c.pendingAdmin.toBase58(), c.protocolFeeBps]).toEqual([admin.publicKey.toBase58(), next.publicKey.toBase58(), 300]);
    // Other values were kept.
    expect([c.disputeWindowSeconds, c.maxSlashBps]).toEqual([259_200n, 1000]);
    const shown = await cli.run(['config', 'show']);
    expect(shown.stdout).toMatch(new RegExp(`pending admin\\s+${next.publicKey.toBase58()}`));

    const wrong = await cli.run(['config', 'accept-admin'], { keypair: provider });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('NotPendingAdmin');
    const accepted = await cli.json<Json>(['config', 'accept-admin'], { keypair: next });
    expect(accepted.admin).toBe(next.publicKey.toBase58());
    c = (await fetchConfig(chain.connection))!;
    expect(c.admin.toBase58()).toBe(next.publicKey.toBase58());
    expect(c.pendingAdmin.equals(PublicKey.default)).toBe(true);
    // The old admin can no longer change anything.
    const old = await cli.run(['config', 'update', '--fee-bps', '250'], { keypair: admin });
    expect(old.stderr.trim()).toBe('Error: Unauthorized — Signer is not the authority for this account');
    await cli.json(['config', 'update', '--fee-bps', '250'], { keypair: next });
  });

  it('a second config init fails with the IDL error name and message, exit code 1', async () => {
    const res = await cli.run(['config', 'init', '--treasury', treasury.publicKey.toBase58(), '--mint', chain.mint.toBase58()], {
      keypair: provider,
    });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('Error: AlreadyInitialized — Account already exists');
    const json = await cli.run(['config', 'init', '--treasury', treasury.publicKey.toBase58(), '--mint', chain.mint.toBase58(), '--json'], {
      keypair: provider,
    });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      error: { message: 'AlreadyInitialized — Account already exists', code: 6008, name: 'AlreadyInitialized', msg: 'Account already exists' },
    });
  });
});

describe('dvpn provider', () => {
  it('provider register creates the Provider of the keypair', async () => {
    const out = await cli.json<Json>(['provider', 'register'], { keypair: provider });
    const [pda] = findProviderPda(provider.publicKey);
    expect(out.provider).toBe(pda.toBase58());
    expect(out.stakeVault).toBe(findStakeVaultPda(pda)[0].toBase58());
    const p = (await fetchProvider(chain.connection, pda))!;
    expect(p.authority.toBase58()).toBe(provider.publicKey.toBase58());
    expect(p.stakeLamports).toBe(0n);
  });

  it('node register without stake fails with InsufficientStake', async () => {
    const res = await cli.run(
      ['node', 'register', '--endpoint', 'vpn1.example.net:51820', '--region', 'eu-west', '--price-sol', '0.001', '--capacity', '3', '--wg-pubkey', WG_KEY],
      { keypair: provider },
    );
    expect(res.code).toBe(1);
    // Checked before sending, with the figures.
    expect(res.stderr).toContain("Error: InsufficientStake — your stake 0 SOL is below the limit: the Config's minimum provider stake is 1 SOL");
  });

  it('provider stake moves SOL into the stake vault', async () => {
    const [pda] = findProviderPda(provider.publicKey);
    const [vault] = findStakeVaultPda(pda);
    const vaultRent = await rentFor(chain, ACCOUNT_SIZES.StakeVault);
    const out = await cli.json<Json>(['provider', 'stake', '1.5'], { keypair: provider });
    expect(out.kind).toBe('Stake');
    expect(out.amount).toBe('1500000000');
    expect(out.stakeLamports).toBe('1500000000');
    expect((await fetchProvider(chain.connection, pda))!.stakeLamports).toBe(sol(1.5));
    expect(await chain.lamports(vault)).toBe(vaultRent + sol(1.5));
  });

  it('provider show reports the stake (JSON and text)', async () => {
    const out = await cli.json<Json>(['provider', 'show', provider.publicKey.toBase58()]);
    expect(out.address).toBe(findProviderPda(provider.publicKey)[0].toBase58());
    expect(out.stakeLamports).toBe('1500000000');
    expect(out.reputationScore).toBe(1000);
    const text = await cli.run(['provider', 'show'], { keypair: provider });
    expect(text.stdout).toMatch(/stake\s+1\.5 SOL/);
    expect(text.stdout).toMatch(/reputation\s+1000\/2000 \(unrated\)/);
  });
});

describe('dvpn node', () => {
  let node0: string;
  let node1: string;

  it('node register creates node 0 with the given endpoint, prices, capacity and WireGuard key', async () => {
    const out = await cli.json<Json>(
      [
        'node', 'register',
        '--endpoint', 'vpn1.example.net:51820',
        '--region', 'eu-west',
        '--price-sol', '0.001',
        '--price-usdc', '0.05',
        '--tick-price-sol', '0.00001',
        '--tick-price-usdc', '0.001',
        '--capacity', '3',
        '--wg-pubkey', WG_KEY,
      ],
      { keypair: provider },
    );
    const [provPda] = findProviderPda(provider.publicKey);
    const [pda] = findNodePda(provPda, 0n);
    node0 = pda.toBase58();
    expect(out.address).toBe(node0);
    expect(out.nodeId).toBe('0');
    expect(out.wgServerPubkey).toBe(WG_KEY);
    expect(out.pricePerMinute).toBe('1000000');
    expect(out.pricePerMinuteToken).toBe('50000');
    expect(out.pricePerTick).toBe('10000');
    expect(out.pricePerTickToken).toBe('1000');
    const n = (await fetchNode(chain.connection, pda))!;
    expect([n.pricePerTick, n.pricePerTickToken]).toEqual([10_000n, 1_000n]);
    expect(n.endpoint).toBe('vpn1.example.net:51820');
    expect(n.region).toBe('eu-west');
    expect([n.pricePerMinute, n.pricePerMinuteToken, n.maxCapacity, n.isActive]).toEqual([1_000_000n, 50_000n, 3, true]);
    expect(Buffer.from(n.wgServerPubkey).toString('base64')).toBe(WG_KEY);
  });

  it('node register again gets id 1', async () => {
    const out = await cli.json<Json>(
      ['node', 'register', '--endpoint', '203.0.113.9:51820', '--region', 'us-east', '--price-sol', '0.0005', '--capacity', '10', '--wg-pubkey', WG_KEY_2],
      { keypair: provider },
    );
    expect(out.nodeId).toBe('1');
    node1 = out.address as string;
    expect((await fetchNode(chain.connection, findNodePda(findProviderPda(provider.publicKey)[0], 1n)[0]))!.pricePerMinuteToken).toBe(0n);
  });

  it('node show by id and by address', async () => {
    const byId = await cli.json<Json>(['node', 'show', '0'], { keypair: provider });
    expect(byId.address).toBe(node0);
    const text = await cli.run(['node', 'show', node1]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('203.0.113.9:51820');
    expect(text.stdout).toMatch(/price \/ minute\s+0\.0005 SOL \(no token payments\)/);
    expect(text.stdout).toMatch(/price \/ tick\s+no usage sessions/);
    const node0Text = await cli.run(['node', 'show', node0]);
    expect(node0Text.stdout).toMatch(/price \/ tick\s+0\.00001 SOL, 0\.001 USDC/);
    expect(text.stdout).toMatch(/sessions\s+0 active \/ 10 capacity/);
  });

  it('node list filters by provider and region, cheapest first', async () => {
    // Another provider's node, to see the filters work.
    const other = await createProviderWithNode(chain, { region: 'eu-west', pricePerMinute: 2_000_000n });
    const all = await cli.json<Json[]>(['node', 'list']);
    expect(all.map((n) => n.address)).toEqual([node1, node0, other.node.toBase58()]);
    const mine = await cli.json<Json[]>(['node', 'list', '--provider', provider.publicKey.toBase58()]);
    expect(mine.map((n) => n.address).sort()).toEqual([node0, node1].sort());
    const eu = await cli.json<Json[]>(['node', 'list', '--region', 'eu-west']);
    expect(eu.map((n) => n.address)).toEqual([node0, other.node.toBase58()]);
    const text = await cli.run(['node', 'list', '--provider', provider.publicKey.toBase58()]);
    expect(text.stdout.split('\n')[0]).toMatch(/^NODE\s+ID\s+REGION\s+ENDPOINT/);
    expect(text.stdout).toContain(node0);
  });

  it('node update changes price and capacity and deactivates it', async () => {
    const out = await cli.json<Json>(['node', 'update', '0', '--price-sol', '0.002', '--tick-price-sol', '0.00002', '--capacity', '5', '--inactive'], { keypair: provider });
    expect(out.pricePerMinute).toBe('2000000');
    expect(out.pricePerTick).toBe('20000');
    expect(out.pricePerTickToken).toBe('1000');
    expect(out.isActive).toBe(false);
    const n = (await fetchNode(chain.connection, findNodePda(findProviderPda(provider.publicKey)[0], 0n)[0]))!;
    expect([n.pricePerMinute, n.maxCapacity, n.isActive, n.endpoint]).toEqual([2_000_000n, 5, false, 'vpn1.example.net:51820']);
    const active = await cli.json<Json[]>(['node', 'list', '--provider', provider.publicKey.toBase58(), '--active']);
    expect(active.map((x) => x.address)).toEqual([node1]);
  });

  it("node update of someone else's node fails with a program error", async () => {
    const stranger = await chain.fundedKeypair(5);
    await cli.json(['provider', 'register', '--stake', '1'], { keypair: stranger });
    const res = await cli.run(['node', 'update', node0, '--price-sol', '0.1'], { keypair: stranger });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^Error: (Unauthorized|InvalidPda) — /);
  });
});

describe('dvpn provider unstake / withdraw', () => {
  it('unstake starts unbonding; withdraw is refused until it elapsed, then pays out', async () => {
    const [pda] = findProviderPda(provider.publicKey);
    const un = await cli.json<Json>(['provider', 'unstake', '0.5'], { keypair: provider });
    expect(un.kind).toBe('RequestUnstake');
    expect(un.unstakingLamports).toBe('500000000');
    const p = (await fetchProvider(chain.connection, pda))!;
    expect([p.stakeLamports, p.unstakingLamports]).toEqual([sol(1), sol(0.5)]);
    // Unbonding runs from the program's Clock at the request (the event's
    // timestamp), not from whenever the test reads the clock afterwards.
    expect(p.unstakeAt).toBe(BigInt(un.timestamp as string) + 3600n);
    expect(un.unstakeAt).toBe(p.unstakeAt.toString());

    const early = await cli.run(['provider', 'withdraw'], { keypair: provider });
    expect(early.code).toBe(1);
    expect(early.stderr.trim()).toBe('Error: UnbondingNotElapsed — Unbonding period has not elapsed');

    await chain.warpSeconds(3600);
    const before = await chain.lamports(provider.publicKey);
    const out = await cli.json<Json>(['provider', 'withdraw'], { keypair: provider });
    expect(out.kind).toBe('Withdraw');
    expect(out.amount).toBe('500000000');
    expect((await fetchProvider(chain.connection, pda))!.unstakingLamports).toBe(0n);
    // +0.5 SOL minus the transaction fee the CLI signer paid
    const after = await chain.lamports(provider.publicKey);
    expect(after - before).toBeGreaterThan(sol(0.5) - 100_000n);
    expect(after - before).toBeLessThanOrEqual(sol(0.5));
  });

  it('unstaking below the minimum stake warns that the nodes stop being bookable', async () => {
    // 1 SOL staked, minimum 1 SOL: unstaking 0.25 leaves 0.75.
    const res = await cli.run(['provider', 'unstake', '0.25'], { keypair: provider });
    expect(res.code).toBe(0);
    expect(res.stderr.trim()).toBe(
      'warning: this leaves 0.75 SOL staked, below the minimum provider stake of 1 SOL: your 2 node(s) cannot be booked until you stake again',
    );
    const shown = await cli.json<Json>(['provider', 'show'], { keypair: provider });
    expect(shown.bookable).toBe(false);
    expect(shown.stakeLamports).toBe('750000000');
  });
});
