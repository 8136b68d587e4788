// The mainnet runbook's tools, run against the local embedded cluster:
// scripts/verify-program.ts compares the deployed program with the build, and
// the committed (public) program keypair is refused on public clusters.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Keypair, PublicKey, SystemProgram, TransactionInstruction } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, LocalProgramKeyError, PUBLIC_CLUSTER_GENESIS, assertProgramKeyForCluster, assertProgramKeyForGenesis, publicClusterOf } from '@dvpn/sdk';
import { BPF_LOADER_UPGRADEABLE, BUFFER_HEADER, executableHash, trimTrailingZeros } from '@dvpn/sdk/node';
import { PROGRAM_SO, REPO_ROOT, startChain, type Chain } from '../harness/surfnet.js';
import { SOL, claimChunkIx, closeSessionIx, createProviderWithNode, initConfig, mustFetchConfig, mustFetchSession, openTimeSession } from '../harness/fixtures.js';
import { SessionState } from '@dvpn/sdk';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, SOLANA_RPC_URL: '', SOLANA_WS_URL: '', DVPN_KEYPAIR: '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A loopback JSON-RPC server whose answers the test chooses. Only for answers a
 * real local cluster cannot give: public clusters' genesis hashes, RPC errors,
 * junk, or loader accounts the loader itself would never write.
 */
async function fakeRpc(answer: (method: string, params: unknown[]) => unknown): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id: unknown; method: string; params?: unknown[] };
      const a = answer(msg.method, msg.params ?? []);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(a instanceof Error ? { jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: a.message } } : { jsonrpc: '2.0', id: msg.id, result: a }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const accountAnswer = (owner: PublicKey, data: Buffer) => ({
  context: { slot: 1 },
  value: { data: [data.toString('base64'), 'base64'], executable: false, lamports: 1_000_000, owner: owner.toBase58(), rentEpoch: 0, space: data.length },
});

let chain: Chain;
let dir: string;

beforeAll(async () => {
  chain = await startChain();
  dir = mkdtempSync(join(tmpdir(), 'dvpn-runbook-'));
});
afterAll(() => {
  chain?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/verify-program.ts against the local cluster', () => {
  const so = readFileSync(PROGRAM_SO);

  it('the deployed program matches the build, and says where it read it', async () => {
    const r = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ kind: 'program', address: DVPN_PROGRAM_ID.toBase58(), hashMatches: true, ok: true, authorityMatches: null });
    expect(out.onChainHash).toBe(executableHash(so));
    expect(String(out.cluster)).toMatch(/^local \(genesis /);
  });

  it('the published hash ignores the loader\'s zero padding (as solana-verify does)', async () => {
    const padded = Buffer.concat([so, Buffer.alloc(4096)]);
    expect(executableHash(padded)).toBe(executableHash(so));
    expect(trimTrailingZeros(padded).length).toBeLessThanOrEqual(so.length);
    const r = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--hash', executableHash(so).toUpperCase()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Program ${DVPN_PROGRAM_ID.toBase58()} matches`);
  });

  it('a different build does not match (exit 1)', async () => {
    const other = Buffer.from(so);
    other[100] ^= 0xff;
    const file = join(dir, 'other.so');
    writeFileSync(file, other);
    const r = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--so', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('DOES NOT match');
    expect(r.stdout).toMatch(/expected sha256 +[0-9a-f]{64} +<- differs/);
  });

  it('checks the upgrade authority when asked (the multisig vault, or none)', async () => {
    const r = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--authority', Keypair.generate().publicKey.toBase58()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('<- not the expected one');
  });

  it('checks an upgrade buffer written through the loader (what multisig members approve)', async () => {
    // The same instructions `solana program write-buffer` sends: InitializeBuffer, then Write in chunks.
    const authority = await chain.fundedKeypair(5); // rent of a 170 KB buffer is about 1.2 SOL
    const buffer = Keypair.generate();
    const space = BUFFER_HEADER + so.length;
    const lamports = await chain.connection.getMinimumBalanceForRentExemption(space);
    const loaderIx = (data: Buffer, keys: { pubkey: PublicKey; isSigner: boolean; isWritable: boolean }[]) =>
      new TransactionInstruction({ programId: BPF_LOADER_UPGRADEABLE, keys, data });
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    await chain.send(
      [
        SystemProgram.createAccount({ fromPubkey: authority.publicKey, newAccountPubkey: buffer.publicKey, lamports, space, programId: BPF_LOADER_UPGRADEABLE }),
        loaderIx(u32(0), [
          { pubkey: buffer.publicKey, isSigner: false, isWritable: true },
          { pubkey: authority.publicKey, isSigner: false, isWritable: false },
        ]),
      ],
      [authority, buffer],
    );
    const CHUNK = 900;
    const write = (offset: number) => {
      const bytes = so.subarray(offset, offset + CHUNK);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(bytes.length));
      return chain.send(
        loaderIx(Buffer.concat([u32(1), u32(offset), len, bytes]), [
          { pubkey: buffer.publicKey, isSigner: false, isWritable: true },
          { pubkey: authority.publicKey, isSigner: true, isWritable: false },
        ]),
        [authority],
      );
    };
    // Writes to distinct offsets commute: 16 in flight, as the Solana CLI also does.
    const offsets = Array.from({ length: Math.ceil(so.length / CHUNK) }, (_, i) => i * CHUNK);
    for (let i = 0; i < offsets.length; i += 16) await Promise.all(offsets.slice(i, i + 16).map(write));
    const ok = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--buffer', buffer.publicKey.toBase58(), '--authority', authority.publicKey.toBase58()]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Buffer ${buffer.publicKey.toBase58()} matches`);
    expect(ok.stdout).toMatch(new RegExp(`buffer authority +${authority.publicKey.toBase58()}`));
    const notBuffer = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--buffer', DVPN_PROGRAM_ID.toBase58()]);
    expect(notBuffer.code).toBe(2);
    expect(notBuffer.stderr).toContain('is not a buffer of the upgradeable BPF loader');
  }, 240_000);

  it('bad input and a missing program get a clear error (exit 2)', async () => {
    const missing = Keypair.generate().publicKey.toBase58();
    const r = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--program-id', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no account at ${missing}`);
    const bad = await run(['scripts/verify-program.ts', '--url', chain.rpcUrl, '--hash', 'abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--hash must be 64 hex digits');
    const noUrl = await run(['scripts/verify-program.ts']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('--url');
  });
});

describe('verify-program: attacks on what it trusts', () => {
  const so = readFileSync(PROGRAM_SO);
  const verify = (url: string, ...args: string[]) => run(['scripts/verify-program.ts', '--url', url, ...args]);

  it('an account that is not a Program (system-owned, ProgramData, buffer) is an error, never a match', async () => {
    const wallet = await chain.fundedKeypair(1);
    const sys = await verify(chain.rpcUrl, '--program-id', wallet.publicKey.toBase58(), '--hash', executableHash(Buffer.alloc(0)));
    expect(sys.code).toBe(2);
    expect(sys.stderr).toContain('not the upgradeable BPF loader');
    const [programData] = PublicKey.findProgramAddressSync([DVPN_PROGRAM_ID.toBuffer()], BPF_LOADER_UPGRADEABLE);
    const pd = await verify(chain.rpcUrl, '--program-id', programData.toBase58());
    expect(pd.code).toBe(2);
    expect(pd.stderr).toContain('is not a Program account');
    // An empty buffer (InitializeBuffer, nothing written): its ELF is empty, so its hash is sha256("").
    const buffer = Keypair.generate();
    const space = BUFFER_HEADER + 64;
    const lamports = await chain.connection.getMinimumBalanceForRentExemption(space);
    await chain.send(
      [
        SystemProgram.createAccount({ fromPubkey: wallet.publicKey, newAccountPubkey: buffer.publicKey, lamports, space, programId: BPF_LOADER_UPGRADEABLE }),
        new TransactionInstruction({ programId: BPF_LOADER_UPGRADEABLE, keys: [{ pubkey: buffer.publicKey, isSigner: false, isWritable: true }, { pubkey: wallet.publicKey, isSigner: false, isWritable: false }], data: Buffer.alloc(4) }),
      ],
      [wallet, buffer],
    );
    const asProgram = await verify(chain.rpcUrl, '--program-id', buffer.publicKey.toBase58(), '--hash', executableHash(Buffer.alloc(0)), '--authority', wallet.publicKey.toBase58());
    expect(asProgram.code).toBe(2);
    expect(asProgram.stderr).toContain('is not a Program account');
    expect(asProgram.stdout).not.toContain('matches');
  });

  it('a hash of the wrong length or form is refused (exit 2)', async () => {
    const h = executableHash(so);
    for (const bad of [h.slice(1), `${h}0`, `0x${h}`, ` ${h}`, h.replace(/./, 'g')]) {
      const r = await verify(chain.rpcUrl, '--hash', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('--hash must be 64 hex digits');
    }
  });

  describe('answers only a broken or lying RPC gives (loopback fake RPC)', () => {
    const program = Keypair.generate().publicKey;
    const [programData] = PublicKey.findProgramAddressSync([program.toBuffer()], BPF_LOADER_UPGRADEABLE);
    const programAccount = (pd: PublicKey) => Buffer.concat([Buffer.from([2, 0, 0, 0]), pd.toBuffer()]);
    const programDataAccount = (authorityTag: number, elf: Buffer) => {
      const h = Buffer.alloc(45);
      h.writeUInt32LE(3, 0);
      h.writeBigUInt64LE(7n, 4);
      h[12] = authorityTag;
      return Buffer.concat([h, elf]);
    };
    const serve = (accounts: Map<string, Buffer>) =>
      fakeRpc((method, params) => {
        if (method === 'getGenesisHash') return PUBLIC_CLUSTER_GENESIS['mainnet-beta'];
        if (method === 'getAccountInfo') {
          const data = accounts.get(String(params[0]));
          return data ? accountAnswer(BPF_LOADER_UPGRADEABLE, data) : { context: { slot: 1 }, value: null };
        }
        return new Error(`${method} not served by this test`);
      });

    it('the fake serves a well-formed program and it matches (the control)', async () => {
      const rpc = await serve(new Map([[program.toBase58(), programAccount(programData)], [programData.toBase58(), programDataAccount(0, so)]]));
      try {
        const r = await verify(rpc.url, '--program-id', program.toBase58(), '--authority', 'none');
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`Program ${program.toBase58()} matches`);
      } finally {
        await rpc.close();
      }
    });

    it('a junk authority tag is malformed, not "no authority" that --authority none would accept', async () => {
      const rpc = await serve(new Map([[program.toBase58(), programAccount(programData)], [programData.toBase58(), programDataAccount(2, so)]]));
      try {
        const r = await verify(rpc.url, '--program-id', program.toBase58(), '--authority', 'none');
        expect(r.stdout).not.toContain('matches');
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('authority tag 2');
      } finally {
        await rpc.close();
      }
    });

    it('a Program pointing at some other account than its ProgramData PDA is refused', async () => {
      const decoy = Keypair.generate().publicKey;
      const rpc = await serve(new Map([[program.toBase58(), programAccount(decoy)], [decoy.toBase58(), programDataAccount(0, so)]]));
      try {
        const r = await verify(rpc.url, '--program-id', program.toBase58());
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`not the loader's ${programData.toBase58()}`);
      } finally {
        await rpc.close();
      }
    });

    it('a closed program (no ProgramData) and truncated data never match', async () => {
      // Stands in for `solana program close` (deploying and closing a program on the embedded runtime takes minutes).
      const closed = await serve(new Map([[program.toBase58(), programAccount(programData)]]));
      try {
        const r = await verify(closed.url, '--program-id', program.toBase58());
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('the program was closed');
      } finally {
        await closed.close();
      }
      const truncated = await serve(new Map([[program.toBase58(), programAccount(programData)], [programData.toBase58(), programDataAccount(0, so.subarray(0, so.length - 1000))]]));
      try {
        const r = await verify(truncated.url, '--program-id', program.toBase58());
        expect(r.code).toBe(1);
        expect(r.stdout).toContain('DOES NOT match');
      } finally {
        await truncated.close();
      }
      const header = await serve(new Map([[program.toBase58(), programAccount(programData)], [programData.toBase58(), programDataAccount(0, Buffer.alloc(0)).subarray(0, 20)]]));
      try {
        const r = await verify(header.url, '--program-id', program.toBase58(), '--hash', executableHash(Buffer.alloc(0)));
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('is malformed');
      } finally {
        await header.close();
      }
    });
  });
});

describe('the committed program keypair is for local clusters only', () => {
  it('public clusters are told by genesis hash; the local cluster is none of them', async () => {
    expect(publicClusterOf(PUBLIC_CLUSTER_GENESIS.devnet)).toBe('devnet');
    expect(publicClusterOf(PUBLIC_CLUSTER_GENESIS['mainnet-beta'])).toBe('mainnet-beta');
    expect(await assertProgramKeyForCluster(chain.connection, DVPN_PROGRAM_ID)).toBeNull();
  });

  it('refuses the committed id on devnet, testnet and mainnet, and allows a fresh one', () => {
    for (const [cluster, genesis] of Object.entries(PUBLIC_CLUSTER_GENESIS)) {
      expect(() => assertProgramKeyForGenesis(genesis, DVPN_PROGRAM_ID, 'deploy')).toThrow(LocalProgramKeyError);
      expect(() => assertProgramKeyForGenesis(genesis, DVPN_PROGRAM_ID, 'deploy')).toThrow(`deploy is refused on ${cluster}`);
      expect(() => assertProgramKeyForGenesis(genesis, Keypair.generate().publicKey)).not.toThrow();
    }
  });

  it('an RPC whose genesis answer fails or is not a hash is refused (fail closed), not taken for a local cluster', async () => {
    // A real cluster always answers a hash: these answers need the loopback fake RPC.
    const mainnet = PUBLIC_CLUSTER_GENESIS['mainnet-beta'];
    const answers: unknown[] = [new Error('node is behind'), '', `${mainnet} `, ` ${mainnet}`, `${mainnet}\n`, 42, null, { hash: mainnet }, 'not-a-hash'];
    for (const a of answers) {
      const rpc = await fakeRpc((method) => (method === 'getGenesisHash' ? a : new Error('not served')));
      try {
        await expect(assertProgramKeyForCluster(new Connection(rpc.url), DVPN_PROGRAM_ID, 'deploy'), JSON.stringify(String(a))).rejects.toThrow(/deploy is refused: /);
        // A fresh program id is refused too: the cluster is unknown, whatever the key.
        await expect(assertProgramKeyForCluster(new Connection(rpc.url), Keypair.generate().publicKey, 'deploy')).rejects.toThrow(/deploy is refused: /);
      } finally {
        await rpc.close();
      }
    }
  });

  it('a URL that looks local but answers mainnet\'s genesis is mainnet', async () => {
    const rpc = await fakeRpc((method) => (method === 'getGenesisHash' ? PUBLIC_CLUSTER_GENESIS['mainnet-beta'] : new Error('not served')));
    try {
      const url = rpc.url.replace('127.0.0.1', 'localhost');
      expect(url).toMatch(/^http:\/\/localhost:\d+$/);
      await expect(assertProgramKeyForCluster(new Connection(url), DVPN_PROGRAM_ID, 'deploy')).rejects.toThrow('deploy is refused on mainnet-beta');
      expect(await assertProgramKeyForCluster(new Connection(url), Keypair.generate().publicKey)).toBe('mainnet-beta');
    } finally {
      await rpc.close();
    }
  });

  it('`dvpn config init` with an RPC that answers an empty genesis hash is refused with a clear error', async () => {
    const rpc = await fakeRpc((method) => (method === 'getGenesisHash' ? '' : new Error('not served by this test')));
    try {
      const keypair = join(dir, 'admin-empty.json');
      writeFileSync(keypair, JSON.stringify([...Keypair.generate().secretKey]));
      const mint = Keypair.generate().publicKey.toBase58();
      const r = await run(['cli/bin/dvpn.js', 'config', 'init', '--treasury', mint, '--mint', mint, '--url', rpc.url, '--keypair', keypair], { HOME: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('dvpn config init is refused: the RPC\'s genesis hash "" is not a base58 hash');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await rpc.close();
    }
  });

  describe('`dvpn config init` on a public cluster', () => {
    // A public cluster cannot be reached from a test: this loopback JSON-RPC
    // answers getGenesisHash with devnet's hash, and every other method with
    // an error, so the test also proves nothing else was sent before refusing.
    let server: Server;
    let url: string;
    const methods: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          const msg = JSON.parse(body) as { id: unknown; method: string };
          methods.push(msg.method);
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify(
              msg.method === 'getGenesisHash'
                ? { jsonrpc: '2.0', id: msg.id, result: PUBLIC_CLUSTER_GENESIS.devnet }
                : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'not served by this test' } },
            ),
          );
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('is refused with the reason and the way out, before any transaction', async () => {
      const keypair = join(dir, 'admin.json');
      writeFileSync(keypair, JSON.stringify([...Keypair.generate().secretKey]));
      const mint = Keypair.generate().publicKey.toBase58();
      const r = await run(['cli/bin/dvpn.js', 'config', 'init', '--treasury', mint, '--mint', mint, '--url', url, '--keypair', keypair], { HOME: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('dvpn config init is refused on devnet');
      expect(r.stderr).toContain('programs/dvpn/dvpn-keypair.json');
      expect(methods).toEqual(['getGenesisHash']);
    });
  });
});

describe('the intake stop of the runbook (no pause instruction: see docs/runbook/mainnet.md "Pausing")', () => {
  it('`dvpn config update --min-stake 18000000000` stops new sessions; open ones still claim and settle; restoring reopens', async () => {
    const cfg = await initConfig(chain);
    const node = await createProviderWithNode(chain);
    const before = await openTimeSession(chain, node, 10);
    const adminFile = join(dir, 'config-admin.json');
    writeFileSync(adminFile, JSON.stringify([...cfg.admin.secretKey]));
    const update = (minStake: string) =>
      run(['cli/bin/dvpn.js', 'config', 'update', '--min-stake', minStake, '--url', chain.rpcUrl, '--ws-url', chain.wsUrl, '--keypair', adminFile], { HOME: dir });

    const stop = await update('18000000000');
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect((await mustFetchConfig(chain)).minProviderStake).toBe(18_000_000_000n * SOL);
    await expect(openTimeSession(chain, node, 10)).rejects.toThrow(/InsufficientStake/);

    // Money keeps going out: the provider claims, the user closes and is refunded.
    await chain.warpSeconds(60);
    await chain.send(claimChunkIx(chain, before, cfg.treasury.publicKey, 60), [node.owner.authority]);
    await chain.send(closeSessionIx(chain, before, cfg.treasury.publicKey), [before.user]);
    const closed = await mustFetchSession(chain, before.session);
    expect(closed.state).toBe(SessionState.Closed);
    expect(closed.refundedAmount).toBeGreaterThan(0n);

    const restore = await update('1');
    expect(restore.code).toBe(0);
    const after = await openTimeSession(chain, node, 10);
    expect((await mustFetchSession(chain, after.session)).state).toBe(SessionState.Active);
  });
});
