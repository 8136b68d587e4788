// update_reputation (docs/PROGRAM.md "Session states": rating rules and score formula).
import { describe, expect, it } from 'vitest';
import {
  accountIndex,
  addProvider,
  addUser,
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
  it('the user rates an ended session once; the score is (sum - count) * 500 / count', () => {
    // given three sessions the same user closed
    const { w, env, prov, node, user } = createMarket();
    const sessions = [0, 1, 2].map(() => openTime(w, user, node, { minutes: 5 }));
    for (const s of sessions) expectOk(env.send(closeIx(s), [user.kp]));

    // when the user gives 5 stars
    const r = expectOk(env.send(rateIx(sessions[0], 5), [user.kp]));
    // then the score is 2000 and the session is marked rated
    let p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(5n);
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
    expect(p.ratingSum).toBe(6n);
    expect(p.reputationScore).toBe(1000); // (6 - 2) * 500 / 2
    expectOk(env.send(rateIx(sessions[2], 4), [user.kp]));
    p = env.provider(prov.provider);
    expect(p.ratingSum).toBe(10n);
    expect(p.ratingCount).toBe(3);
    expect(p.reputationScore).toBe(1166); // (10 - 3) * 500 / 3 = 1166.67
  });

  it('a session can be rated only once (AlreadyRated)', () => {
    const { w, env, node, user } = createMarket();
    const s = openTime(w, user, node, { minutes: 5 });
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
    env.setTime(s.startTs + 299n);
    expectErr(env.send(rateIx(s, 4), [user.kp]), 'SessionNotEnded');
    env.setTime(s.startTs + 300n);
    expectOk(env.send(rateIx(s, 4), [user.kp]));
    expect(env.provider(prov.provider).ratingCount).toBe(1);
  });

  it('Closing and Disputed sessions have ended for rating purposes', () => {
    const { w, env, prov, node, user } = createMarket();
    const closing = openUsage(w, user, node, { minutes: 30, maxTicks: 5 });
    expectOk(env.send(closeIx(closing), [user.kp]));
    expectOk(env.send(rateIx(closing, 2), [user.kp]));
    const disputed = openTime(w, user, node, { minutes: 30 });
    expectOk(env.send(disputeIx(disputed, user.kp.publicKey), [user.kp]));
    expectOk(env.send(rateIx(disputed, 1), [user.kp]));
    const p = env.provider(prov.provider);
    expect(p.ratingCount).toBe(2);
    expect(p.reputationScore).toBe(250); // (3 - 2) * 500 / 2
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
