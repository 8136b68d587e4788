// GET /session/:pda — the daemon's view of a session (peer, usage, ticks,
// claims) next to the chain's, as the daemon last read it (the poll refreshes
// every open session). Unauthenticated: it never reads the chain for a session
// the daemon does not serve.
import { PublicKey } from '@solana/web3.js';
import { SessionMode, SessionState } from '@dvpn/sdk';
import { HttpError } from '../errors.js';
import { validate } from '../http/body.js';
import type { Route } from '../http/router.js';
import type { AppContext } from '../context.js';
import type { SessionRecord } from '../state/types.js';
import { PubkeyString } from '../validation.js';

export const sessionGetRoute: Route = {
  method: 'GET',
  path: '/session/:pda',
  name: 'session_get',
  async handle({ params }, ctx) {
    const pda = validate(PubkeyString, params.pda);
    const rec = ctx.store.sessions.get(pda);
    let chain: Record<string, unknown> | null = null;
    let onChain = false;
    let chainError: string | null = null;
    let chainReadAt: string | null = null;
    try {
      // Sessions this daemon serves may be read (the poll reads them anyway); others only from memory.
      const entry = rec ? await ctx.cache.get(new PublicKey(pda)) : ctx.cache.peek(pda);
      if (!entry) throw new HttpError(404, 'session_not_found', `this node serves no session ${pda}`);
      const { lookup: session, now } = entry;
      // The cache also holds what anyone's auth attempt read: only this node's sessions are shown.
      if (!rec && !(session.kind === 'session' && session.account.node.equals(ctx.node.address))) {
        throw new HttpError(404, 'session_not_found', `this node serves no session ${pda}`);
      }
      chainReadAt = new Date(entry.at).toISOString();
      if (session.kind === 'session') {
        const s = session.account;
        onChain = true;
        chain = {
          state: SessionState[s.state],
          mode: SessionMode[s.mode],
          node: s.node.toBase58(),
          user: s.user.toBase58(),
          startTs: s.startTs,
          endTs: s.endTs,
          closedAt: s.closedAt,
          now,
          escrowAmount: s.escrowAmount,
          remainingBalance: s.remainingBalance,
          claimedAmount: s.claimedAmount,
          feeAmount: s.feeAmount,
          refundedAmount: s.refundedAmount,
          lastTick: s.lastTick,
          maxTicks: s.maxTicks,
          tickAmount: s.tickAmount,
          bytesUsed: s.bytesUsed,
        };
      } else chain = { state: session.kind === 'missing' ? 'Closed (account gone)' : 'not a dvpn session', now };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      chainError = err instanceof Error ? err.message : String(err);
    }
    if (!rec && !onChain) {
      throw new HttpError(404, 'session_not_found', `this node knows no session ${pda}`);
    }
    return { json: { session: pda, known: !!rec, daemon: rec ? daemonView(rec, ctx) : null, chain, chainReadAt, chainError } };
  },
};

/** The daemon's view of a session it has admitted. */
export function daemonView(rec: SessionRecord, ctx: AppContext) {
  const peers = ctx.sessions.peers;
  return {
    session: rec.session,
    user: rec.user,
    mode: rec.mode,
    paymentMint: rec.paymentMint,
    phase: rec.phase,
    endReason: rec.endReason,
    startTs: rec.startTs.toString(),
    endTs: rec.endTs.toString(),
    // What WireGuard has: a recorded peer missing from it (not restored yet) is shown apart.
    peer: rec.peer && peers.isPresent(rec.peer.publicKey) ? { publicKey: rec.peer.publicKey, address: rec.peer.address, addedAt: new Date(rec.peer.addedAt).toISOString() } : null,
    peerMissing: rec.peer && !peers.isPresent(rec.peer.publicKey) ? { publicKey: rec.peer.publicKey, address: rec.peer.address } : null,
    peerRemoved: rec.peerRemoved
      ? { at: new Date(rec.peerRemoved.at).toISOString(), reason: rec.peerRemoved.reason, tick: rec.peerRemoved.tick.toString() }
      : null,
    bytes: { rx: rec.bytesRx.toString(), tx: rec.bytesTx.toString(), total: (rec.bytesRx + rec.bytesTx).toString() },
    payment: ctx.sessions.usage.payment(rec),
    lastTickAt: rec.lastTickAt ? new Date(rec.lastTickAt).toISOString() : null,
    claims: rec.claims.map((c) => ({
      kind: c.kind,
      tick: c.tick?.toString() ?? null,
      signature: c.signature,
      at: new Date(c.at).toISOString(),
      amount: c.amount?.toString() ?? null,
      providerAmount: c.providerAmount?.toString() ?? null,
      fee: c.fee?.toString() ?? null,
      refund: c.refund?.toString() ?? null,
      via: c.via,
    })),
    pendingClaim: rec.pending
      ? {
          kind: rec.pending.kind,
          tick: rec.pending.tick?.toString() ?? null,
          signature: rec.pending.signature,
          attempts: rec.pending.attempts,
          lastError: rec.pending.lastError,
          nextAttemptAt: new Date(rec.pending.nextAttemptAt).toISOString(),
        }
      : null,
    chunkClaimsDone: rec.chunkClaimsDone,
  };
}
