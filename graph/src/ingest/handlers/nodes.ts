// Node accounts: registration and updates (prices, capacity, activity).
import type { NodeRow } from '../../store/rows.js';
import { base64 } from '../../store/rows.js';
import { b58 } from '../decode.js';
import { max } from './context.js';
import type { Handler } from './types.js';

export const NodeRegistered: Handler<'NodeRegistered'> = (ctx, d) => {
  const { state, ts } = ctx;
  const key = b58(d.node);
  const p = ctx.provider(b58(d.provider));
  if (p) p.nodeCount = max(p.nodeCount, d.nodeId + 1n);
  if (state.nodes.has(key)) return;
  const n: NodeRow = {
    pubkey: key,
    provider: b58(d.provider),
    nodeId: d.nodeId,
    endpoint: d.endpoint,
    region: d.region,
    pricePerMinute: d.pricePerMinute,
    pricePerMinuteToken: d.pricePerMinuteToken,
    pricePerTick: d.pricePerTick ?? 0n,
    pricePerTickToken: d.pricePerTickToken ?? 0n,
    wgServerPubkey: base64(d.wgServerPubkey),
    maxCapacity: BigInt(d.maxCapacity),
    activeSessions: 0n,
    isActive: true,
    providerReputation: p?.reputationScore ?? 1000,
    totalUptimeSeconds: 0n,
    totalSessions: 0n,
    createdAt: ts,
    updatedAt: ts,
    lastSlot: ctx.slot,
    lastSignature: ctx.signature,
  };
  state.nodes.set(key, n);
  ctx.fx.dirty.nodes.add(key);
  ctx.capacityMsg(n);
};

export const NodeUpdated: Handler<'NodeUpdated'> = (ctx, d) => {
  const n = ctx.node(b58(d.node));
  if (!n || !ctx.fresh(n)) return;
  n.endpoint = d.endpoint;
  n.region = d.region;
  n.pricePerMinute = d.pricePerMinute;
  n.pricePerMinuteToken = d.pricePerMinuteToken;
  if (d.pricePerTick !== undefined) n.pricePerTick = d.pricePerTick;
  if (d.pricePerTickToken !== undefined) n.pricePerTickToken = d.pricePerTickToken;
  n.wgServerPubkey = base64(d.wgServerPubkey);
  n.maxCapacity = BigInt(d.maxCapacity);
  n.activeSessions = BigInt(d.activeSessions);
  n.isActive = d.isActive;
  ctx.capacityMsg(n);
};
