// Node daemon benchmark: 1,000 sessions on one daemon (the compiled
// daemon/dist/dvpn-daemon.mjs, production mode) against the embedded chain.
// Prints authentications per second at concurrency 64 with p50/p99 (first
// authentication of each session; then a re-key of every session with a new
// key — both new admissions, each a chain read that the daemon coalesces into
// batched reads), the duration of one metering poll (WireGuard dump +
// bookkeeping) over 1,000 peers, the daemon's resident memory idle and with
// 1,000 peers, and the daemon's own CPU
// per auth (its process_cpu_seconds_total over each round: the steadier figure
// on a shared machine, printed with the load average, and net of the CPU the
// daemon spends with no requests, measured after the rounds). Results also go to
// bench/results/daemon-<date>.json.
//
//   npx tsx bench/daemon.ts [--sessions 1000] [--concurrency 64] [--runs 3]
//   BENCH_BASELINE=<compiled daemon> ...   an earlier build, run alternately on the same sessions
//   BENCH_DAEMON=<compiled daemon> ...     run that build instead of building this checkout
//   BENCH_CPU_PROF=<dir> ...               a V8 CPU profile of each daemon run
//
// As root with wireguard-go, the peers are set on a real (userspace) WireGuard
// interface in the bench's own network namespace; otherwise the daemon runs in
// its no-tunnel mode (no `wg` exec per peer: faster than a real node) and the
// output says so. The load generator and the embedded chain share the
// machine's cores with the daemon. Not part of the tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authRequestBody } from '@dvpn/sdk';
import { saveKeypair } from '@dvpn/sdk/node';
import { generateWgKeypair } from '../daemon/src/wireguard/keys.js';
import { createProviderWithNode, initConfig, openTimeSession, type SessionCtx } from '../tests/harness/fixtures.js';
import { startChain } from '../tests/harness/surfnet.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? process.argv[i + 1] : (process.env[`BENCH_${name.toUpperCase()}`] ?? fallback));
};
const SESSIONS = arg('sessions', 1000);
const CONCURRENCY = arg('concurrency', 64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function canTunnel(): boolean {
  if (process.getuid?.() !== 0 || !existsSync('/dev/net/tun')) return false;
  try {
    execFileSync('sh', ['-c', 'command -v wireguard-go && command -v wg && command -v ip'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = request(
      // GETs between rounds on a fresh connection: a keep-alive socket idle past the daemon's
      // headers timeout is closed by it, and reusing it would fail the run ("socket hang up").
      { host: '127.0.0.1', port, method, path, agent: method === 'GET' ? false : agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Sends every body with `CONCURRENCY` requests in flight; returns rate and latency figures. */
async function authRound(port: number, bodies: unknown[]) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const t0 = performance.now();
        const r = await call(port, 'POST', '/session/auth', body);
        latencies.push(performance.now() - t0);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: bodies.length,
    perSecond: Math.round(bodies.length / seconds),
    p50Ms: +quantile(latencies, 0.5).toFixed(1),
    p99Ms: +quantile(latencies, 0.99).toFixed(1),
    statuses: Object.fromEntries(statuses),
  };
}

/** The daemon's CPU seconds (user + system, from its /metrics). */
async function daemonCpu(port: number): Promise<number> {
  return metric((await call(port, 'GET', '/metrics')).text, 'process_cpu_seconds_total') ?? 0;
}

/** An auth round with the daemon's CPU use over it (share of one core). */
async function measuredRound(port: number, bodies: unknown[]) {
  const cpu0 = await daemonCpu(port);
  const t0 = performance.now();
  const round = await authRound(port, bodies);
  const wall = (performance.now() - t0) / 1000;
  const cpu = (await daemonCpu(port)) - cpu0;
  return {
    ...round,
    daemonCpuCores: +(cpu / wall).toFixed(2),
    daemonCpuMsPerAuth: +((cpu * 1000) / bodies.length).toFixed(2),
    /** Net of what the daemon spends anyway (its poll), at the rate measured idle after the rounds: set by runOnce. */
    daemonNetCpuMsPerAuth: null as number | null,
    cpuSeconds: cpu,
    wallSeconds: wall,
  };
}

function metric(text: string, name: string): number | null {
  const m = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : null;
}

interface RunResult {
  label: string;
  daemon: string;
  loadAverage1m: { before: number; after: number };
  authFirst: Awaited<ReturnType<typeof measuredRound>>;
  authRekey: Awaited<ReturnType<typeof measuredRound>>;
  meterPoll: { peers: number | null; polls: number; meanMs: number | null };
  rssMiB: { idle: number | null; with1000Peers: number | null };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : +((s[s.length / 2 - 1] + s[s.length / 2]) / 2).toFixed(2);
};

async function main(): Promise<void> {
  // BENCH_DAEMON=<file>: run that compiled daemon instead of building this checkout's.
  // BENCH_BASELINE=<file>: also run that build (e.g. one kept from an earlier commit) against the same
  //   sessions, alternating with this one, so before/after see the same machine load.
  // BENCH_RUNS=<n> (default 1): runs of each daemon, each with a fresh state and interface; the
  //   summary gives each figure's median.
  const daemonFile = process.env.BENCH_DAEMON ? resolve(process.env.BENCH_DAEMON) : join(REPO, 'daemon/dist/dvpn-daemon.mjs');
  if (!process.env.BENCH_DAEMON) execFileSync(process.execPath, [join(REPO, 'scripts/build-daemon.mjs')], { stdio: 'inherit' });
  const builds: Array<{ label: string; file: string }> = [
    ...(process.env.BENCH_BASELINE ? [{ label: 'baseline', file: resolve(process.env.BENCH_BASELINE) }] : []),
    { label: 'current', file: daemonFile },
  ];
  const runs = Math.max(1, arg('runs', 1));
  const tunnel = process.env.BENCH_NO_TUNNEL ? false : canTunnel();
  const dir = mkdtempSync(join(tmpdir(), 'dvpn-bench-daemon-'));
  const tag = `${process.pid % 100000}`;
  const children: ChildProcess[] = [];
  const ifaces: string[] = [];
  const chain = await startChain();
  try {
    await initConfig(chain);
    const serverKey = generateWgKeypair();
    const nodeCtx = await createProviderWithNode(chain, {
      maxCapacity: SESSIONS + 10,
      endpoint: '192.0.2.1:51820',
      wgServerPubkey: new Uint8Array(Buffer.from(serverKey.publicKey, 'base64')),
    });
    const t0 = performance.now();
    const sessions: SessionCtx[] = [];
    for (let i = 0; i < SESSIONS; i += 16) {
      const batch = await Promise.all(Array.from({ length: Math.min(16, SESSIONS - i) }, () => openTimeSession(chain, nodeCtx, 60)));
      sessions.push(...batch);
    }
    console.log(`opened ${sessions.length} time sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const keyPath = join(dir, 'authority.json');
    saveKeypair(keyPath, nodeCtx.owner.authority);
    const wgKey = join(dir, 'wg.key');
    writeFileSync(wgKey, `${serverKey.privateKey}\n`, { mode: 0o600 });

    /** One daemon, fresh state and interface: every session authenticates (new key), then re-keys. */
    const runOnce = async (build: { label: string; file: string }, n: number): Promise<RunResult> => {
      const port = 20000 + ((process.pid + n * 7) % 20000);
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DVPN_RPC_URL: chain.rpcUrl,
        DVPN_AUTHORITY_KEYPAIR: keyPath,
        DVPN_NODE: nodeCtx.node.toBase58(),
        DVPN_HTTP_HOST: '127.0.0.1',
        DVPN_HTTP_PORT: String(port),
        DVPN_HTTP_TUNNEL_PROBE: 'false',
        DVPN_RATE_LIMIT_PER_SECOND: '100000',
        DVPN_RATE_LIMIT_BURST: '100000',
        // One load generator stands for many clients: per-client caps raised to let it through.
        DVPN_HTTP_MAX_IN_FLIGHT_PER_CLIENT: String(CONCURRENCY * 2),
        DVPN_HTTP_MAX_CONNECTIONS_PER_CLIENT: String(CONCURRENCY * 2),
        DVPN_AUTH_FAILURE_LIMIT_PER_SECOND: '100000',
        DVPN_AUTH_FAILURE_LIMIT_BURST: '100000',
        DVPN_WG_POOL: '10.78.0.0/21',
        DVPN_STATE_DIR: join(dir, `state-${n}`),
        DVPN_POLL_INTERVAL_MS: '2000',
        DVPN_CLAIM_INTERVAL_SECONDS: '86400',
        DVPN_LOG_LEVEL: 'warn',
      };
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each daemon run (open in Chrome DevTools).
      const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
      const iface = `dvb${tag}r${n}`.slice(0, 15);
      if (tunnel) {
        // A real userspace WireGuard interface under a bench-unique name (no traffic flows: it holds the peers).
        execFileSync('wireguard-go', [iface], { stdio: 'ignore' });
        ifaces.push(iface);
        Object.assign(env, { DVPN_WG_INTERFACE: iface, DVPN_WG_CONFIGURE: 'true', DVPN_WG_PRIVATE_KEY_FILE: wgKey, DVPN_WG_LISTEN_PORT: '0' });
      } else {
        env.DVPN_TUNNEL = 'none';
      }
      const daemon = spawn(process.execPath, [...prof, build.file], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      children.push(daemon);
      for (let i = 0; ; i++) {
        const ok = await call(port, 'GET', '/healthz').then((r) => r.status === 200, () => false);
        if (ok) break;
        if (daemon.exitCode !== null || i > 300) throw new Error('daemon did not start');
        await sleep(200);
      }
      await sleep(3000);
      const idle = metric((await call(port, 'GET', '/metrics')).text, 'process_resident_memory_bytes');

      const now = () => Math.floor(Date.now() / 1000);
      const first = sessions.map((s) => authRequestBody({ sessionPda: s.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: now() }, s.user));
      const load0 = loadavg()[0];
      const cold = await measuredRound(port, first);
      const rekey = sessions.map((s) => authRequestBody({ sessionPda: s.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: now() }, s.user));
      const warm = await measuredRound(port, rekey);
      const load1 = loadavg()[0];

      // Let a few metering polls run over the full peer set.
      const idle0 = performance.now();
      const before = (await call(port, 'GET', '/metrics')).text;
      await sleep(7000);
      const after = (await call(port, 'GET', '/metrics')).text;
      // The daemon's CPU with 1,000 peers and no requests (poll: chain reads + dumps): subtracted
      // from each round at this rate, it leaves what the authentications themselves cost, which
      // does not depend on how long a round took on a busy machine.
      const idleCores = ((metric(after, 'process_cpu_seconds_total') ?? 0) - (metric(before, 'process_cpu_seconds_total') ?? 0)) / ((performance.now() - idle0) / 1000);
      for (const x of [cold, warm]) x.daemonNetCpuMsPerAuth = +(((x.cpuSeconds - idleCores * x.wallSeconds) * 1000) / x.requests).toFixed(2);
      const polls = (metric(after, 'dvpn_meter_poll_duration_seconds_count') ?? 0) - (metric(before, 'dvpn_meter_poll_duration_seconds_count') ?? 0);
      const pollSeconds = (metric(after, 'dvpn_meter_poll_duration_seconds_sum') ?? 0) - (metric(before, 'dvpn_meter_poll_duration_seconds_sum') ?? 0);
      const peers = metric(after, 'dvpn_peers');
      const loaded = metric(after, 'process_resident_memory_bytes');
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
      if (tunnel) execFileSync('ip', ['link', 'del', iface], { stdio: 'ignore' });
      const r: RunResult = {
        label: build.label,
        daemon: build.file,
        loadAverage1m: { before: +load0.toFixed(2), after: +load1.toFixed(2) },
        authFirst: cold,
        authRekey: warm,
        meterPoll: { peers, polls, meanMs: polls > 0 ? +((pollSeconds / polls) * 1000).toFixed(1) : null },
        rssMiB: { idle: idle && +(idle / 2 ** 20).toFixed(1), with1000Peers: loaded && +(loaded / 2 ** 20).toFixed(1) },
      };
      console.log(
        `  run ${n} ${build.label}: first ${cold.perSecond}/s p99 ${cold.p99Ms} ms, re-key ${warm.perSecond}/s p99 ${warm.p99Ms} ms, ` +
          `daemon ${cold.daemonCpuMsPerAuth} / ${warm.daemonCpuMsPerAuth} ms CPU per auth (net of idle ${cold.daemonNetCpuMsPerAuth} / ${warm.daemonNetCpuMsPerAuth}), load ${r.loadAverage1m.before}`,
      );
      return r;
    };

    const results: RunResult[] = [];
    let n = 0;
    for (let i = 0; i < runs; i++) for (const b of builds) results.push(await runOnce(b, n++));

    const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
    const tunnelText = tunnel ? 'wireguard-go interface' : 'none (no-tunnel mode: not root or no wireguard-go)';
    console.log(`\nnode daemon, ${SESSIONS} sessions, c=${CONCURRENCY}, ${tunnelText}, ${machine.cpus} cores; medians of ${runs} run(s) each`);
    console.log(
      '  the load generator (one process, requests signed before each round) and the embedded chain share the cores with the daemon, and so does anything else running here:',
    );
    console.log(`  machine load average (1 min) during the runs: ${results.map((r) => r.loadAverage1m.before).join(', ')}`);
    const summary: Record<string, unknown> = {};
    for (const b of builds) {
      const rs = results.filter((r) => r.label === b.label);
      const m = (f: (r: RunResult) => number | null) => median(rs.map((r) => f(r) ?? NaN));
      const s = {
        authFirst: { perSecond: m((r) => r.authFirst.perSecond), p50Ms: m((r) => r.authFirst.p50Ms), p99Ms: m((r) => r.authFirst.p99Ms), daemonCpuMsPerAuth: m((r) => r.authFirst.daemonCpuMsPerAuth), daemonNetCpuMsPerAuth: m((r) => r.authFirst.daemonNetCpuMsPerAuth), daemonCpuCores: m((r) => r.authFirst.daemonCpuCores) },
        authRekey: { perSecond: m((r) => r.authRekey.perSecond), p50Ms: m((r) => r.authRekey.p50Ms), p99Ms: m((r) => r.authRekey.p99Ms), daemonCpuMsPerAuth: m((r) => r.authRekey.daemonCpuMsPerAuth), daemonNetCpuMsPerAuth: m((r) => r.authRekey.daemonNetCpuMsPerAuth), daemonCpuCores: m((r) => r.authRekey.daemonCpuCores) },
        meterPollMs: m((r) => r.meterPoll.meanMs),
        peers: m((r) => r.meterPoll.peers),
        rssMiB: { idle: m((r) => r.rssMiB.idle), with1000Peers: m((r) => r.rssMiB.with1000Peers) },
      };
      summary[b.label] = s;
      console.log(` ${b.label} (${b.file.replace(`${REPO}/`, '')}):`);
      for (const [name, x] of [['first auth ', s.authFirst], ['re-key auth', s.authRekey]] as const) {
        console.log(`  ${name}  ${x.perSecond} auth/s  p50 ${x.p50Ms} ms  p99 ${x.p99Ms} ms  daemon CPU ${x.daemonCpuCores} cores, ${x.daemonCpuMsPerAuth} ms/auth (${x.daemonNetCpuMsPerAuth} net of idle)`);
      }
      console.log(`  metering poll of ${s.peers} peers: ${s.meterPollMs} ms`);
      console.log(`  RSS idle ${s.rssMiB.idle} MiB, with ${s.peers} peers ${s.rssMiB.with1000Peers} MiB`);
      const bad = rs.flatMap((r) => [r.authFirst, r.authRekey]).filter((x) => Object.keys(x.statuses).some((k) => k !== '200'));
      if (bad.length) console.log(`  NOT ALL 200: ${bad.map((x) => JSON.stringify(x.statuses)).join(' ')}`);
    }
    const date = new Date().toISOString();
    mkdirSync(join(REPO, 'bench/results'), { recursive: true });
    writeFileSync(
      join(REPO, `bench/results/daemon-${date.slice(0, 10)}.json`),
      `${JSON.stringify({ date, machine, sessions: SESSIONS, concurrency: CONCURRENCY, tunnel: tunnelText, summary, runs: results }, null, 2)}\n`,
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const iface of ifaces) {
      try {
        execFileSync('ip', ['link', 'del', iface], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    await chain.close();
    rmSync(dir, { recursive: true, force: true });
    agent.destroy();
  }
}

await main();
