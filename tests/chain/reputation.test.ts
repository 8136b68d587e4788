// update_reputation: one rating per session by its user, after it ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchProvider, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  closeSessionIx,
  createProviderWithNode,
  eventOf,
  initConfig,
  mustFetchSession,
  openTimeSession,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;

beforeAll(async () => {
  chain = await startChain();
  cfg = await initConfig(chain);
  node = await createProviderWithNode(chain, { maxCapacity: 10 });
});
afterAll(() => chain?.close());

const rate = (s: SessionCtx, rating: number, user = s.user) =>
  ix.updateReputation({ user: user.publicKey, provider: node.owner.provider, session: s.session, rating });

describe('update_reputation', () => {
  let first: SessionCtx;

  it('is refused while the session is active and before end_ts', async () => {
    first = await openTimeSession(chain, node, 10);
    await chain.expectError(rate(first, 5), [first.user], 'SessionNotEnded');
  });

  it('only accepts ratings 1..5, from the session user', async () => {
    await chain.send(closeSessionIx(chain, first, cfg.treasury.publicKey), [first.user]);
    await chain.expectError(rate(first, 0), [first.user], 'InvalidRating');
    await chain.expectError(rate(first, 6), [first.user], 'InvalidRating');
    await chain.expectError(rate(first, 5, node.owner.authority), [node.owner.authority], 'NotSessionParty');
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect([p.ratingCount, p.reputationScore]).toEqual([0, 1000]);
  });

  it('a closed session is rated once: score = (sum - count) * 500 / count', async () => {
    const res = await chain.send(rate(first, 5), [first.user]);
    let p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect([p.ratingSum, p.ratingCount, p.reputationScore]).toEqual([5n, 1, 2000]);
    expect((await mustFetchSession(chain, first.session)).rated).toBe(true);
    const ev = eventOf(res, 'ReputationUpdated');
    expect(ev.provider.toBase58()).toBe(node.owner.provider.toBase58());
    expect(ev.session.toBase58()).toBe(first.session.toBase58());
    expect(ev.user.toBase58()).toBe(first.user.publicKey.toBase58());
    expect([ev.rating, ev.reputationScore, ev.ratingCount]).toEqual([5, 2000, 1]);
    expect(ev.timestamp).toBe(await chain.now());

    await chain.expectError(rate(first, 4), [first.user], 'AlreadyRated');
    p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect(p.ratingCount).toBe(1);
  });

  it('an active session past end_ts may be rated; averages accumulate with floor division', async () => {
    const second = await openTimeSession(chain, node, 1);
    const third = await openTimeSession(chain, node, 1);
    const start = (await mustFetchSession(chain, third.session)).startTs;
    await chain.setTime(start + 59n);
    await chain.expectError(rate(second, 2), [second.user], 'SessionNotEnded');
    await chain.setTime(start + 60n); // now >= end_ts
    await chain.send(rate(second, 2), [second.user]);
    let p = (await fetchProvider(chain.connection, node.owner.provider))!;
    // ratings 5, 2: (7 - 2) * 500 / 2 = 1250
    expect([p.ratingSum, p.ratingCount, p.reputationScore]).toEqual([7n, 2, 1250]);
    const res = await chain.send(rate(third, 1), [third.user]);
    p = (await fetchProvider(chain.connection, node.owner.provider))!;
    // ratings 5, 2, 1: (8 - 3) * 500 / 3 = 833 (floor)
    expect([p.ratingSum, p.ratingCount, p.reputationScore]).toEqual([8n, 3, 833]);
    expect(eventOf(res, 'ReputationUpdated').reputationScore).toBe(833);
  });
});
