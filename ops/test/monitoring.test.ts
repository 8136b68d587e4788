// Monitoring, tested for real: promtool checks the alert and recording rules
// and runs their unit tests; then a real Prometheus (Debian's package) scrapes
// the real services — the indexer (graph/bin/indexer.ts with its metrics
// port), an API replica (graph/bin/api.ts) and the compiled node daemon (no-tunnel
// mode) — on the embedded chain, Postgres and Redis, while they do real work.
// Every query of every Grafana dashboard must return data, and a stalled
// writer (the indexer frozen with SIGSTOP while transactions land) must fire
// DvpnIngestionStalled, which clears once it resumes.
//
// The only liberty: the rules' `for:` durations are shortened to 2 s in the
// copy Prometheus loads here (the unit tests check the real durations).
import { execFile, execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keypair } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRequestBody } from '@dvpn/sdk';
import { saveKeypair } from '@dvpn/sdk/node';
import { startChain, type Chain } from '../../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, openUsageSession, type NodeCtx, type SessionCtx } from '../../tests/harness/fixtures.js';
import { startDatabase, startRedis, type TestDatabase, type TestRedis } from '../../graph/test/helpers.js';
import { generateWgKeypair } from '../../daemon/src/wireguard/keys.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const OPS = join(REPO, 'ops');
const RULES = join(OPS, 'prometheus/rules');

const missing = ['promtool', 'prometheus'].filter((bin) => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
// CI installs Debian's prometheus package (scripts/setup-system.sh); a machine without it says so.
if (missing.length) console.warn(`[monitoring test] skipped: ${missing.join(', ')} not installed (apt install prometheus)`);
const SKIP = missing.length > 0 && !process.env.CI;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
const run = (bin: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((ok) =>
    execFile(bin, args, { cwd: REPO }, (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` })),
  );
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe.skipIf(SKIP)('monitoring rules (promtool)', () => {
  it('the rule files are valid', async () => {
    const files = readdirSync(RULES).map((f) => join(RULES, f));
    const r = await run('promtool', ['check', 'rules', ...files]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('the rule unit tests pass', async () => {
    const r = await run('promtool', ['test', 'rules', join(OPS, 'prometheus/tests/rules.test.yml')]);
    expect(r.code, r.out).toBe(0);
  });
});

describe.skipIf(SKIP)('monitoring against the live services (real Prometheus)', () => {
  let chain: Chain;
  let db: TestDatabase;
  let redis: TestRedis;
  let nodeCtx: NodeCtx;
  let dir: string;
  let promUrl: string;
  let apiUrl: string;
  let daemonUrl: string;
  const children: ChildProcess[] = [];
  let indexer: ChildProcess;

  const prom = async (path: string) => {
    const res = await fetch(`${promUrl}${path}`);
    const body = (await res.json()) as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const query = async (expr: string) => (await prom(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result as unknown[];
  const firing = async (name: string) =>
    ((await prom('/api/v1/alerts')).alerts as Array<{ labels: { alertname: string }; state: string }>).some(
      (a) => a.labels.alertname === name && a.state === 'firing',
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dvpn-monitoring-'));
    [chain, db, redis] = await Promise.all([startChain(), startDatabase(), startRedis()]);
    await initConfig(chain);
    nodeCtx = await createProviderWithNode(chain, { maxCapacity: 16, endpoint: '192.0.2.1:51820', pricePerTick: 10_000n });
    const [indexerMetricsPort, daemonPort, promPort] = await Promise.all([freePort(), freePort(), freePort()]);

    indexer = fork(join(REPO, 'graph/bin/indexer.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        SOLANA_RPC_URL: chain.rpcUrl,
        SOLANA_WS_URL: chain.wsUrl,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        INDEXER_METRICS_PORT: String(indexerMetricsPort),
        INDEXER_BACKFILL_INTERVAL_MS: '1000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(indexer);
    await new Promise<void>((ok, fail) => {
      indexer.on('message', (m: { type?: string }) => m?.type === 'leader' && ok());
      indexer.once('exit', (code) => fail(new Error(`indexer exited (${code})`)));
    });

    const api = fork(join(REPO, 'graph/bin/api.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        SOLANA_RPC_URL: chain.rpcUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        API_STALL_AFTER_MS: '2000',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(api);
    apiUrl = await new Promise<string>((ok, fail) => {
      api.on('message', (m: { type?: string; url?: string }) => m?.type === 'listening' && m.url && ok(m.url));
      api.once('exit', (code) => fail(new Error(`api exited (${code})`)));
    });

    execFileSync(process.execPath, [join(REPO, 'scripts/build-daemon.mjs')], { stdio: 'ignore' });
    const keyPath = join(dir, 'authority.json');
    saveKeypair(keyPath, nodeCtx.owner.authority);
    const daemon = spawn(process.execPath, [join(REPO, 'daemon/dist/dvpn-daemon.mjs')], {
      env: {
        PATH: process.env.PATH,
        DVPN_TUNNEL: 'none',
        DVPN_RPC_URL: chain.rpcUrl,
        DVPN_AUTHORITY_KEYPAIR: keyPath,
        DVPN_NODE: nodeCtx.node.toBase58(),
        DVPN_HTTP_HOST: '127.0.0.1',
        DVPN_HTTP_PORT: String(daemonPort),
        DVPN_HTTP_TUNNEL_PROBE: 'false',
        DVPN_STATE_DIR: join(dir, 'daemon-state'),
        DVPN_POLL_INTERVAL_MS: '1000',
        DVPN_CLAIM_INTERVAL_SECONDS: '1',
        DVPN_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(daemon);
    daemonUrl = `http://127.0.0.1:${daemonPort}`;
    await until('the daemon', async () => (await fetch(`${daemonUrl}/healthz`)).status === 200);

    // Prometheus with the project's rules (for: shortened) scraping the three services every second.
    const rulesDir = join(dir, 'rules');
    execFileSync('mkdir', ['-p', rulesDir]);
    for (const f of readdirSync(RULES)) {
      writeFileSync(join(rulesDir, f), readFileSync(join(RULES, f), 'utf8').replace(/^(\s+for:) \S+$/gm, '$1 2s'));
    }
    const target = (url: string) => new URL(url).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 900ms, evaluation_interval: 1s }',
        `rule_files: ['${rulesDir}/*.yml']`,
        'scrape_configs:',
        `  - { job_name: dvpn-indexer, static_configs: [{ targets: ['127.0.0.1:${indexerMetricsPort}'] }] }`,
        `  - { job_name: dvpn-api, static_configs: [{ targets: ['${target(apiUrl)}'] }] }`,
        `  - { job_name: dvpn-daemon, static_configs: [{ targets: ['127.0.0.1:${daemonPort}'] }] }`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(prometheus);
    promUrl = `http://127.0.0.1:${promPort}`;
    await until('prometheus', async () => (await fetch(`${promUrl}/-/ready`)).status === 200);
  }, 240_000);

  afterAll(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGCONT');
        c.kill('SIGKILL');
      }
    }
    await redis?.stop();
    await db?.stop();
    chain?.close();
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('every dashboard query returns data while the services work', async () => {
    // Real work for every panel: sessions opened (indexed), auths (good and forged), a paid tick and its claim,
    // GraphQL queries (one refused), REST, and a live SSE subscription held open.
    const usage: SessionCtx = await openUsageSession(chain, nodeCtx, { maxTicks: 100, durationMinutes: 30 });
    const time = await openTimeSession(chain, nodeCtx, 30);
    const post = (path: string, body: unknown) =>
      fetch(`${daemonUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const now = Math.floor(Date.now() / 1000);
    expect((await post('/session/auth', authRequestBody({ sessionPda: usage.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: now }, usage.user))).status).toBe(200);
    expect((await post('/session/auth', authRequestBody({ sessionPda: time.session, clientWgPubkey: generateWgKeypair().publicKey, timestamp: now }, Keypair.generate()))).status).toBe(401);
    const tick = await post(`/session/${usage.session.toBase58()}/ticks`, { tick: 1, preimage: Buffer.from(usage.hashChain!.preimage(1)).toString('hex') });
    expect(tick.status).toBe(200);
    const gql = (query: string) => fetch(`${apiUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const sse = new AbortController();
    const stream = await fetch(`${apiUrl}/graphql?query=${encodeURIComponent('subscription { sessionChanged { __typename } }')}`, {
      headers: { accept: 'text/event-stream' },
      signal: sse.signal,
    });
    expect(stream.status).toBe(200);
    try {
      await until('the sessions indexed', async () => {
        const r = (await (await gql('{ stats { sessions } }')).json()) as { data?: { stats: { sessions: string } } };
        return Number(r.data?.stats.sessions ?? 0) >= 2;
      });
      // Refused by a limit (aliases): counted in dvpn_api_graphql_refused_total.
      const refused = (await (await gql(`{ ${Array.from({ length: 40 }, (_, i) => `a${i}: stats { sessions }`).join(' ')} }`)).json()) as { errors?: unknown[] };
      if (!refused.errors?.length) throw new Error(`not refused: ${JSON.stringify(refused).slice(0, 300)}`);
      await fetch(`${apiUrl}/nodes`);
      // The daemon claims the paid tick within a poll or two.
      await until('the tick claimed', async () => /dvpn_claims_total\{kind="chunk",result="ok"\} [1-9]/.test(await (await fetch(`${daemonUrl}/metrics`)).text()));
      // Rates need two scrapes of each series after the activity: poll until every panel has data (or time out).
      const panelsWithoutData = async () => {
        const failures: string[] = [];
        for (const file of ['indexer.json', 'api.json', 'daemon.json']) {
          const dashboard = JSON.parse(readFileSync(join(OPS, 'grafana', file), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
          expect(dashboard.panels.length).toBeGreaterThan(5);
          for (const panel of dashboard.panels) {
            for (const { expr } of panel.targets) {
              const result = await query(expr).catch((e: Error) => e.message);
              if (typeof result === 'string') failures.push(`${file} "${panel.title}": ${expr}: ${result}`);
              else if (result.length === 0) failures.push(`${file} "${panel.title}": ${expr}: no data`);
            }
          }
        }
        return failures;
      };
      let failures: string[] = [];
      const deadline = Date.now() + 60_000;
      do {
        failures = await panelsWithoutData();
        if (failures.length) await sleep(1000);
      } while (failures.length && Date.now() < deadline);
      expect(failures).toEqual([]);

      const groups = (await prom('/api/v1/rules')).groups as Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
      const rules = groups.flatMap((g) => g.rules);
      expect(rules.length).toBeGreaterThanOrEqual(30);
      expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    } finally {
      sse.abort();
    }
  }, 180_000);

  it('a stalled writer fires DvpnIngestionStalled, which clears when it resumes', async () => {
    expect(await firing('DvpnIngestionStalled')).toBe(false);
    indexer.kill('SIGSTOP');
    try {
      // Transactions keep landing while the writer is frozen.
      await openTimeSession(chain, nodeCtx, 30);
      await until('DvpnIngestionStalled firing', () => firing('DvpnIngestionStalled'), 90_000);
      await until('DvpnIndexerDown firing', () => firing('DvpnIndexerDown'), 30_000);
    } finally {
      indexer.kill('SIGCONT');
    }
    await until('DvpnIngestionStalled cleared', async () => !(await firing('DvpnIngestionStalled')), 90_000);
  }, 200_000);
});
