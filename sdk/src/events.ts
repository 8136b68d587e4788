import { PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID } from './constants.js';
import { CAMEL_IDL, eventCoder } from './coder.js';
import { fromStruct, typeDef, type Decoded } from './decode.js';

import type { EventName } from './contract.js';

export type { EventName };

export type EventData<N extends EventName> = Decoded<N>;
/** A decoded event: `name` as in the IDL, `data` camelCase with bigint / PublicKey / Uint8Array / enum numbers. */
export type DvpnEvent = { [N in EventName]: { name: N; data: EventData<N> } }[EventName];

export const EVENT_NAMES: EventName[] = (CAMEL_IDL.events ?? []).map((e) => e.name as EventName);

/** Decodes the base64 payload of one "Program data:" line; null when it is not a dvpn event. */
export function decodeEvent(base64: string): DvpnEvent | null {
  const decoded = eventCoder.decode(base64.trim());
  if (!decoded) return null;
  return { name: decoded.name, data: fromStruct(typeDef(decoded.name), decoded.data as Record<string, unknown>) } as DvpnEvent;
}

const INVOKE = /^Program ([1-9A-HJ-NP-Za-km-z]+) invoke \[(\d+)\]$/;
const EXIT = /^Program ([1-9A-HJ-NP-Za-km-z]+) (success|failed)/;
const DATA = 'Program data: ';

/**
 * Events emitted by the dvpn program in a transaction's log messages. Tracks
 * the invoke stack so "Program data:" lines written by other programs (CPIs,
 * other instructions) are skipped; a line that cannot be decoded is skipped too.
 */
export function parseEvents(logs: readonly string[], programId: PublicKey = DVPN_PROGRAM_ID): DvpnEvent[] {
  const id = programId.toBase58();
  const stack: string[] = [];
  const events: DvpnEvent[] = [];
  for (const line of logs) {
    const invoke = INVOKE.exec(line);
    if (invoke) {
      // Depth 1 starts a new top-level instruction: drop whatever a failed one left.
      if (invoke[2] === '1') stack.length = 0;
      stack.push(invoke[1]);
      continue;
    }
    if (EXIT.test(line)) {
      stack.pop();
      continue;
    }
    if (line.startsWith(DATA) && stack[stack.length - 1] === id) {
      const ev = decodeEvent(line.slice(DATA.length));
      if (ev) events.push(ev);
    }
  }
  return events;
}
