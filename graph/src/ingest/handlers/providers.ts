// Provider accounts: registration and reputation (ratings).
import { ratingWeight } from '@dvpn/sdk';
import { SOL_MINT, configPubkey, stakeVaultOf } from '../../store/rows.js';
import { b58 } from '../decode.js';
import type { Handler } from './types.js';

export const ProviderRegistered: Handler<'ProviderRegistered'> = (ctx, d) => {
  const { state, ts } = ctx;
  const key = b58(d.provider);
  if (state.providers.has(key)) return;
  state.providers.set(key, {
    pubkey: key,
    authority: b58(d.authority),
    stakeVault: b58(d.stakeVault) || stakeVaultOf(key),
    nodeCount: 0n,
    stakeLamports: 0n,
    unstakingLamports: 0n,
    unstakeAt: null,
    slashedLamports: 0n,
    ratingSum: 0n,
    ratingCount: 0n,
    reputationScore: 1000,
    totalUptimeSeconds: 0n,
    totalSessions: 0n,
    totalEarnedLamports: 0n,
    totalEarnedToken: 0n,
    registeredAt: ts,
    updatedAt: ts,
    lastSlot: ctx.slot,
    lastSignature: ctx.signature,
  });
  ctx.fx.dirty.providers.add(key);
};

export const ReputationUpdated: Handler<'ReputationUpdated'> = (ctx, d) => {
  const { state, fx, ts } = ctx;
  const p = ctx.provider(b58(d.provider));
  const s = ctx.session(b58(d.session));
  fx.ratings.push({
    session: b58(d.session),
    sessionGeneration: s?.generation ?? 0,
    provider: b58(d.provider),
    user: b58(d.user),
    rating: d.rating,
    reputationScore: d.reputationScore,
    ratingCount: BigInt(d.ratingCount),
    timestamp: ts,
    signature: ctx.signature,
  });
  if (p) {
    // rating_sum adds rating x weight, weight = what the session had paid / the
    // config's minimum for its currency, at most 100 (update_reputation).
    const cfg = state.config.get(configPubkey());
    if (s && cfg) {
      const minimum = s.paymentMint === SOL_MINT ? cfg.minRatingLamports : cfg.minRatingToken;
      const weight = ratingWeight(s.claimedAmount, minimum);
      p.ratingSum += BigInt(d.rating) * weight;
    }
    // Without the session or the config the weight is unknown: let the chain say.
    else fx.reconcile.add(p.pubkey);
    if (ctx.fresh(p)) {
      p.reputationScore = d.reputationScore;
      p.ratingCount = BigInt(d.ratingCount);
      fx.reputation.set(p.pubkey, p.reputationScore);
      for (const n of state.nodes.values()) {
        if (n.provider === p.pubkey) n.providerReputation = p.reputationScore;
      }
    }
  }
  if (s) {
    ctx.touch(s);
    s.rated = true;
    ctx.sessionMsg(s, s.state);
  }
};
