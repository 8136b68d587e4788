// Scalars shared by every entity: exact integers as strings, times, pubkeys, JSON.
import bs58 from 'bs58';
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { builder, type IntegerLike } from '../builder.js';

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
/** Numbers the program stores fit i128 comfortably; refuse anything absurdly long. */
const MAX_DIGITS = 40;

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Exact decimal string of an integer-valued value (bigint, Prisma Decimal, safe number, digit string). */
export function integerString(value: IntegerLike): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new GraphQLError(`BigInt cannot represent ${value} exactly`);
    return String(value);
  }
  if (typeof value === 'string') {
    if (!INTEGER.test(value)) throw new GraphQLError(`BigInt cannot represent "${value}"`);
    return value;
  }
  if (value && typeof value.toFixed === 'function') {
    // Prisma's Decimal: toFixed() never switches to exponent notation.
    const s = value.toFixed();
    if (!INTEGER.test(s)) throw new GraphQLError(`BigInt cannot represent ${s}`);
    return s;
  }
  throw new GraphQLError(`BigInt cannot represent ${String(value)}`);
}

/** Largest u64: every BigInt input (amounts, prices, slots, stakes) is a u64. */
export const U64_MAX = 18446744073709551615n;
const DIGITS = /^(0|[1-9][0-9]*)$/;

function outOfRange(shown: string): GraphQLError {
  return badInput(`BigInt input must be an integer within 0..${U64_MAX} (u64), got ${shown}`);
}

/**
 * A BigInt input: a u64 as a decimal string (or a safe Int). Everything else
 * is refused while the request's values are coerced, with BAD_USER_INPUT: a
 * negative value, a value above u64, exponent or decimal notation, a number
 * past 2^53 (JSON loses it), anything that is not a string or a number.
 */
function parseInteger(raw: unknown): bigint {
  if (typeof raw === 'number') {
    if (!Number.isSafeInteger(raw)) throw badInput(`BigInt must be an integer (as a string for values above 2^53), got ${raw}`);
    if (raw < 0) throw outOfRange(String(raw));
    return BigInt(raw);
  }
  if (typeof raw === 'string') {
    const s = raw.trim();
    const shown = `"${raw.slice(0, 64)}"`;
    if (s.startsWith('-') && DIGITS.test(s.slice(1))) throw outOfRange(shown);
    if (s.length > MAX_DIGITS || !DIGITS.test(s)) throw badInput(`BigInt must be a string of decimal digits, got ${shown}`);
    const v = BigInt(s);
    if (v > U64_MAX) throw outOfRange(shown);
    return v;
  }
  throw badInput(`BigInt must be a string of decimal digits, got ${typeof raw}`);
}

builder.scalarType('BigInt', {
  description:
    'An exact integer (u64/i64 amounts in base units: lamports or token base units, counters, slots), ' +
    'serialized as a decimal string so no precision is lost. Input: a u64 (0..18446744073709551615) as a decimal string, or an Int.',
  serialize: (value) => integerString(value),
  parseValue: (value) => parseInteger(value),
  parseLiteral: (ast: ValueNode) => {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT) return parseInteger(ast.value);
    throw badInput('BigInt must be a string of decimal digits');
  },
});

function parseDate(raw: unknown): Date {
  if (typeof raw === 'string') {
    const d = new Date(raw);
    if (Number.isNaN(d.getTime())) throw badInput(`DateTime must be an ISO-8601 string, got "${raw.slice(0, 64)}"`);
    return d;
  }
  if (typeof raw === 'number' && Number.isFinite(raw)) return new Date(raw * 1000);
  throw badInput('DateTime must be an ISO-8601 string (or unix seconds)');
}

builder.scalarType('DateTime', {
  description: 'A point in time as an ISO-8601 UTC string (from the program\'s Clock). Input also accepts unix seconds.',
  serialize: (value) => {
    const d = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(d.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date');
    return d.toISOString();
  },
  parseValue: parseDate,
  parseLiteral: (ast) => {
    if (ast.kind === Kind.STRING) return parseDate(ast.value);
    if (ast.kind === Kind.INT) return parseDate(Number(ast.value));
    throw badInput('DateTime must be an ISO-8601 string');
  },
});

/** A base58 string that decodes to 32 bytes. */
export function isPubkey(s: string): boolean {
  if (s.length < 32 || s.length > 44) return false;
  try {
    return bs58.decode(s).length === 32;
  } catch {
    return false;
  }
}

function parsePubkey(raw: unknown): string {
  if (typeof raw !== 'string' || !isPubkey(raw)) {
    const shown = typeof raw === 'string' ? `"${raw.slice(0, 64)}"` : typeof raw;
    throw badInput(`Pubkey must be a base58-encoded 32-byte public key, got ${shown}`);
  }
  return raw;
}

builder.scalarType('Pubkey', {
  description: 'A Solana public key (account address), base58.',
  serialize: (value) => String(value),
  parseValue: parsePubkey,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('Pubkey must be a base58 string');
    return parsePubkey(ast.value);
  },
});

function literalToJson(ast: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw badInput('JSON literal not supported');
  }
}

builder.scalarType('JSON', {
  description: 'A JSON value (decoded events: u64/i64 as decimal strings, pubkeys base58, bytes hex).',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literalToJson(ast, variables),
});

export const SOL_MINT = '11111111111111111111111111111111';

export const OrderDirection = builder.enumType('OrderDirection', {
  values: { ASC: { value: 'asc' }, DESC: { value: 'desc' } } as const,
});

export const Currency = builder.enumType('Currency', {
  description: 'What a session pays in: SOL (lamports) or the configured SPL token (base units).',
  values: ['SOL', 'TOKEN'] as const,
});

export function currencyOf(paymentMint: string): 'SOL' | 'TOKEN' {
  return paymentMint === SOL_MINT ? 'SOL' : 'TOKEN';
}

export { badInput };
