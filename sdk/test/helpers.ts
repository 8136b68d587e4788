// Independent oracles for the tests: node:crypto, not the SDK's own sha256.
import { createHash } from 'node:crypto';

export const nodeSha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

export function nodeHashN(data: Uint8Array, n: number): Uint8Array {
  let v: Uint8Array = Uint8Array.from(data);
  for (let i = 0; i < n; i++) v = nodeSha256(v);
  return v;
}

export const disc = (prefix: string, name: string): Buffer =>
  createHash('sha256').update(`${prefix}:${name}`).digest().subarray(0, 8);

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Little-endian writer for hand-building Borsh / #[repr(C)] bytes. */
export class Writer {
  private parts: Buffer[] = [];
  bytes(b: Uint8Array | number[]): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  u8(v: number): this {
    return this.bytes([v]);
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.bytes(b);
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    return this.bytes(b);
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    return this.bytes(b);
  }
  i64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v);
    return this.bytes(b);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.u32(b.length).bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}
