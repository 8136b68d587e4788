// Internal: the IDL with snake_case names turned into camelCase (as Anchor's
// Program does) and Anchor's Borsh coders built from it. Anchor 0.32's coders
// use IDL names verbatim, so instruction/field names here are camelCase while
// type names (Config, SessionMode, SessionOpened, ...) stay PascalCase.
import * as anchorNs from '@coral-xyz/anchor';
import { BorshAccountsCoder, BorshEventCoder, BorshInstructionCoder, type Idl } from '@coral-xyz/anchor';
import { IDL } from './idl.js';

// Node loads Anchor's CommonJS build, whose `BN` re-export is not visible as an
// ESM named export (only under `default`); browsers get the ESM build, which has
// no default export. Take BN from wherever it is.
export const BN: typeof anchorNs.BN =
  anchorNs.BN ?? (Reflect.get(anchorNs, 'default') as typeof anchorNs).BN;

export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function camelizeIdl<T>(value: T): T {
  if (Array.isArray(value)) return value.map(camelizeIdl) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = (k === 'name' || k === 'path') && typeof v === 'string' ? camel(v) : camelizeIdl(v);
    }
    return out as T;
  }
  return value;
}

export const CAMEL_IDL = camelizeIdl(IDL) as unknown as Idl;
export const instructionCoder = new BorshInstructionCoder(CAMEL_IDL);
export const accountsCoder = new BorshAccountsCoder(CAMEL_IDL);
export const eventCoder = new BorshEventCoder(CAMEL_IDL);
