// Decoder: one transaction's log lines -> the dvpn events it emitted, each
// with its instruction index and its index within that instruction (the
// idempotency key is signature + ix_index + event_index).
//
// All program knowledge comes from @dvpn/sdk's parseEvents. The only thing
// done here is splitting the logs at top-level instruction boundaries
// ("Program <id> invoke [1]"), a property of Solana's log format, so each
// event is attributed to its instruction.
import type { PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, SessionMode, SessionState, StakeChangeKind, parseEvents, type DvpnEvent } from '@dvpn/sdk';
import type { JsonValue } from '../bus.js';

/** What the datasources hand over: a confirmed transaction's signature, slot, error and logs. */
export interface RawTransaction {
  signature: string;
  slot: number;
  /** Transaction error (null when it succeeded). Failed transactions are skipped. */
  err: unknown;
  logs: readonly string[] | null;
}

export interface DecodedEvent {
  ixIndex: number;
  eventIndex: number;
  event: DvpnEvent;
}

export interface DecodedTransaction {
  signature: string;
  slot: number;
  events: DecodedEvent[];
}

const TOP_LEVEL_INVOKE = / invoke \[1\]$/;
const DATA_PREFIX = 'Program data: ';

/** Decodes a transaction; null when it failed (nothing was applied on chain). */
export function decodeTransaction(tx: RawTransaction, programId: PublicKey = DVPN_PROGRAM_ID): DecodedTransaction | null {
  if (tx.err !== null && tx.err !== undefined) return null;
  const logs = tx.logs ?? [];
  const events: DecodedEvent[] = [];
  let ixIndex = -1;
  let start = 0;
  let hasData = false;
  const flush = (end: number) => {
    if (ixIndex < 0 || !hasData) return;
    const parsed = parseEvents(logs.slice(start, end), programId);
    parsed.forEach((event, eventIndex) => events.push({ ixIndex, eventIndex, event }));
  };
  for (let i = 0; i < logs.length; i++) {
    const line = logs[i];
    if (line.startsWith('Program ') && TOP_LEVEL_INVOKE.test(line)) {
      flush(i);
      ixIndex++;
      start = i;
      hasData = false;
    } else if (!hasData && line.startsWith(DATA_PREFIX)) {
      hasData = true;
    }
  }
  flush(logs.length);
  return { signature: tx.signature, slot: tx.slot, events };
}

/** A getTransaction result (JSON-RPC, encoding "json") as a RawTransaction. */
export function fromGetTransaction(result: GetTransactionResult): RawTransaction {
  return {
    signature: result.transaction.signatures[0],
    slot: result.slot,
    err: result.meta?.err ?? null,
    logs: result.meta?.logMessages ?? null,
  };
}

/** The part of a JSON-RPC getTransaction result the indexer reads (fixtures are whole results). */
export interface GetTransactionResult {
  slot: number;
  blockTime?: number | null;
  transaction: { signatures: string[] };
  meta: { err: unknown; logMessages?: string[] | null } | null;
}

// ---------------------------------------------------------------------------
// Event data as JSON (events.data, the bus feed).

const ENUM_NAMES: Record<string, Record<number, string>> = {
  mode: SessionMode as unknown as Record<number, string>,
  state: SessionState as unknown as Record<number, string>,
  kind: StakeChangeKind as unknown as Record<number, string>,
};

const BASE58 = new WeakMap<object, string>();
/** base58 by the key's value: a hash of its BN limbs -> entries with the limbs they were made from. */
const BY_VALUE = new Map<number, { words: number[]; s: string }[]>();
let byValueCount = 0;
/**
 * base58 of a decoded PublicKey: the hot spot of ingestion, so it is computed
 * once per object and once per value (the same node, provider and mint recur
 * in most events). The value is looked up by a hash of the PublicKey's limbs
 * (bn.js 26-bit words), checked limb by limb: no string is built for the
 * lookup, far cheaper than a base58 encoding (or than joining the limbs).
 */
export function b58(key: PublicKey): string {
  let s = BASE58.get(key);
  if (s !== undefined) return s;
  const bn = (key as unknown as { _bn?: { words?: number[]; length?: number } })._bn;
  const words = bn?.words;
  const n = bn?.length;
  if (!words || n === undefined) {
    s = key.toBase58();
    BASE58.set(key, s);
    return s;
  }
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 0x01000193) ^ words[i]) | 0;
  const bucket = BY_VALUE.get(h);
  if (bucket) {
    for (const e of bucket) {
      if (e.words.length !== n) continue;
      let same = true;
      for (let i = 0; i < n; i++) {
        if (e.words[i] !== words[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        s = e.s;
        break;
      }
    }
  }
  if (s === undefined) {
    s = key.toBase58();
    if (byValueCount >= 100_000) {
      BY_VALUE.clear();
      byValueCount = 0;
    }
    const entry = { words: words.slice(0, n), s };
    if (bucket) bucket.push(entry);
    else BY_VALUE.set(h, [entry]);
    byValueCount++;
  }
  BASE58.set(key, s);
  return s;
}
const isKey = (v: unknown): v is PublicKey =>
  !!v && typeof v === 'object' && typeof (v as PublicKey).toBase58 === 'function';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

const DATA_JSON = new WeakMap<object, { [key: string]: JsonValue }>();

/**
 * u64/i64 -> decimal string, PublicKey -> base58, bytes -> hex, enums (mode/state/kind) -> name.
 * Computed once per decoded event (the events row and the feed message share
 * it): treat the result as read-only.
 */
export function eventDataToJson(data: Record<string, unknown>): { [key: string]: JsonValue } {
  const cached = DATA_JSON.get(data);
  if (cached) return cached;
  const out: { [key: string]: JsonValue } = {};
  DATA_JSON.set(data, out);
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'bigint') out[key] = value.toString();
    else if (value instanceof Uint8Array) out[key] = toHex(value);
    else if (typeof value === 'number' && ENUM_NAMES[key]) out[key] = ENUM_NAMES[key][value] ?? value;
    else if (isKey(value)) out[key] = b58(value);
    else out[key] = value as JsonValue;
  }
  return out;
}

export type Subjects = { session: string | null; node: string | null; provider: string | null; user: string | null };
const SUBJECTS = new WeakMap<object, Subjects>();

/** The accounts an event is about, for the events table's filter columns and the feed's keys. */
export function eventSubjects(event: DvpnEvent): Subjects {
  let s = SUBJECTS.get(event);
  if (s) return s;
  const d = event.data as Record<string, unknown>;
  const key = (k: string): string | null => (isKey(d[k]) ? b58(d[k] as PublicKey) : null);
  // The user of a ReputationUpdated/SessionOpened/... is `user`; StakeChanged's
  // `authority` is the provider's wallet, not a session user.
  s = { session: key('session'), node: key('node'), provider: key('provider'), user: key('user') };
  SUBJECTS.set(event, s);
  return s;
}
