// The wire contract's names and builder inputs as types, derived from the
// generated IDL type (sdk/src/idl.ts, written by scripts/gen-idl.mjs): a new
// instruction, argument, account, event or error appears here without an edit.
import type { PublicKey } from '@solana/web3.js';
import type { SessionMode } from './constants.js';
import type { DvpnIdl } from './idl.js';

export type IntLike = bigint | number | string;
export type Bytes32 = Uint8Array | number[];

/** snake_case -> camelCase, as the SDK (and Anchor's Program) names IDL items. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** IDL names, snake_case as on the wire (`initialize_config`). */
export type InstructionName = DvpnIdl['instructions'][number]['name'];
export type AccountName = DvpnIdl['accounts'][number]['name'];
export type EventName = DvpnIdl['events'][number]['name'];
export type ErrorName = DvpnIdl['errors'][number]['name'];

type Ix<N extends InstructionName> = Extract<DvpnIdl['instructions'][number], { name: N }>;
type ArgOf<N extends InstructionName> = Ix<N>['args'][number];
type AccountOf<N extends InstructionName> = Ix<N>['accounts'][number];

/** What a builder accepts for an IDL type (the SDK converts and range-checks it). */
export type InputOf<T> = T extends 'u64' | 'i64' | 'u128' | 'i128'
  ? IntLike
  : T extends 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32'
    ? number
    : T extends 'bool'
      ? boolean
      : T extends 'string'
        ? string
        : T extends 'pubkey'
          ? PublicKey
          : T extends { array: ['u8', number] }
            ? Bytes32
            : T extends { defined: { name: 'SessionMode' } }
              ? SessionMode | 'time' | 'usage'
              : T extends { option: infer O }
                ? InputOf<O> | null
                : never;

type IsOption<T> = T extends { option: unknown } ? true : false;

/**
 * The arguments of instruction `N`, camelCase; Borsh `Option` arguments may be
 * omitted (None). `IxArgs<'register_node'>['maxCapacity']` is `number`.
 */
export type IxArgs<N extends InstructionName> = Simplify<
  {
    [A in ArgOf<N> as IsOption<A['type']> extends true ? never : Camel<A['name']>]: InputOf<A['type']>;
  } & {
    [A in ArgOf<N> as IsOption<A['type']> extends true ? Camel<A['name']> : never]?: InputOf<A['type']>;
  }
>;

/** The accounts of instruction `N`, camelCase, each a PublicKey. */
export type IxAccounts<N extends InstructionName> = Simplify<{ [A in AccountOf<N> as Camel<A['name']>]: PublicKey }>;
