// Program-derived addresses, derived from the seeds the IDL's account metas
// declare (scripts/gen-idl.mjs writes them once, for the IDL, the program's
// seed constants and this file): no seed or seed order is restated here.
import { PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID } from './constants.js';
import { IDL, type DvpnIdl } from './idl.js';

type AccountMeta = DvpnIdl['instructions'][number]['accounts'][number];
/** The accounts that are PDAs of the program, by their IDL name (`session`, `stake_vault`, ...). */
export type PdaName = Extract<AccountMeta, { pda: unknown }>['name'];
type Seed = { kind: 'const'; value: readonly number[] } | { kind: 'account'; path: string } | { kind: 'arg'; path: string };

/** Each PDA's seeds; one definition per name (the generator writes the same seeds wherever a name appears). */
const PDA_SEEDS: ReadonlyMap<string, readonly Seed[]> = (() => {
  const seeds = new Map<string, readonly Seed[]>();
  for (const ix of IDL.instructions) {
    for (const meta of ix.accounts as readonly { name: string; pda?: { seeds: readonly Seed[] } }[]) {
      if (!meta.pda) continue;
      const known = seeds.get(meta.name);
      if (known && JSON.stringify(known) !== JSON.stringify(meta.pda.seeds)) {
        throw new Error(`the IDL gives account ${meta.name} two different seed lists`);
      }
      seeds.set(meta.name, meta.pda.seeds);
    }
  }
  return seeds;
})();

/** u64 little-endian, as the program's seeds use for node_id / session_id. */
export function u64Le(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 out of range: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, true);
  return out;
}

/**
 * The seeds (without the bump) of PDA `name`, from the IDL: account seeds take
 * `inputs[path]` as a public key, argument seeds (the u64 ids) as an integer.
 */
export function pdaSeeds(name: PdaName, inputs: Readonly<Record<string, PublicKey | bigint | number>> = {}): Uint8Array[] {
  const seeds = PDA_SEEDS.get(name);
  if (!seeds) throw new Error(`${name} is not a PDA of the program`);
  return seeds.map((seed) => {
    if (seed.kind === 'const') return Uint8Array.from(seed.value);
    const value = inputs[seed.path];
    if (seed.kind === 'account') {
      if (!(value instanceof PublicKey)) throw new TypeError(`PDA ${name} needs the ${seed.path} address`);
      return value.toBytes();
    }
    if (typeof value !== 'bigint' && typeof value !== 'number') throw new TypeError(`PDA ${name} needs ${seed.path}`);
    return u64Le(value);
  });
}

/** PDA `name` and its canonical bump. */
export function findPda(
  name: PdaName,
  inputs: Readonly<Record<string, PublicKey | bigint | number>> = {},
  programId: PublicKey = DVPN_PROGRAM_ID,
): [PublicKey, number] {
  return PublicKey.findProgramAddressSync(pdaSeeds(name, inputs), programId);
}

export function findConfigPda(programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return findPda('config', {}, programId);
}

/** Provider PDA of a provider authority (wallet). */
export function findProviderPda(authority: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return findPda('provider', { authority }, programId);
}

/** StakeVault PDA; `provider` is the Provider PDA, not the authority. */
export function findStakeVaultPda(provider: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return findPda('stake_vault', { provider }, programId);
}

export function findNodePda(
  provider: PublicKey,
  nodeId: bigint | number,
  programId: PublicKey = DVPN_PROGRAM_ID,
): [PublicKey, number] {
  return findPda('node', { provider, node_id: nodeId }, programId);
}

export function findSessionPda(
  node: PublicKey,
  user: PublicKey,
  sessionId: bigint | number,
  programId: PublicKey = DVPN_PROGRAM_ID,
): [PublicKey, number] {
  return findPda('session', { node, user, session_id: sessionId }, programId);
}

/** SPL token vault of a token session (owner = the Session PDA). */
export function findSessionVaultPda(session: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return findPda('vault', { session }, programId);
}

/** UserState PDA of a user wallet: holds the session_id its next session must use. */
export function findUserStatePda(user: PublicKey, programId: PublicKey = DVPN_PROGRAM_ID): [PublicKey, number] {
  return findPda('user_state', { user }, programId);
}
