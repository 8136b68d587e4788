// ConfigUpdated: the one Config account (absolute facts, newest event wins).
import { configPubkey } from '../../store/rows.js';
import { b58 } from '../decode.js';
import { isOlder } from './context.js';
import type { Handler } from './types.js';

export const ConfigUpdated: Handler<'ConfigUpdated'> = (ctx, d) => {
  const { state, ts, slot } = ctx;
  const key = configPubkey();
  let row = state.config.get(key);
  if (!row) {
    row = {
      pubkey: key,
      admin: '',
      treasury: '',
      tokenMint: '',
      protocolFeeBps: 0,
      minProviderStake: 0n,
      unbondingSeconds: 0n,
      settleWindowSeconds: 0n,
      minRatingLamports: 0n,
      minRatingToken: 0n,
      updatedAt: ts,
      lastSlot: -1n,
      lastSignature: '',
    };
    state.config.set(key, row);
  }
  if (isOlder(ts, slot, row)) return;
  row.lastSlot = slot;
  row.lastSignature = ctx.signature;
  row.updatedAt = ts;
  row.admin = b58(d.admin);
  row.treasury = b58(d.treasury);
  row.tokenMint = b58(d.tokenMint);
  row.protocolFeeBps = d.protocolFeeBps;
  row.minProviderStake = d.minProviderStake;
  row.unbondingSeconds = d.unbondingSeconds;
  row.settleWindowSeconds = d.settleWindowSeconds;
  if (d.minRatingLamports !== undefined) row.minRatingLamports = d.minRatingLamports;
  if (d.minRatingToken !== undefined) row.minRatingToken = d.minRatingToken;
  ctx.fx.dirty.config.add(key);
};
