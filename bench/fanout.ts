// Subscription fan-out through the Redis bus: one change reaches C graphql-ws
// subscribers spread over P API processes on this machine.
//
//   npx tsx bench/fanout.ts [--clients 10000] [--api-processes 2] [--publishes 5] [--warmup 3] [--client-processes 2]
//
// What runs: an embedded PostgreSQL (migrated, empty), a redis-server child,
// P API replicas (`graph/bin/api.ts`, each its own process and port, as
// replicas behind a load balancer; REDIS_URL set, per-client caps off since
// every bench client comes from 127.0.0.1), and C raw graphql-transport-ws
// clients in `--client-processes` child processes, spread round-robin over
// the replicas, all subscribed to the same `nodeCapacity(region)` feed. This
// process publishes each change on the Redis bus, as the indexer does after a
// commit; the figure is the time from that publish to the moment the last
// subscriber's client received it (the clients share the cores, so their
// receive time is in it). Not part of the tests; prints what it ran.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fanoutClient } from './fanout-client.js';
import { createBus } from '../graph/src/bus.js';
import { startEmbeddedPostgres } from '../graph/src/db/embedded.js';
import { migrate } from '../graph/src/db/migrate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : Number(process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? fallback);
};
const now = () => performance.timeOrigin + performance.now();
const REGION = 'bench-fanout';

if (argv.includes('--fanout-client')) {
  await fanoutClient({ urls: argv[argv.indexOf('--urls') + 1].split(','), first: opt('first', 0), count: opt('count', 100), publishes: opt('publishes', 5), region: REGION });
  process.exit(0);
}

function pct(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const ms = (v: number) => `${v.toFixed(0)} ms`;

async function startRedis(): Promise<{ url: string; stop(): void }> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/** Subscribers of the feed in one replica, from its /metrics. */
async function subscribers(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^dvpn_api_subscribers_connected (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

async function main(): Promise<void> {
  const clients = opt('clients', 10_000);
  const apiProcesses = opt('api-processes', 2);
  const clientProcesses = opt('client-processes', 2);
  const publishes = opt('publishes', 5);
  const warmup = opt('warmup', 3);
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(
    `fan-out: ${clients.toLocaleString()} graphql-ws subscribers of one feed over ${apiProcesses} API process(es) ` +
      `(graph/bin/api.ts replicas, Redis bus), clients in ${clientProcesses} process(es), ${publishes} changes; ` +
      `${cpus().length} cores, Node ${process.version}, load average ${load}`,
  );
  const db = await startEmbeddedPostgres({ durable: false });
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  const apis: ChildProcess[] = [];
  const bus = createBus({ redisUrl: redis.url });
  try {
    await migrate(db.url);
    await bus.ready();
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // One machine's clients all come from 127.0.0.1: the per-client caps would refuse them.
      API_RATE_LIMIT: '0',
      API_COST_BUDGET: '0',
      API_MAX_SUBSCRIPTIONS_PER_CLIENT: '0',
      API_MAX_WS_CONNECTIONS_PER_CLIENT: '0',
      API_DB_POOL: '2',
    };
    const bases = await Promise.all(
      Array.from({ length: apiProcesses }, () => {
        // BENCH_CPU_PROF=<dir>: each replica writes a V8 CPU profile there when the bench stops it.
        const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
        const child = fork(join(HERE, '..', 'graph', 'bin', 'api.ts'), [], { env, execArgv: ['--import', 'tsx', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        apis.push(child);
        children.push(child);
        return new Promise<string>((resolve, reject) => {
          child.on('message', (m: { type?: string; url?: string }) => m.type === 'listening' && resolve(m.url!));
          child.on('exit', (code) => reject(new Error(`API process exited (${code})`)));
        });
      }),
    );
    const urls = bases.map((b) => `${b.replace(/^http/, 'ws')}/graphql`);

    const tConnect = now();
    const received: Record<number, number[]>[] = [];
    const per = Math.ceil(clients / clientProcesses);
    const runs = Array.from({ length: clientProcesses }, (_, k) => {
      const count = Math.min(per, clients - k * per);
      const child = fork(fileURLToPath(import.meta.url), ['--fanout-client', '--urls', urls.join(','), '--first', String(k * per), '--count', String(count), '--publishes', String(publishes + warmup)], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      const connected = new Promise<void>((r) => child.on('message', (m: { type: string }) => m.type === 'connected' && r()));
      const result = new Promise<void>((r) =>
        child.on('message', (m: { type: string; received?: Record<number, number[]>; error?: string }) => {
          if (m.type === 'received') {
            received.push(m.received!);
            r();
          }
          if (m.type === 'error') console.error('client error', m.error);
        }),
      );
      return { connected, result };
    });
    await Promise.all(runs.map((r) => r.connected));
    // Connected is not subscribed: wait until every replica runs all its subscriptions.
    for (;;) {
      const n = (await Promise.all(bases.map(subscribers))).reduce((a, b) => a + b, 0);
      if (n >= clients) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`  ${clients.toLocaleString()} clients connected and subscribed in ${((now() - tConnect) / 1000).toFixed(1)} s`);
    // The first `warmup` changes are not counted: the replicas have just
    // handled 10,000 handshakes and compile the fan-out path on first use.
    const sent: number[] = [];
    for (let seq = 0; seq < publishes + warmup; seq++) {
      await new Promise((r) => setTimeout(r, seq === 0 ? 3000 : 1000));
      sent.push(now());
      await bus.publish('nodeCapacity', {
        node: 'BenchNode1111111111111111111111111111111111',
        provider: 'BenchProvider111111111111111111111111111111',
        region: REGION,
        maxCapacity: 10,
        activeSessions: seq,
        freeCapacity: 10 - seq,
        isActive: true,
        pricePerMinute: '1000000',
        pricePerMinuteToken: '0',
        cause: 'SessionOpened',
        signature: String(seq),
        slot: seq,
        timestamp: new Date().toISOString(),
      });
    }
    await Promise.all(runs.map((r) => r.result));
    const all: number[] = [];
    for (let seq = warmup; seq < publishes + warmup; seq++) {
      const lat = received.flatMap((r) => r[seq] ?? []).map((t) => t - sent[seq]).sort((a, b) => a - b);
      all.push(lat[lat.length - 1]);
      console.log(
        `  change ${seq - warmup + 1}: reached ${lat.length.toLocaleString()}/${clients.toLocaleString()}; p50 ${ms(pct(lat, 50))}  p99 ${ms(pct(lat, 99))}  all ${ms(lat[lat.length - 1])}`,
      );
    }
    all.sort((a, b) => a - b);
    console.log(
      `fanout: all ${clients.toLocaleString()} reached in ${ms(pct(all, 50))} (median of ${publishes} changes after ${warmup} warm-up ones; range ${ms(all[0])}–${ms(all[all.length - 1])}) ` +
        `with ${apiProcesses} API process(es); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
    );
  } finally {
    // The replicas stop gracefully (SIGTERM), so a CPU profile gets written.
    await Promise.all(
      apis.map((c) => new Promise<void>((r) => {
        if (c.exitCode !== null) return r();
        c.once('exit', () => r());
        c.kill('SIGTERM');
        setTimeout(r, 15_000).unref();
      })),
    );
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await bus.close().catch(() => undefined);
    redis.stop();
    await db.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
