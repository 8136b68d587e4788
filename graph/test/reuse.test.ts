// A session address opened again: the program lets a user reuse a session_id
// once the first session's account is closed (claim_payout). Each opening is
// its own session, keyed by (address, generation): GraphQL and REST show the
// latest opening by address and list the older ones, claims attach to the
// opening they paid, and the stats count the live opening. Real chain,
// real indexer, real Postgres, the real API.
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

describe('a reused session address', () => {
  it('is two sessions: the latest by address, the older one listed, claims on the right one', async () => {
    // First opening: SOL, closed by the user, paid out (the account closes).
    const first = await openTimeSession(s.chain, node, 1, { sessionId: 7n });
    const close1 = await s.chain.send(closeSessionIx(s.chain, first, cfg.treasury.publicKey), [first.user]);
    await s.chain.warpSeconds(Number(cfg.settleWindowSeconds) + 1);
    const payout1 = await s.chain.send(claimPayoutIx(s.chain, first, cfg.treasury.publicKey, first.user.publicKey), [first.user]);
    expect(await s.chain.connection.getAccountInfo(first.session)).toBeNull();

    // Second opening of the same address: USDC, still active.
    const second = await openTimeSession(s.chain, node, 1, { sessionId: 7n, user: first.user, spl: true });
    expect(second.session.toBase58()).toBe(first.session.toBase58());
    const p = first.session.toBase58();

    const latest = await waitFor(async () => {
      const r = await gql(s.url, SESSION, { p });
      return r.data?.session?.generation === 1 ? r.data.session : null;
    }, { what: 'second opening indexed' });
    expect(latest).toMatchObject({ pubkey: p, generation: 1, state: 'ACTIVE', currency: 'TOKEN', claims: { edges: [] } });
    expect(latest.openings).toEqual([
      { generation: 1, state: 'ACTIVE', currency: 'TOKEN' },
      { generation: 0, state: 'SETTLED', currency: 'SOL' },
    ]);
    const older = (await gql(s.url, SESSION, { p, g: 0 })).data!.session;
    expect(older).toMatchObject({ generation: 0, state: 'SETTLED', currency: 'SOL' });
    const olderClaims = older.claims.edges.map((e: { node: { kind: string; signature: string; sessionGeneration: number } }) => e.node);
    expect(olderClaims).toHaveLength(2);
    expect(olderClaims).toEqual(expect.arrayContaining([
      { kind: 'CLOSE', signature: close1.signature, sessionGeneration: 0 },
      { kind: 'PAYOUT', signature: payout1.signature, sessionGeneration: 0 },
    ]));

    // The live opening counts as open, with its token escrow.
    const stats = (await gql(s.url, '{ stats { openSessions escrowLockedToken } }')).data!.stats;
    expect(stats.openSessions).toBe('1');
    expect(stats.escrowLockedToken).toBe(latest.escrowAmount);

    // REST shows the latest opening.
    const rest = await (await fetch(`${s.url}/sessions/${p}`)).json();
    expect(JSON.stringify(rest)).toContain('"generation":1');

    // Closing the second opening pays into it, not into the first.
    const close2 = await s.chain.send(closeSessionIx(s.chain, second, cfg.treasury.publicKey), [first.user]);
    const after = await waitFor(async () => {
      const r = (await gql(s.url, SESSION, { p })).data?.session;
      return r?.state === 'CLOSED' ? r : null;
    }, { what: 'second opening closed' });
    expect(after.claims.edges.map((e: any) => e.node)).toEqual([{ kind: 'CLOSE', signature: close2.signature, sessionGeneration: 1 }]);
    expect((await gql(s.url, SESSION, { p, g: 0 })).data!.session.claims.edges).toHaveLength(2);

    // The tables equal the accounts (the live account is the latest opening).
    await s.indexer.whenIdle();
    expect(await diffWithChain(s.chain, s.db)).toEqual([]);
    const rows = await s.db.query<{ generation: number; state: string; payment_mint: string }>(
      'SELECT generation, state, payment_mint FROM sessions WHERE pubkey = $1 ORDER BY generation', [p],
    );
    expect(rows.map((r) => [r.generation, r.state])).toEqual([[0, 'SETTLED'], [1, 'CLOSED']]);
  });
});
