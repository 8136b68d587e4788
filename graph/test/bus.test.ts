// The bus: typed topics with keyed filters, in process and over a real Redis
// (two bus instances = two processes' worth of connections), order kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, type Bus, type NodeCapacityChange, type SessionChange } from '../src/bus.js';
import { startRedis, waitFor, type TestRedis } from './helpers.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const change = (i: number, over: Partial<SessionChange> = {}): SessionChange => ({
  cause: 'ChunkClaimed',
  signature: `sig${i}`,
  slot: i,
  timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(),
  session: `S${i % 3}`,
  user: `U${i % 2}`,
  node: 'N1',
  provider: 'P1',
  mode: 'USAGE',
  state: 'ACTIVE',
  previousState: 'ACTIVE',
  paymentMint: '11111111111111111111111111111111',
  escrowAmount: '18446744073709551615',
  remainingBalance: String(1000 - i),
  claimedAmount: String(i),
  feeAmount: '0',
  refundedAmount: '0',
  bytesUsed: '0',
  lastTick: String(i),
  rated: false,
  ...over,
});

const capacity = (region: string, node: string): NodeCapacityChange => ({
  cause: 'SessionOpened', signature: 's', slot: 1, timestamp: new Date(0).toISOString(), node, provider: 'P', region,
  maxCapacity: 4, activeSessions: 1, freeCapacity: 3, isActive: true, pricePerMinute: '1', pricePerMinuteToken: '0',
});

async function exercise(pub: Bus, sub: Bus): Promise<void> {
  await Promise.all([pub.ready(), sub.ready()]);
  const all: SessionChange[] = [];
  const bySession: SessionChange[] = [];
  const byUserAndSession: SessionChange[] = [];
  const west: NodeCapacityChange[] = [];
  const offAll = sub.subscribe('session', {}, (c) => all.push(c));
  sub.subscribe('session', { session: 'S1' }, (c) => bySession.push(c));
  sub.subscribe('session', { user: 'U0', session: 'S0' }, (c) => byUserAndSession.push(c));
  sub.subscribe('nodeCapacity', { region: 'eu-west' }, (c) => west.push(c));
  expect(() => sub.subscribe('session', { region: 'x' } as never, () => undefined)).toThrow(/cannot be filtered by region/);

  const ctrl = new AbortController();
  const iter = sub.iterate('session', { provider: 'P1' }, { signal: ctrl.signal });
  await pub.publishMany(Array.from({ length: 12 }, (_, i) => ({ topic: 'session' as const, payload: change(i) })));
  await pub.publish('nodeCapacity', capacity('eu-west', 'A'));
  await pub.publish('nodeCapacity', capacity('us-east', 'B'));

  await waitFor(() => all.length === 12 && west.length === 1, { what: 'deliveries' });
  expect(all.map((c) => c.slot)).toEqual([...Array(12).keys()]);
  expect(all[0].escrowAmount).toBe('18446744073709551615'); // u64 max survives as a string
  expect(bySession.map((c) => c.slot)).toEqual([1, 4, 7, 10]);
  expect(byUserAndSession.map((c) => c.slot)).toEqual([0, 6]);
  expect(west.map((c) => c.node)).toEqual(['A']);

  const got: number[] = [];
  for await (const c of iter) {
    got.push(c.slot);
    if (got.length === 12) break; // return() unsubscribes
  }
  expect(got).toEqual([...Array(12).keys()]);
  ctrl.abort();

  offAll();
  await pub.publish('session', change(99));
  await waitFor(() => bySession.length === 4 && byUserAndSession.length === 2, { what: 'settle' });
  await new Promise((r) => setTimeout(r, 50));
  expect(all.length).toBe(12);
}

describe('bus', () => {
  it('in process: keyed filters, order, async iteration, unsubscribe', async () => {
    const bus = createBus();
    expect(bus.kind).toBe('memory');
    await exercise(bus, bus);
    expect(bus.subscriberCount()).toBe(3);
    await bus.close();
  });

  it('over Redis: one publisher, a subscriber on other connections', async () => {
    const pub = createBus({ redisUrl: redis.url, prefix: 't1' });
    const sub = createBus({ redisUrl: redis.url, prefix: 't1' });
    expect(pub.kind).toBe('redis');
    try {
      await exercise(pub, sub);
    } finally {
      await Promise.all([pub.close(), sub.close()]);
    }
  });

  it('an iterator ends when the bus closes', async () => {
    const bus = createBus();
    const it = bus.iterate('event');
    const next = it.next();
    await bus.close();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});
