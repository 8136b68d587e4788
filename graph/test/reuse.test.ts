// A session address is never opened twice: the program takes session ids
// from the user's UserState.next_session_id, so a user's next session gets a
// new address even after the first one's account is closed (claim_payout), and
// reopening the old id is refused. The indexer still keys sessions by
// (address, generation) for safety; here every opening is generation 0, claims
// attach to the session they paid, and the stats count the live one. Real
// chain, real indexer, real Postgres, the real API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimPayoutIx,
  closeSessionIx,
  createProviderWithNode,
  initConfig,
  openTimeSession,
  type ConfigCtx,
  type NodeCtx,
} from '../../tests/harness/fixtures.js';
import { diffWithChain, waitFor } from './helpers.js';
import { gql, startStack, type ApiStack } from './api/setup.js';

let s: ApiStack;
let cfg: ConfigCtx;
let node: NodeCtx;

beforeAll(async () => {
  s = await startStack();
  cfg = await initConfig(s.chain, { settleWindowSeconds: 5n });
  node = await createProviderWithNode(s.chain, { maxCapacity: 4 });
});

afterAll(async () => {
  await s?.close();
});

const SESSION = `query($p: Pubkey!, $g: Int) { session(pubkey: $p, generation: $g) {
  pubkey generation state currency escrowAmount
  claims(first: 10) { edges { node { kind signature sessionGeneration } } }
  openings { generation state currency } } }`;

describe('a user\'s next session after a payout', () => {
  it('gets a new address (the old id is refused); claims and stats follow the right session', async () => {
    // First session: SOL, closed by the user, paid out (the account closes).
    const first = await openTimeSession(s.chain, node, 1);
    expect(first.sessionId).toBe(0n);
    const close1 = await s.chain.send(closeSessionIx(s.chain, first, cfg.treasury.publicKey), [first.user]);
    await s.chain.warpSeconds(Number(cfg.settleWindowSeconds) + 1);
    const payout1 = await s.chain.send(claimPayoutIx(s.chain, first, cfg.treasury.publicKey, first.user.publicKey), [first.user]);
    expect(await s.chain.connection.getAccountInfo(first.session)).toBeNull();

    // Opening the same id again is refused: the address cannot repeat.
    await expect(openTimeSession(s.chain, node, 1, { sessionId: 0n, user: first.user })).rejects.toThrow(/InvalidSessionId/);

    // The user's next session: USDC, still active, at a new address.
    const second = await openTimeSession(s.chain, node, 1, { user: first.user, spl: true });
    expect(second.sessionId).toBe(1n);
    expect(second.session.toBase58()).not.toBe(first.session.toBase58());
    const p1 = first.session.toBase58();
    const p2 = second.session.toBase58();

    const latest = await waitFor(async () => {
      const r = await gql(s.url, SESSION, { p: p2 });
      return r.data?.session ?? null;
    }, { what: 'second session indexed' });
    expect(latest).toMatchObject({ pubkey: p2, generation: 0, state: 'ACTIVE', currency: 'TOKEN', claims: { edges: [] } });
    expect(latest.openings).toEqual([{ generation: 0, state: 'ACTIVE', currency: 'TOKEN' }]);
    const older = (await gql(s.url, SESSION, { p: p1 })).data!.session;
    expect(older).toMatchObject({ pubkey: p1, generation: 0, state: 'SETTLED', currency: 'SOL' });
    expect(older.openings).toEqual([{ generation: 0, state: 'SETTLED', currency: 'SOL' }]);
    const olderClaims = older.claims.edges.map((e: { node: { kind: string; signature: string; sessionGeneration: number } }) => e.node);
    expect(olderClaims).toHaveLength(2);
    expect(olderClaims).toEqual(expect.arrayContaining([
      { kind: 'CLOSE', signature: close1.signature, sessionGeneration: 0 },
      { kind: 'PAYOUT', signature: payout1.signature, sessionGeneration: 0 },
    ]));

    // The live session counts as open, with its token escrow.
    const stats = (await gql(s.url, '{ stats { openSessions escrowLockedToken } }')).data!.stats;
    expect(stats.openSessions).toBe('1');
    expect(stats.escrowLockedToken).toBe(latest.escrowAmount);

    // REST shows each session at its own address.
    const rest = await (await fetch(`${s.url}/sessions/${p2}`)).json();
    expect(JSON.stringify(rest)).toContain(`"${p2}"`);

    // Closing the second session pays into it, not into the first.
    const close2 = await s.chain.send(closeSessionIx(s.chain, second, cfg.treasury.publicKey), [first.user]);
    const after = await waitFor(async () => {
      const r = (await gql(s.url, SESSION, { p: p2 })).data?.session;
      return r?.state === 'CLOSED' ? r : null;
    }, { what: 'second session closed' });
    expect(after.claims.edges.map((e: any) => e.node)).toEqual([{ kind: 'CLOSE', signature: close2.signature, sessionGeneration: 0 }]);
    expect((await gql(s.url, SESSION, { p: p1 })).data!.session.claims.edges).toHaveLength(2);

    // The tables equal the accounts.
    await s.indexer.whenIdle();
    expect(await diffWithChain(s.chain, s.db)).toEqual([]);
    const rows = await s.db.query<{ pubkey: string; generation: number; state: string }>(
      'SELECT pubkey, generation, state FROM sessions WHERE pubkey = ANY($1::text[])', [[p1, p2]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.pubkey, [r.generation, r.state]]))).toEqual({ [p1]: [0, 'SETTLED'], [p2]: [0, 'CLOSED'] });
  });
});
