// Amount parsing / formatting and the two output modes (human text, --json).
import { PublicKey } from '@solana/web3.js';
import { CliError } from './errors.js';

export const LAMPORT_DECIMALS = 9;

/** "1.5" with 9 decimals -> 1_500_000_000n. Exact (no floating point); refuses extra decimals. */
export function parseUnits(text: string, decimals: number, what = 'amount'): bigint {
  const s = String(text).trim();
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || s === '' || s === '.' || (m[1] === '' && (m[2] ?? '') === '')) {
    throw new CliError(`${what}: "${text}" is not a non-negative decimal number`);
  }
  const whole = m[1] || '0';
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new CliError(`${what}: "${text}" has more than ${decimals} decimals`);
  const v = BigInt(whole) * 10n ** BigInt(decimals) + BigInt((frac + '0'.repeat(decimals)).slice(0, decimals) || '0');
  // Every amount on chain is a u64: a larger one would wrap silently when encoded.
  if (v > U64_MAX) throw new CliError(`${what}: "${text}" is above the limit of ${formatUnits(U64_MAX, decimals)} (an on-chain amount is a u64)`);
  return v;
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** 1_500_000_000n with 9 decimals -> "1.5". */
export function formatUnits(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const base = 10n ** BigInt(decimals);
  const whole = v / base;
  const frac = (v % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

export const parseSol = (text: string, what = 'SOL amount') => parseUnits(text, LAMPORT_DECIMALS, what);
export const formatSol = (lamports: bigint) => `${formatUnits(lamports, LAMPORT_DECIMALS)} SOL`;

export function parseInteger(text: string, what: string, min = 0n, max = 0xffff_ffff_ffff_ffffn): bigint {
  const s = String(text).trim();
  if (!/^\d+$/.test(s)) throw new CliError(`${what}: "${text}" is not a whole number`);
  const v = BigInt(s);
  if (v < min || v > max) throw new CliError(`${what}: ${v} is outside ${min}..${max}`);
  return v;
}

/** "600", "600s", "10m", "12h", "7d" -> seconds. */
export function parseDuration(text: string, what = 'duration'): bigint {
  const m = /^(\d+)\s*([smhd]?)$/.exec(String(text).trim());
  if (!m) throw new CliError(`${what}: "${text}" is not a duration (e.g. 600, 10m, 12h, 7d)`);
  const mult = { '': 1n, s: 1n, m: 60n, h: 3600n, d: 86400n }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return BigInt(m[1]) * mult;
}

export function parsePubkey(text: string, what: string): PublicKey {
  try {
    return new PublicKey(String(text).trim());
  } catch {
    throw new CliError(`${what}: "${text}" is not a base58 public key`);
  }
}

/** WireGuard key: base64 (as `wg pubkey` prints it) or 64 hex characters -> 32 bytes. */
export function parseWgKey(text: string): Uint8Array {
  const s = String(text).trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(s)) bytes = Buffer.from(s, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=$/.test(s)) bytes = Buffer.from(s, 'base64');
  if (!bytes || bytes.length !== 32) {
    throw new CliError(`WireGuard public key: "${text}" is not 32 bytes in base64 (wg pubkey) or hex`);
  }
  // A placeholder, not a key: no private key has it and WireGuard cannot handshake with it.
  if (bytes.every((b) => b === 0)) throw new CliError(`WireGuard public key: "${text}" is all zeros; make a real one with wg genkey | wg pubkey`);
  return new Uint8Array(bytes);
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const base64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function parseHex32(text: string, what: string): Uint8Array {
  const s = String(text).trim().replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(s)) throw new CliError(`${what}: expected 32 bytes as 64 hex characters`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function isoTime(unixSeconds: bigint): string {
  if (unixSeconds <= 0n) return '-';
  const ms = Number(unixSeconds) * 1000;
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : String(unixSeconds);
}

/** Turns SDK values into JSON-safe ones: bigint -> string, PublicKey -> base58, bytes -> hex. */
export function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof PublicKey) return value.toBase58();
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlain(v);
    return out;
  }
  return value;
}

export const toJson = (value: unknown) => JSON.stringify(toPlain(value), null, 2);

export type Row = [label: string, value: unknown];

/** Aligned "label  value" lines under an optional title. */
export function formatRows(title: string | null, rows: Row[]): string {
  const shown = rows.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([l]) => l.length));
  const lines = shown.map(([l, v]) => `  ${l.padEnd(width)}  ${humanValue(v)}`);
  return [...(title ? [title] : []), ...lines].join('\n');
}

function humanValue(v: unknown): string {
  if (v === null) return '-';
  if (v instanceof PublicKey) return v.toBase58();
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** A simple aligned table for list commands. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}
