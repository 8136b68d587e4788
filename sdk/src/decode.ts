// Internal: turns what Anchor's Borsh coders decode (BN, number[], { Variant: {} })
// into the SDK's plain values (bigint, Uint8Array, enum numbers), driven by the IDL.
import type { IdlField, IdlType, IdlTypeDef } from '@coral-xyz/anchor/dist/cjs/idl.js';
import { PublicKey } from '@solana/web3.js';
import { BN, CAMEL_IDL } from './coder.js';
import type { DvpnIdl } from './idl.js';
import type { SessionMode, SessionState, StakeChangeKind } from './constants.js';

const TYPES: IdlTypeDef[] = CAMEL_IDL.types ?? [];

export function fromCoderValue(type: IdlType, value: unknown): unknown {
  if (typeof type === 'string') {
    switch (type) {
      case 'u64': case 'i64': case 'u128': case 'i128': case 'u256': case 'i256':
        return BN.isBN(value) ? BigInt((value as { toString(): string }).toString()) : BigInt(value as number);
      case 'pubkey':
        return value instanceof PublicKey ? value : new PublicKey(value as string);
      case 'bytes':
        return Uint8Array.from(value as Uint8Array);
      default:
        return value; // small ints (number), bool, string
    }
  }
  if ('option' in type) return value === null || value === undefined ? null : fromCoderValue(type.option, value);
  if ('array' in type || 'vec' in type) {
    const inner = 'array' in type ? type.array[0] : type.vec;
    const arr = value as unknown[];
    if (inner === 'u8') return Uint8Array.from(arr as number[]);
    return arr.map((v) => fromCoderValue(inner, v));
  }
  if ('defined' in type) {
    const def = TYPES.find((t) => t.name === type.defined.name);
    if (def?.type.kind === 'enum') {
      const key = Object.keys(value as object)[0];
      return def.type.variants.findIndex((v) => v.name === key);
    }
    if (def?.type.kind === 'struct') return fromStruct(def, value as Record<string, unknown>);
  }
  throw new TypeError(`unsupported IDL type ${JSON.stringify(type)}`);
}

export function fromStruct(def: IdlTypeDef, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (def.type.kind !== 'struct') return out;
  for (const f of (def.type.fields ?? []) as IdlField[]) {
    if (f.name === 'padding') continue; // alignment bytes, no meaning
    out[f.name] = fromCoderValue(f.type, value[f.name]);
  }
  return out;
}

export function typeDef(name: string): IdlTypeDef {
  const def = TYPES.find((t) => t.name === name);
  if (!def) throw new Error(`unknown IDL type ${name}`);
  return def;
}

// ---------------------------------------------------------------------------
// The same mapping at the type level, so account and event types follow the IDL.

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type EnumOf<N> = N extends 'SessionMode'
  ? SessionMode
  : N extends 'SessionState'
    ? SessionState
    : N extends 'StakeChangeKind'
      ? StakeChangeKind
      : number;

export type TsOf<T> = T extends 'u64' | 'i64' | 'u128' | 'i128'
  ? bigint
  : T extends 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'string'
        ? string
        : T extends 'pubkey'
          ? PublicKey
          : T extends { array: ['u8', number] }
            ? Uint8Array
            : T extends { defined: { name: infer N } }
              ? EnumOf<N>
              : T extends { option: infer O }
                ? TsOf<O> | null
                : unknown;

type TypeDefs = DvpnIdl['types'][number];
type FieldsOf<N extends string> = Extract<TypeDefs, { name: N }>['type'] extends { fields: infer F extends readonly unknown[] }
  ? F[number]
  : never;

/** The decoded (camelCase, SDK-typed) shape of an IDL struct, `padding` dropped. */
export type Decoded<N extends string> = Simplify<{
  [F in FieldsOf<N> as F extends { name: infer K extends string } ? (K extends 'padding' ? never : Camel<K>) : never]:
    F extends { type: infer T } ? TsOf<T> : never;
}>;
