import { IDL } from './idl.js';

export interface DvpnErrorInfo {
  code: number;
  name: string;
  msg: string;
}

/** The program's custom errors (codes from 6000), from the IDL. */
export const DVPN_ERRORS: DvpnErrorInfo[] = IDL.errors.map(({ code, name, msg }) => ({ code, name, msg }));

const BY_CODE = new Map(DVPN_ERRORS.map((e) => [e.code, e]));
const BY_NAME = new Map(DVPN_ERRORS.map((e) => [e.name, e]));

export function errorFromCode(code: number): DvpnErrorInfo | undefined {
  return BY_CODE.get(code);
}

export function errorFromName(name: string): DvpnErrorInfo | undefined {
  return BY_NAME.get(name);
}

const CUSTOM_HEX = /custom program error: (0x[0-9a-fA-F]+)/;
const LOGGED_NAME = /^Program log: Error: ([A-Za-z]+)/;

function fromText(text: string): DvpnErrorInfo | undefined {
  const m = CUSTOM_HEX.exec(text);
  if (m) return errorFromCode(Number.parseInt(m[1], 16));
  // Some RPCs render the error as JSON: {"InstructionError":[0,{"Custom":6028}]}
  const j = /"Custom"\s*:\s*(\d+)/.exec(text);
  return j ? errorFromCode(Number(j[1])) : undefined;
}

function fromLogs(logs: readonly unknown[]): DvpnErrorInfo | undefined {
  let named: DvpnErrorInfo | undefined;
  for (const line of logs) {
    if (typeof line !== 'string') continue;
    const hit = fromText(line);
    if (hit) return hit;
    const n = LOGGED_NAME.exec(line);
    if (n && !named) named = errorFromName(n[1]);
  }
  return named;
}

/**
 * The dvpn error behind a failed transaction, if any: accepts a web3.js
 * SendTransactionError (its logs / message), a transaction `err` value
 * ({ InstructionError: [i, { Custom: n }] }), log lines, an error message
 * containing "custom program error: 0x1770", or a bare code.
 */
export function programErrorFrom(err: unknown): DvpnErrorInfo | undefined {
  return search(err, new Set());
}

function search(err: unknown, seen: Set<unknown>): DvpnErrorInfo | undefined {
  if (err === null || err === undefined || seen.has(err)) return undefined;
  if (typeof err === 'number') return errorFromCode(err);
  if (typeof err === 'string') return fromText(err);
  if (Array.isArray(err)) {
    if (err.every((l) => typeof l === 'string')) return fromLogs(err);
    // InstructionError tuple [index, { Custom: n }]
    for (const item of err) {
      const hit = search(item, seen);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof err !== 'object') return undefined;
  seen.add(err);
  const o = err as Record<string, unknown>;
  if (typeof o.Custom === 'number') return errorFromCode(o.Custom);
  // Order: structured fields first, then logs, then the human message.
  for (const key of ['InstructionError', 'err', 'value', 'logs', 'transactionLogs', 'transactionError', 'error', 'cause']) {
    if (key in o) {
      const hit = search(o[key], seen);
      if (hit) return hit;
    }
  }
  if (typeof o.code === 'number') {
    const hit = errorFromCode(o.code);
    if (hit) return hit;
  }
  for (const key of ['transactionMessage', 'message']) {
    if (typeof o[key] === 'string') {
      const hit = fromText(o[key] as string);
      if (hit) return hit;
    }
  }
  return undefined;
}
