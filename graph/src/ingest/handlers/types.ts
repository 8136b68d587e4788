// A handler applies one decoded event of one type to the batch's state.
import type { EventData, EventName } from '@dvpn/sdk';
import type { EventContext } from './context.js';

/** The processor of event K: `data` is K's decoded type (from the IDL, @dvpn/sdk). */
export type Handler<K extends EventName> = (ctx: EventContext, data: EventData<K>) => void;

/** One handler per event name: a missing, extra or mistyped entry does not compile. */
export type HandlerRegistry = { [K in EventName]: Handler<K> };
