// Processor core: applies new (never seen before) decoded events, in chain
// order, to the state rows loaded from the database, and says what to write
// and what to publish. Each event goes to its handler in the registry
// (handlers/: one per event type, typed by the IDL's decoded event; the
// ordering rules they share are in handlers/context.ts). Pure: no I/O, so the
// same code serves live ingestion, backfill and replay, and unit tests.
import type { DvpnEvent } from '@dvpn/sdk';
import { HANDLERS, EventContext, emptyEffects, type Effects, type HandlerRegistry, type NewEvent, type State } from './handlers/index.js';
import { eventSubjects } from './decode.js';

export type { ClaimKind, ClaimRow, Effects, NewEvent, RatingRow, StakeChangeRow, StakeKind, State } from './handlers/index.js';

const registry: HandlerRegistry = HANDLERS;

/** Accounts the events refer to, so the caller loads their rows first. */
export function referencedAccounts(events: readonly { event: DvpnEvent }[]): {
  providers: Set<string>;
  nodes: Set<string>;
  sessions: Set<string>;
  config: boolean;
} {
  const providers = new Set<string>();
  const nodes = new Set<string>();
  const sessions = new Set<string>();
  let config = false;
  for (const { event } of events) {
    // A rating's weight needs the config's rating minimums.
    if (event.name === 'ConfigUpdated' || event.name === 'ReputationUpdated') config = true;
    const s = eventSubjects(event);
    if (s.provider) providers.add(s.provider);
    if (s.node) nodes.add(s.node);
    if (s.session) sessions.add(s.session);
  }
  return { providers, nodes, sessions, config };
}

/** The handler of the event's type; an unknown name (none: the decoder reads the same IDL) is only fed to the event log. */
function dispatch(ctx: EventContext, event: DvpnEvent): void {
  // TypeScript cannot correlate registry[name] with data across the union: the
  // registry's own type (HandlerRegistry) is what guarantees they match.
  const handler = registry[event.name] as ((ctx: EventContext, data: DvpnEvent['data']) => void) | undefined;
  handler?.(ctx, event.data);
}

export function reduce(state: State, events: readonly NewEvent[]): Effects {
  const fx = emptyEffects();
  for (const ne of events) {
    const ctx = new EventContext(state, fx, ne);
    ctx.eventMessage();
    dispatch(ctx, ne.event);
  }
  return fx;
}
