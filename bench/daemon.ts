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
// Where the tail comes from, per round: p50/p90/p99/max; the event-loop delay
// (p99/max) of the daemon (prom-client's monitor, reset by the scrape before
// the round) and of the load generator itself (a stall there inflates every
// latency it measures); the daemon's GC pauses by kind; when in the round the
// slowest 1 % were sent (the same millisecond: one wave of requests held
// together); and the daemon's own account of its waits per admission
// (dvpn_auth_stage_seconds: chain read, journal, WireGuard, pre-re-key dump).
// Each daemon first serves --warmup (128) auths of other sessions, not
// counted (a fresh process's first burst measures V8 compiling the hot paths);
// each round opens fresh connections. The requests are sent and timed from a
// worker thread (bench/daemon-load.mjs) whose event loop does nothing else.
//
//   npx tsx bench/daemon.ts [--sessions 1000] [--concurrency 64] [--runs 3] [--warmup 128]
//   BENCH_BASELINE=<compiled daemon> ...   an earlier build, run alternately on the same sessions
//   BENCH_DAEMON=<compiled daemon> ...     run that build instead of building this checkout
//   BENCH_CPU_PROF=<dir> ...               a V8 CPU profile of each daemon run
//
// As root with wireguard-go, the peers are set on a real (userspace) WireGuard
// interface in the bench's own network namespace; otherwise the daemon runs in
// its no-tunnel mode (no `wg` exec per peer: faster than a real node) and the
// output says so. The load generator (its own thread) and the embedded chain
// share the machine's cores with the daemon. Not part of the tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
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
/**
 * Auths of other sessions each daemon serves before the measured rounds, not counted: a running
 * daemon has compiled its hot paths and holds its RPC connections; a fresh process's first burst
 * measures V8 warming up. The measured rounds are still every first auth of SESSIONS new sessions.
 */
const WARMUP = arg('warmup', 128);
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

function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = request(
      // GETs between rounds on a fresh connection: a keep-alive socket idle past the daemon's
      // headers timeout is closed by it, and reusing it would fail the run ("socket hang up").
      { host: '127.0.0.1', port, method, path, agent: false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
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

/** The load generator's thread (bench/daemon-load.mjs), started by main. */
let loadThread: Worker | null = null;

/** Sends every body with `CONCURRENCY` requests in flight (from the load thread); returns rate and latency figures. */
async function authRound(port: number, bodies: unknown[]) {
  const out = await new Promise<{ timeline: Array<[number, number]>; statuses: Record<string, number>; seconds: number; loopDelayMs: { p99: number; max: number }; error?: string }>(
    (ok, fail) => {
      const failed = (err: Error) => fail(err);
      loadThread!.once('error', failed);
      loadThread!.once('message', (m) => {
        loadThread!.off('error', failed);
        ok(m);
      });
      loadThread!.postMessage({ port, bodies: bodies.map((b) => JSON.stringify(b)), concurrency: CONCURRENCY });
    },
  );
  if (out.error) throw new Error(`load generator: ${out.error}`);
  const { timeline, statuses, seconds } = out;
  const latencies = timeline.map(([, ms]) => ms).sort((a, b) => a - b);
  const p99 = quantile(latencies, 0.99);
  // The slowest 1 %: when in the round they were sent (ms from its start).
  const slow = timeline.filter(([, ms]) => ms >= p99).map(([t]) => Math.round(t)).sort((a, b) => a - b);
  return {
    requests: bodies.length,
    perSecond: Math.round(bodies.length / seconds),
    p50Ms: +quantile(latencies, 0.5).toFixed(1),
    p90Ms: +quantile(latencies, 0.9).toFixed(1),
    p99Ms: +p99.toFixed(1),
    maxMs: +latencies[latencies.length - 1].toFixed(1),
    statuses,
    slowestSentAtMs: slow,
    /** The load thread's own event-loop delay over the round: a stall there adds to the latencies it measures. */
    loadGenLoopDelayMs: { p99: +out.loopDelayMs.p99.toFixed(1), max: +out.loopDelayMs.max.toFixed(1) },
  };
}

/** Sum of a metric's samples whose labels contain `labels` (e.g. every GC kind). */
function metricSum(text: string, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) if (labels.every((l) => (m[1] ?? '').includes(l))) sum += Number(m[2]);
  return sum;
}

/** An auth round with the daemon's CPU use over it (share of one core), its GC and its event-loop delay. */
async function measuredRound(port: number, bodies: unknown[]) {
  // prom-client resets its event-loop delay histogram at each scrape: the scrape after the
  // round gives the delay over the round.
  const m0 = (await call(port, 'GET', '/metrics')).text;
  // The scrape is not part of the round: let the daemon finish with it before the burst.
  await sleep(250);
  const t0 = performance.now();
  const round = await authRound(port, bodies);
  const wall = (performance.now() - t0) / 1000;
  const m1 = (await call(port, 'GET', '/metrics')).text;
  const cpu = (metric(m1, 'process_cpu_seconds_total') ?? 0) - (metric(m0, 'process_cpu_seconds_total') ?? 0);
  const gc = (kind: string) => ({
    count: metricSum(m1, 'nodejs_gc_duration_seconds_count', `kind="${kind}"`) - metricSum(m0, 'nodejs_gc_duration_seconds_count', `kind="${kind}"`),
    ms: +((metricSum(m1, 'nodejs_gc_duration_seconds_sum', `kind="${kind}"`) - metricSum(m0, 'nodejs_gc_duration_seconds_sum', `kind="${kind}"`)) * 1000).toFixed(1),
  });
  // The daemon's own account of where admissions waited (dvpn_auth_stage_seconds over the round):
  // mean, and the bucket bound under which 99 % of them fell.
  const stages: Record<string, { n: number; meanMs: number; p99UnderMs: number | null }> = {};
  for (const stage of ['session_read', 'journal', 'wireguard', 'meter']) {
    const sel = `stage="${stage}"`;
    const n = metricSum(m1, 'dvpn_auth_stage_seconds_count', sel) - metricSum(m0, 'dvpn_auth_stage_seconds_count', sel);
    if (n <= 0) continue;
    const sum = metricSum(m1, 'dvpn_auth_stage_seconds_sum', sel) - metricSum(m0, 'dvpn_auth_stage_seconds_sum', sel);
    let p99UnderMs: number | null = null;
    for (const le of [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5]) {
      const b = `le="${le}"`;
      const inBucket = metricSum(m1, 'dvpn_auth_stage_seconds_bucket', sel, b) - metricSum(m0, 'dvpn_auth_stage_seconds_bucket', sel, b);
      if (inBucket >= 0.99 * n) {
        p99UnderMs = le * 1000;
        break;
      }
    }
    stages[stage] = { n, meanMs: +((sum * 1000) / n).toFixed(1), p99UnderMs };
  }
  return {
    ...round,
    daemonStages: stages,
    daemonLoopDelayMs: { p99: +((metric(m1, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000).toFixed(1), max: +((metric(m1, 'nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000).toFixed(1) },
    daemonGc: { minor: gc('minor'), major: gc('major'), incremental: gc('incremental') },
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
  loadThread = new Worker(new URL('./daemon-load.mjs', import.meta.url));
  try {
    await initConfig(chain);
    const serverKey = generateWgKeypair();
    const nodeCtx = await createProviderWithNode(chain, {
      maxCapacity: SESSIONS + WARMUP + 10,
      endpoint: '192.0.2.1:51820',
      wgServerPubkey: new Uint8Array(Buffer.from(serverKey.publicKey, 'base64')),
    });
    const t0 = performance.now();
    const sessions: SessionCtx[] = [];
    for (let i = 0; i < SESSIONS + WARMUP; i += 16) {
      const batch = await Promise.all(Array.from({ length: Math.min(16, SESSIONS + WARMUP - i) }, () => openTimeSession(chain, nodeCtx, 60)));
      sessions.push(...batch);
    }
    const warmupSessions = sessions.splice(SESSIONS);
    console.log(`opened ${sessions.length} + ${warmupSessions.length} (warm-up) time sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

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
      if (warmupSessions.length > 0) {
        const bodies = warmupSessions.map((s) => authRequestBody({ sessionPda: s.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: now() }, s.user));
        const w = await authRound(port, bodies);
        if (Object.keys(w.statuses).some((k) => k !== '200')) throw new Error(`warm-up auths failed: ${JSON.stringify(w.statuses)}`);
        await sleep(1000);
      }
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
      for (const [name, x] of [['first', cold], ['re-key', warm]] as const) {
        const gcText = (['minor', 'major', 'incremental'] as const).map((k) => `${k} ${x.daemonGc[k].count}/${x.daemonGc[k].ms} ms`).join(', ');
        console.log(
          `    ${name}: p50/p90/p99/max ${x.p50Ms}/${x.p90Ms}/${x.p99Ms}/${x.maxMs} ms; event-loop delay p99/max: daemon ${x.daemonLoopDelayMs.p99}/${x.daemonLoopDelayMs.max} ms, load generator ${x.loadGenLoopDelayMs.p99}/${x.loadGenLoopDelayMs.max} ms; daemon GC ${gcText}; slowest 1 % sent at ${x.slowestSentAtMs.join(',')} ms of ${Math.round(x.wallSeconds * 1000)}`,
        );
        const waits = Object.entries(x.daemonStages).map(([k, v]) => `${k} ${v.meanMs} ms, ${v.p99UnderMs ?? '>2500'} ms`);
        console.log(`      daemon waits (mean, p99 under): ${waits.length > 0 ? waits.join('; ') : 'none reported (a build without dvpn_auth_stage_seconds)'}`);
      }
      return r;
    };

    const results: RunResult[] = [];
    let n = 0;
    for (let i = 0; i < runs; i++) for (const b of builds) results.push(await runOnce(b, n++));

    const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
    const tunnelText = tunnel ? 'wireguard-go interface' : 'none (no-tunnel mode: not root or no wireguard-go)';
    console.log(`\nnode daemon, ${SESSIONS} sessions, c=${CONCURRENCY}, ${tunnelText}, ${machine.cpus} cores; medians of ${runs} run(s) each`);
    if (WARMUP > 0) {
      console.log(
        `  each daemon first served ${WARMUP} auths of ${WARMUP} other sessions, not counted (V8 compiling the hot paths, RPC connections: a running daemon has done this); their peers stay, so the rounds run against ${SESSIONS + WARMUP} peers`,
      );
    }
    console.log(
      '  the load generator (a thread of the bench, requests signed before each round) and the embedded chain share the cores with the daemon, and so does anything else running here:',
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
      `${JSON.stringify({ date, machine, sessions: SESSIONS, warmupAuths: WARMUP, concurrency: CONCURRENCY, tunnel: tunnelText, summary, runs: results }, null, 2)}\n`,
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
    await loadThread?.terminate();
  }
}

await main();
