// A fresh WireGuard key, registered with the node's daemon by a wallet-signed
// auth request (the SDK's message); the answer's server key is checked against
// the one the node announces on chain.
import { authRequestBody, generateWgKeypair, isValidWgKey, type AuthAnswer, type NodeAccount } from '@dvpn/sdk';
import type { Context } from '../../context.js';
import { CliError } from '../../errors.js';
import { hex } from '../../format.js';
import { recordRevealedTick, revealedTickOf } from '../../state.js';
import type { Chosen } from './choose-session.js';
import { ApiError, api } from './daemon-api.js';
import { tickIntervalSeconds } from './serve.js';
import { emit } from './shared.js';

export interface Authenticated {
  keys: { publicKey: string; privateKey: string };
  answer: AuthAnswer;
}

interface DebtDetails {
  owedTick?: string;
  tickIntervalSeconds?: unknown;
  tickGraceSeconds?: unknown;
}

/** Ticks past its own record a client pays for a cut without asking: 2 + one per interval of the grace, at most 12. */
export function debtAllowance(graceSeconds: unknown, intervalSeconds: unknown): bigint {
  const grace = typeof graceSeconds === 'number' && Number.isFinite(graceSeconds) && graceSeconds > 0 ? graceSeconds : 0;
  const interval = tickIntervalSeconds(intervalSeconds);
  return 2n + BigInt(Math.min(10, Math.ceil(grace / interval)));
}

/** Authenticates `chosen` with the daemon at `base`; a session cut for not paying first pays what is owed. */
export async function authenticate(ctx: Context, base: string, chosen: Chosen, nodeAcc: NodeAccount): Promise<Authenticated> {
  const session = chosen.address.toBase58();
  const keys = generateWgKeypair();
  let lastTimestamp = 0;
  const ask = () => {
    // A new message every time (a repeated one would be refused as a replay).
    const timestamp = Math.max(Math.floor(Date.now() / 1000), lastTimestamp + 1);
    lastTimestamp = timestamp;
    return api<AuthAnswer>(base, 'POST', '/session/auth', authRequestBody({ sessionPda: session, clientWgPubkey: keys.publicKey, timestamp }, ctx.signer));
  };
  let answer: AuthAnswer;
  try {
    answer = await ask();
  } catch (err) {
    // Cut earlier for not paying: settle what the node says is owed, then come back.
    const details = err instanceof ApiError && err.code === 'payment_required' ? (err.body as { error?: { details?: DebtDetails } })?.error?.details : undefined;
    const owed = details?.owedTick || null;
    if (!owed || !chosen.hashChain) throw err;
    const tick = BigInt(owed);
    if (tick > BigInt(chosen.hashChain.length)) throw err;
    // The debt is the daemon's word: pay without the user only what a cut under its announced
    // terms can leave (the ticks of one grace period, at most 10), past what this machine revealed
    // (or the chain claimed); beyond that they pay it knowingly (`dvpn session tick`).
    const stored = revealedTickOf(session);
    const revealed = stored > chosen.account.lastTick ? stored : chosen.account.lastTick;
    if (tick > revealed + debtAllowance(details?.tickGraceSeconds, details?.tickIntervalSeconds)) {
      throw new CliError(
        `the node daemon says tick ${tick} is owed, but this machine revealed only through tick ${revealed}: not paying ${tick - revealed} ticks at once (if you agree, \`dvpn session tick ${session} ${tick}\` prints the preimage to hand over)`,
      );
    }
    await api(base, 'POST', `/session/${session}/ticks`, { tick: Number(tick), preimage: hex(chosen.hashChain.preimage(tick)) });
    recordRevealedTick(session, tick);
    emit(ctx, 'tick', { session, tick, owed: tick }, `Paid the ${tick} ticks owed from before`);
    answer = await ask();
  }

  // The daemon's server key must be the one the node announces on chain.
  const chainKey = Buffer.from(nodeAcc.wgServerPubkey).toString('base64');
  if (answer.wireguard.peer.publicKey !== chainKey || !isValidWgKey(answer.wireguard.peer.publicKey)) {
    throw new CliError(`the node daemon answered server key ${answer.wireguard.peer.publicKey}, but the node announces ${chainKey} on chain: refusing`);
  }
  return { keys, answer };
}
