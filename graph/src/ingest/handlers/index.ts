// The event registry (carbon's decoder -> processor): the IDL's event name ->
// the handler of that event's decoded type. `satisfies HandlerRegistry` makes
// a missing, unknown or mistyped handler a compile error when the IDL changes.
import { ConfigUpdated } from './config.js';
import { DisputeRaised, DisputeResolved } from './disputes.js';
import { NodeRegistered, NodeUpdated } from './nodes.js';
import { ProviderRegistered, ReputationUpdated } from './providers.js';
import { ChunkClaimed, PayoutClaimed, SessionClosed, SessionOpened } from './sessions.js';
import { Slashed, StakeChanged } from './staking.js';
import type { HandlerRegistry } from './types.js';

export const HANDLERS = {
  ConfigUpdated,
  ProviderRegistered,
  NodeRegistered,
  NodeUpdated,
  SessionOpened,
  ChunkClaimed,
  SessionClosed,
  PayoutClaimed,
  DisputeRaised,
  DisputeResolved,
  ReputationUpdated,
  StakeChanged,
  Slashed,
} satisfies HandlerRegistry;

export type { Handler, HandlerRegistry } from './types.js';
export { EventContext, emptyEffects, isOlder } from './context.js';
export type { ClaimKind, ClaimRow, Effects, NewEvent, RatingRow, StakeChangeRow, StakeKind, State } from './context.js';
