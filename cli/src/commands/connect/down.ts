// `dvpn connect --down`: undo what a killed `connect --apply` left behind.
import type { Context } from '../../context.js';
import { readTunnelState, tearDown, tunnelStatePath } from '../../full-tunnel.js';
import { emit, type ConnectOptions } from './shared.js';

/** `dvpn connect --down`: undo what a killed `connect --apply` left (routes, rules, resolv.conf, kill switch). */
export async function connectDown(ctx: Context, o: ConnectOptions): Promise<void> {
  const iface = o.interface ?? 'dvpn0';
  const state = readTunnelState(iface);
  if (!state) {
    emit(ctx, 'down', { interface: iface, cleaned: [] }, `Nothing to clean up for ${iface} (no state file ${tunnelStatePath(iface)})`);
    return;
  }
  const cleaned = await tearDown(state);
  emit(ctx, 'down', { interface: iface, cleaned }, [`Cleaned up ${iface}:`, ...cleaned.map((l) => `  ${l}`)].join('\n'));
}
