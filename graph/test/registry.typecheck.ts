// Compile-time checks of the event registry, run by `tsc -p graph/tsconfig.json`
// (not a vitest file): each @ts-expect-error line must fail to compile.
import { HANDLERS } from '../src/ingest/handlers/index.js';
import type { Handler, HandlerRegistry } from '../src/ingest/handlers/types.js';

const { ConfigUpdated: _dropped, ...withoutConfig } = HANDLERS;

// @ts-expect-error an event without a handler
export const missing = withoutConfig satisfies HandlerRegistry;

// @ts-expect-error a handler of another event's type (NodeUpdated's data is not Slashed's)
export const mistyped = { ...HANDLERS, Slashed: HANDLERS.NodeUpdated } satisfies HandlerRegistry;

// @ts-expect-error a name the IDL does not have
export const unknown = { ...HANDLERS, SessionReopened: HANDLERS.SessionOpened } satisfies HandlerRegistry;

// A handler reads its own event's fields only.
export const reads: Handler<'Slashed'> = (_ctx, d) => {
  void d.amount;
  // @ts-expect-error Slashed carries no endpoint
  void d.endpoint;
};
