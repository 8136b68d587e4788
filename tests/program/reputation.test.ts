// update_reputation (docs/PROGRAM.md "Session states": rating rules and score formula).
import { describe, expect, it } from 'vitest';
import {
  accountIndex,
  addProvider,
  addUser,
  claimIx,
  closeIx,
  createMarket,
  disputeIx,
  eventOf,
  expectErr,
  expectOk,
  openTime,
  openUsage,
  rateIx,
  replaceAccount,
  stateOf,
  type SessionFx,
} from './setup.js';

const watched = (s: SessionFx) => [s.session, s.node.prov.provider];

describe('update_reputation', () => {
  it('the user rates an ended session once; the score is (sum - weight) * 500 / weight', () => {
    // given three sessions the same user closed after a minute, each paying 1_000_000 lamports
    // (1_000 minimums: the weight is capped at 100)
    const { w, env, prov, node, user } = createMarket();
    const sessions = [0, 1, 2].map(() => openTime(w, user, node, { minutes: 5 }));
    env.warp(60);
    for (const s of sessions) expectOk(env.send(closeIx(s), [user.kp]));
    for (const s of sessions) expect(env.session(s.session).claimedAmount).toBe(1_000_000n);

    // when the user gives 5 stars
    const r = expectOk(env.send(rateIx(sessions[0], 5), [user.kp]));
    // then the score is 2000 and the session is marked rated
    let p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(500n);
    expect(p.ratingWeight).toBe(100n);
    expect(p.ratingCount).toBe(1);
    expect(p.reputationScore).toBe(2000);
    expect(env.session(sessions[0].session).rated).toBe(true);
    const ev = eventOf(r, 'ReputationUpdated');
    expect(ev.provider.toBase58()).toBe(prov.provider.toBase58());
    expect(ev.session.toBase58()).toBe(sessions[0].session.toBase58());
    expect(ev.user.toBase58()).toBe(user.kp.publicKey.toBase58());
    expect(ev.rating).toBe(5);
    expect(ev.reputationScore).toBe(2000);
    expect(ev.ratingCount).toBe(1);
    expect(ev.timestamp).toBe(env.now());

    // and 1 star then 4 stars average down with floor division
    expectOk(env.send(rateIx(sessions[1], 1), [user.kp]));
    p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(600n);
    expect(p.reputationScore).toBe(1000); // (600 - 200) * 500 / 200
    expectOk(env.send(rateIx(sessions[2], 4), [user.kp]));
    p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(1000n);
    expect(p.ratingWeight).toBe(300n);
    expect(p.ratingCount).toBe(3);
    expect(p.reputationScore).toBe(1166); // (1000 - 300) * 500 / 300 = 1166.67
  });

  it('a rating weighs min(paid / min_rating, 100); a session that paid less than the minimum cannot rate (RatingNotEarned)', () => {
    // given a node earning exactly 1_000 lamports (one SOL minimum) or 1 USDC unit (a tenth of the token minimum) a second
    const { w, env, prov, node, user } = createMarket({}, { pricePerMinute: 60_000n, pricePerMinuteToken: 60n });
    const free = openTime(w, user, node, { minutes: 5 });
    const below = openTime(w, user, node, { minutes: 5, spl: true });
    const three = openTime(w, user, node, { minutes: 5 });
    const fifty = openTime(w, user, node, { minutes: 5 });
    // the free-rating attack: open and close at once, nothing paid
    expectOk(env.send(closeIx(free), [user.kp]));
    env.warp(3);
    expectOk(env.send(closeIx(three), [user.kp]));
    env.warp(6);
    expectOk(env.send(closeIx(below), [user.kp]));
    env.warp(41);
    expectOk(env.send(closeIx(fifty), [user.kp]));
    expect(env.session(free.session).claimedAmount).toBe(0n);
    expect(env.session(below.session).claimedAmount).toBe(9n);
    expect(env.session(three.session).claimedAmount).toBe(3_000n);
    expect(env.session(fifty.session).claimedAmount).toBe(50_000n);
    const before = stateOf(env, [...watched(free), prov.provider]);
    expectErr(env.send(rateIx(free, 1), [user.kp]), 'RatingNotEarned');
    // nor a token session that paid 9 units, below min_rating_token (10)
    expectErr(env.send(rateIx(below, 1), [user.kp]), 'RatingNotEarned');
    expect(stateOf(env, [...watched(free), prov.provider])).toBe(before);
    // when the paying sessions rate 5 (weight 50) and 1 (weight 3)
    expectOk(env.send(rateIx(fifty, 5), [user.kp]));
    expectOk(env.send(rateIx(three, 1), [user.kp]));
    // then the weighted score counts each as many times as it paid minimums
    const p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(253n);
    expect(p.ratingWeight).toBe(53n);
    expect(p.ratingCount).toBe(2);
    expect(p.reputationScore).toBe(1886); // (253 - 53) * 500 / 53 = 1886.79
  });

  it("the provider's own wallet cannot rate its node (SelfRating), even after paying", () => {
    const { w, env, prov, node } = createMarket();
    const self = { kp: prov.authority, token: prov.token };
    const s = openTime(w, self, node, { minutes: 5 });
    env.warp(60);
    expectOk(env.send(closeIx(s), [prov.authority]));
    expect(env.session(s.session).claimedAmount).toBeGreaterThan(0n);
    const before = stateOf(env, watched(s));
    expectErr(env.send(rateIx(s, 5), [prov.authority]), 'SelfRating');
    expect(stateOf(env, watched(s))).toBe(before);
    expect(env.provider(prov.provider).ratingCount).toBe(0);
  });

  it('a session can be rated only once (AlreadyRated)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    env.warp(60);
    expectOk(env.send(closeIx(s), [user.kp]));
    expectOk(env.send(rateIx(s, 3), [user.kp]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(rateIx(s, 5), [user.kp]), 'AlreadyRated');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('only the session user rates (NotSessionParty): not a stranger, not the provider', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    expectOk(env.send(closeIx(s), [user.kp]));
    const stranger = addUser(w);
    const before = stateOf(env, watched(s));
    expectErr(env.send(rateIx(s, 5, stranger.kp.publicKey), [stranger.kp]), 'NotSessionParty');
    expectErr(env.send(rateIx(s, 5, prov.authority.publicKey), [prov.authority]), 'NotSessionParty');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it.each([0, 6, 255])('refuses rating %i (InvalidRating)', (rating) => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    expectOk(env.send(closeIx(s), [user.kp]));
    const before = stateOf(env, watched(s));
    expectErr(env.send(rateIx(s, rating), [user.kp]), 'InvalidRating');
    expect(stateOf(env, watched(s))).toBe(before);
  });

  it('an Active session can be rated only from end_ts on (SessionNotEnded)', () => {
    const { w, env, prov, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    env.setTime(s.startTs + 60n);
    expectOk(env.send(claimIx(s, 60), [prov.authority]));
    env.setTime(s.startTs + 299n);
    expectErr(env.send(rateIx(s, 4), [user.kp]), 'SessionNotEnded');
    env.setTime(s.startTs + 300n);
    expectOk(env.send(rateIx(s, 4), [user.kp]));
    expect(env.provider(prov.provider).ratingCount).toBe(1);
  });

  it('Closing and Disputed sessions have ended for rating purposes', () => {
    // given sessions that each paid 5 minimums (usage: 5 ticks of 1_000; time: 5 s at 1_000 a second)
    const { w, env, prov, node, user } = createMarket({}, { pricePerMinute: 60_000n, pricePerTick: 1_000n });
    const closing = openUsage(w, user, node, { minutes: 30, maxTicks: 5 });
    expectOk(env.send(claimIx(closing, 5), [prov.authority]));
    expectOk(env.send(closeIx(closing), [user.kp]));
    expectOk(env.send(rateIx(closing, 2), [user.kp]));
    const disputed = openTime(w, user, node, { minutes: 30 });
    env.warp(5);
    expectOk(env.send(claimIx(disputed, 5), [prov.authority]));
    expectOk(env.send(disputeIx(disputed, user.kp.publicKey), [user.kp]));
    expectOk(env.send(rateIx(disputed, 1), [user.kp]));
    const p = env.provider(prov.provider);
    expect(p.ratingCount).toBe(2);
    expect(p.ratingWeight).toBe(10n);
    expect(p.reputationScore).toBe(250); // (15 - 10) * 500 / 10
  });

  it("refuses rating another provider with this session (InvalidPda)", () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    expectOk(env.send(closeIx(s), [user.kp]));
    const other = addProvider(w);
    const bad = replaceAccount(rateIx(s, 5), accountIndex('update_reputation', 'provider'), other.provider);
    const before = stateOf(env, [...watched(s), other.provider]);
    expectErr(env.send(bad, [user.kp]), 'InvalidPda');
    expect(stateOf(env, [...watched(s), other.provider])).toBe(before);
  });

  it('requires the user signature (MissingSignature)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
    expectOk(env.send(closeIx(s), [user.kp]));
    expectErr(env.send(replaceAccount(rateIx(s, 5), 0, user.kp.publicKey, { isSigner: false })), 'MissingSignature');
  });
});
