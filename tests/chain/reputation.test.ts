// update_reputation: one rating per session by its user, after it ended, and
// only for a session that paid the provider at least Config.min_rating_lamports
// (weighted by how many minimums it paid); a provider cannot rate itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchProvider, ix } from '@dvpn/sdk';
import { startChain, type Chain } from '../harness/surfnet.js';
import {
  claimChunkIx,
  closeSessionIx,
  DEFAULT_NODE,
  createProviderWithNode,
  eventOf,
  initConfig,
  mustFetchSession,
  openTimeSession,
  type ConfigCtx,
  type NodeCtx,
  type SessionCtx,
} from '../harness/fixtures.js';

const MINIMUM = DEFAULT_NODE.pricePerMinute;

let chain: Chain;
let cfg: ConfigCtx;
let node: NodeCtx;

beforeAll(async () => {
  chain = await startChain();
  // One minute of the default node (0.001 SOL) is exactly one rating minimum.
  cfg = await initConfig(chain, { minRatingLamports: MINIMUM });
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

  it('a session closed before it paid the minimum earns no rating (RatingNotEarned)', async () => {
    const free = await openTimeSession(chain, node, 10);
    await chain.send(closeSessionIx(chain, free, cfg.treasury.publicKey), [free.user]);
    expect((await mustFetchSession(chain, free.session)).claimedAmount).toBe(0n);
    await chain.expectError(rate(free, 1), [free.user], 'RatingNotEarned');
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    expect([p.ratingCount, p.reputationScore]).toEqual([0, 1000]);
  });

  it('a provider cannot rate its own node (SelfRating)', async () => {
    const self = await openTimeSession(chain, node, 1, { user: node.owner.authority });
    await chain.expectError(rate(self, 5), [node.owner.authority], 'SelfRating');
  });

  it('only accepts ratings 1..5, from the session user', async () => {
    // One minute served and paid at close: exactly one rating minimum.
    const start = (await mustFetchSession(chain, first.session)).startTs;
    await chain.setTime(start + 60n);
    await chain.send(closeSessionIx(chain, first, cfg.treasury.publicKey), [first.user]);
    expect((await mustFetchSession(chain, first.session)).claimedAmount).toBe(MINIMUM);
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
    // Each paid one minimum (the provider's claim of the full minute).
    await chain.send(claimChunkIx(chain, second, cfg.treasury.publicKey, 60n), [node.owner.authority]);
    await chain.send(claimChunkIx(chain, third, cfg.treasury.publicKey, 60n), [node.owner.authority]);
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

  it('a rating counts once per minimum the session paid', async () => {
    const fourth = await openTimeSession(chain, node, 3);
    const start = (await mustFetchSession(chain, fourth.session)).startTs;
    await chain.setTime(start + 180n);
    await chain.send(claimChunkIx(chain, fourth, cfg.treasury.publicKey, 180n), [node.owner.authority]);
    expect((await mustFetchSession(chain, fourth.session)).claimedAmount).toBe(3n * MINIMUM);
    await chain.send(rate(fourth, 5), [fourth.user]);
    const p = (await fetchProvider(chain.connection, node.owner.provider))!;
    // weights 1, 1, 1, 3; weighted sum 5 + 2 + 1 + 3 * 5 = 23: (23 - 6) * 500 / 6 = 1416 (floor)
    expect([p.ratingSum, p.ratingWeight, p.ratingCount, p.reputationScore]).toEqual([23n, 6n, 4, 1416]);
  });
});
