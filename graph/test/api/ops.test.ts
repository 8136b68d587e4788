// Operations: /healthz, /readyz (database, RPC, ingestion), /metrics in
// Prometheus text, GraphiQL at /graphql. Real chain, Postgres, indexer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { createNode, createProvider, initConfig } from '../../../tests/harness/fixtures.js';
import { silentLogger } from '../../src/log.js';
import { createRpcProbe, databaseIngestionSource } from '../../src/api/ingestion.js';
import { createApiServer } from '../../src/api/server.js';
import { waitFor } from '../helpers.js';
import { gql, startStack, type ApiStack } from './setup.js';

let s: ApiStack;

beforeAll(async () => {
  s = await startStack();
  await initConfig(s.chain);
  const provider = await createProvider(s.chain);
  await createNode(s.chain, provider, { region: 'eu-south' });
  await waitFor(async () => (await gql(s.url, '{ stats { nodes } }')).data?.stats.nodes === '1', { what: 'node indexed' });
  await s.indexer.whenIdle();
});

afterAll(async () => {
  await s?.close();
});

/** The value of one Prometheus sample (first match), or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const re = new RegExp(`^${name}${labels.replace(/[{}]/g, (c) => `\\${c}`)}(?:\\{[^}]*\\})? (\\S+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('health and readiness', () => {
  it('/healthz answers while the process lives; /readyz checks database, RPC and ingestion', async () => {
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe('ok');
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.ready).toBe(true);
    expect(body.checks.database).toEqual({ ok: true });
    expect(body.checks.rpc.ok).toBe(true);
    expect(body.checks.rpc.slot).toBeGreaterThan(0);
    expect(body.checks.ingestion).toMatchObject({ ok: true, source: 'indexer', role: 'leader', lagSlots: 0, liveConnected: true });
    expect(body.checks.ingestion.eventsApplied).toBeGreaterThan(0);
  });

  it('/readyz is 503 when the RPC is unreachable or ingestion is stalled', async () => {
    const noRpc = createApiServer({
      prisma: s.prisma,
      bus: s.bus,
      port: 0,
      logger: silentLogger,
      rpc: createRpcProbe('http://127.0.0.1:9', DVPN_PROGRAM_ID.toBase58(), 1000),
    });
    // Ingestion seen from the database: the chain has a program transaction
    // the checkpoint has not reached, and (stallAfterMs 0) no grace period.
    const checkpoint = await s.prisma.checkpoint.findUniqueOrThrow({ where: { id: DVPN_PROGRAM_ID.toBase58() } });
    const ahead = { getSlot: async () => Number(checkpoint.headSlot) + 50, newestProgramSlot: async () => Number(checkpoint.headSlot) + 10 };
    const stalled = createApiServer({
      prisma: s.prisma,
      bus: s.bus,
      port: 0,
      logger: silentLogger,
      rpc: ahead,
      ingestion: databaseIngestionSource(s.prisma, ahead, { stallAfterMs: 0, programId: DVPN_PROGRAM_ID.toBase58() }),
    });
    const [a, b] = await Promise.all([noRpc.start(), stalled.start()]);
    try {
      const r1 = await fetch(`${a.url}/readyz`);
      expect(r1.status).toBe(503);
      const b1 = await r1.json();
      expect(b1.checks.database.ok).toBe(true);
      expect(b1.checks.rpc.ok).toBe(false);
      expect(b1.checks.rpc.error).toMatch(/^(rpc unreachable|rpc timed out after \d+ ms)$/);
      const r2 = await fetch(`${b.url}/readyz`);
      expect(r2.status).toBe(503);
      const b2 = await r2.json();
      expect(b2.checks.ingestion).toMatchObject({ ok: false, lagSlots: 10, error: 'ingestion is behind and not progressing' });
      // /healthz stays 200: the process itself is fine.
      expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
      const m = await (await fetch(`${b.url}/metrics`)).text();
      expect(sample(m, 'dvpn_ingest_lag_slots')).toBe(10);
      expect(sample(m, 'dvpn_ingest_stalled')).toBe(1);
    } finally {
      await Promise.all([noRpc.stop(), stalled.stop()]);
    }
  });
});

describe('metrics', () => {
  it('Prometheus text: ingestion lag, events applied, backfill progress, subscribers, query latency, process metrics', async () => {
    await gql(s.url, '{ nodes { totalCount } }');
    await gql(s.url, '{ nodes(first: 1000) { totalCount } }'); // refused
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = await res.text();
    const program = `{program="${DVPN_PROGRAM_ID.toBase58()}"}`;
    expect(sample(m, 'dvpn_indexer_lag_slots', program)).toBe(0);
    expect(sample(m, 'dvpn_indexer_events_applied_total', program)).toBeGreaterThanOrEqual(4);
    expect(sample(m, 'dvpn_indexer_backfill_progress_ratio', program)).toBe(1);
    expect(sample(m, 'dvpn_indexer_leader', program)).toBe(1);
    expect(sample(m, 'dvpn_api_subscribers_connected')).toBe(0);
    expect(m).toMatch(/^# TYPE dvpn_api_graphql_duration_seconds histogram$/m);
    expect(m).toMatch(/^dvpn_api_graphql_duration_seconds_bucket\{le="\+Inf",operation="query"\} [1-9]\d*$/m);
    expect(m).toMatch(/^dvpn_api_graphql_duration_seconds_count\{operation="query"\} [1-9]\d*$/m);
    expect(m).toMatch(/^dvpn_api_graphql_refused_total\{rule="PAGE_SIZE_EXCEEDED"\} 1$/m);
    expect(m).toMatch(/^dvpn_api_bus_subscribers 0$/m);
    // prom-client's default process and Node.js metrics, once each
    expect(sample(m, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(sample(m, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.match(/^# TYPE process_cpu_seconds_total counter$/gm)).toHaveLength(1);
    // every name is described once
    const types = m.match(/^# TYPE \S+/gm)!;
    expect(new Set(types).size).toBe(types.length);
    // every line is a comment, `name{labels} value`, or empty (the format ignores empty lines)
    for (const line of m.trimEnd().split('\n')) expect(line).toMatch(/^(|# (HELP|TYPE) .+|[a-z_][a-z0-9_]*(\{[^}]*\})? -?[0-9.e+-]+|[a-z_][a-z0-9_]*(\{[^}]*\})? \+Inf|[a-z_][a-z0-9_]*(\{[^}]*\})? NaN)$/);
  });
});

describe('GraphiQL', () => {
  it('is served at /graphql to browsers, with its assets inline (offline) and the example operations as tabs', async () => {
    const res = await fetch(`${s.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/DVPN GraphQL/);
    // No script or stylesheet from elsewhere: a page that loads offline.
    expect(html).not.toMatch(/<script[^>]+src=["']?https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);
    expect(html).not.toMatch(/unpkg\.com|cdn\.jsdelivr/);
    // Each file of graph/operations is a tab (its operation names appear in the page's options).
    for (const name of ['PlatformStats', 'DiscoverNodes', 'SessionChanged']) expect(html).toContain(name);
  });
});
