import { PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, SEEDS } from './constants.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** u64 little-endian, as the program's seeds use for node_id / session_id. */
export function u64Le(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 out of range: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

export function findConfigPda(programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.config)], programId);
}

/** Provider PDA of a provider authority (wallet). */
export function findProviderPda(authority: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.provider), authority.toBytes()], programId);
}

/** StakeVault PDA; `provider` is the Provider PDA, not the authority. */
export function findStakeVaultPda(provider: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.stake), provider.toBytes()], programId);
}

export function findNodePda(
  provider: PublicKey,
  nodeId: bigint | number,
  programId: PublicKey = DVPN_PROGRAM_ID,
): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.node), provider.toBytes(), u64Le(nodeId)], programId);
}

export function findSessionPda(
  node: PublicKey,
  user: PublicKey,
  sessionId: bigint | number,
  programId: PublicKey = DVPN_PROGRAM_ID,
): [PublicKey, number] {
  return PublicKey.findProgramAddressSync(
    [utf8(SEEDS.session), node.toBytes(), user.toBytes(), u64Le(sessionId)],
    programId,
  );
}

/** SPL token vault of a token session (owner = the Session PDA). */
export function findSessionVaultPda(session: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.vault), session.toBytes()], programId);
}

/** UserState PDA of a user wallet: holds the session_id its next session must use. */
export function findUserStatePda(user: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return PublicKey.findProgramAddressSync([utf8(SEEDS.user), user.toBytes()], programId);
}
