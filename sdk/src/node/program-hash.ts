// The hash a deployed program is verified by: sha256 of the program's ELF with
// its trailing zero bytes removed. The upgradeable loader pads the ELF in the
// ProgramData account with zeros up to its max length, so the zeros are
// dropped on both sides (the same rule as `solana-verify get-executable-hash`
// and `get-program-hash`, so either tool can check our published hash).
import { createHash } from 'node:crypto';
import { PublicKey, type Connection } from '@solana/web3.js';

export const BPF_LOADER_UPGRADEABLE = new PublicKey('BPFLoaderUpgradeab1e11111111111111111111111');
/** ProgramData header: u32 tag (3), u64 last-deploy slot, Option<Pubkey> upgrade authority (1 + 32). */
export const PROGRAM_DATA_HEADER = 45;

/** The bytes without trailing zeros. */
export function trimTrailingZeros(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

/** sha256 (hex) of an executable with its trailing zeros removed: the published program hash. */
export function executableHash(elf: Uint8Array): string {
  return createHash('sha256').update(trimTrailingZeros(elf)).digest('hex');
}

export interface DeployedProgram {
  programId: PublicKey;
  programData: PublicKey;
  /** Slot of the last deploy or upgrade. */
  slot: bigint;
  /** null: the program is immutable (no one can upgrade it). */
  upgradeAuthority: PublicKey | null;
  /** The ELF as stored (with the loader's zero padding). */
  elf: Uint8Array;
  hash: string;
}

/** Reads a program deployed with the upgradeable loader (the Program account, then its ProgramData) and hashes it. */
export async function fetchDeployedProgram(connection: Connection, programId: PublicKey): Promise<DeployedProgram> {
  const program = await connection.getAccountInfo(programId);
  if (!program) throw new Error(`no account at ${programId.toBase58()} on this cluster: the program is not deployed there`);
  if (!program.owner.equals(BPF_LOADER_UPGRADEABLE)) {
    throw new Error(`${programId.toBase58()} is owned by ${program.owner.toBase58()}, not the upgradeable BPF loader: not a program this script can verify`);
  }
  if (program.data.length < 36 || program.data.readUInt32LE(0) !== 2) {
    throw new Error(`${programId.toBase58()} is not a Program account of the upgradeable loader (it may be a buffer or ProgramData)`);
  }
  const programData = new PublicKey(program.data.subarray(4, 36));
  // The loader always puts ProgramData at this PDA; any other address is not the program's code.
  const [expected] = PublicKey.findProgramAddressSync([programId.toBuffer()], BPF_LOADER_UPGRADEABLE);
  if (!programData.equals(expected)) {
    throw new Error(`${programId.toBase58()} points at ProgramData ${programData.toBase58()}, not the loader's ${expected.toBase58()}: malformed`);
  }
  const pd = await connection.getAccountInfo(programData);
  if (!pd) throw new Error(`ProgramData ${programData.toBase58()} of ${programId.toBase58()} is missing: the program was closed`);
  if (!pd.owner.equals(BPF_LOADER_UPGRADEABLE) || pd.data.length < PROGRAM_DATA_HEADER || pd.data.readUInt32LE(0) !== 3) {
    throw new Error(`ProgramData ${programData.toBase58()} of ${programId.toBase58()} is malformed`);
  }
  const slot = pd.data.readBigUInt64LE(4);
  const upgradeAuthority = optionPubkey(pd.data, 12, `ProgramData ${programData.toBase58()}`);
  const elf = new Uint8Array(pd.data.subarray(PROGRAM_DATA_HEADER));
  return { programId, programData, slot, upgradeAuthority, elf, hash: executableHash(elf) };
}

/** A bincode Option<Pubkey> at `at`: a tag other than 0/1 is junk, never "no authority" (that would pass `--authority none`). */
function optionPubkey(data: Buffer, at: number, what: string): PublicKey | null {
  if (data[at] === 0) return null;
  if (data[at] === 1) return new PublicKey(data.subarray(at + 1, at + 33));
  throw new Error(`${what} is malformed: authority tag ${data[at]} is neither 0 (none) nor 1`);
}

/** Buffer header of the upgradeable loader: u32 tag (1), Option<Pubkey> authority (1 + 32). */
export const BUFFER_HEADER = 37;

export interface ProgramBuffer {
  buffer: PublicKey;
  /** Who may write the buffer or deploy from it (the multisig vault before an upgrade proposal); null: nobody. */
  authority: PublicKey | null;
  elf: Uint8Array;
  hash: string;
}

/**
 * Reads a buffer written with `solana program write-buffer` and hashes it, so
 * the members of a multisig can check an upgrade proposal's buffer against the
 * published build before they approve it.
 */
export async function fetchProgramBuffer(connection: Connection, buffer: PublicKey): Promise<ProgramBuffer> {
  const info = await connection.getAccountInfo(buffer);
  if (!info) throw new Error(`no account at ${buffer.toBase58()} on this cluster: no such buffer`);
  if (!info.owner.equals(BPF_LOADER_UPGRADEABLE) || info.data.length < BUFFER_HEADER || info.data.readUInt32LE(0) !== 1) {
    throw new Error(`${buffer.toBase58()} is not a buffer of the upgradeable BPF loader`);
  }
  const authority = optionPubkey(info.data, 4, `buffer ${buffer.toBase58()}`);
  const elf = new Uint8Array(info.data.subarray(BUFFER_HEADER));
  return { buffer, authority, elf, hash: executableHash(elf) };
}
