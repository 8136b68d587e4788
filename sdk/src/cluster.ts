// Which Solana cluster a connection reaches, told by its genesis hash (an RPC
// URL says nothing: a private mainnet endpoint has any hostname), and the rule
// that the committed program keypair is for local clusters only.
import { PublicKey, type Connection } from '@solana/web3.js';
import { DVPN_PROGRAM_ID } from './constants.js';

/** Genesis hashes of the public clusters (`getGenesisHash`). */
export const PUBLIC_CLUSTER_GENESIS = {
  'mainnet-beta': '5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d',
  devnet: 'EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG',
  testnet: '4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY',
} as const;

export type PublicCluster = keyof typeof PUBLIC_CLUSTER_GENESIS;

/** The public cluster with this genesis hash, or null for any other (local) cluster. */
export function publicClusterOf(genesisHash: string): PublicCluster | null {
  for (const [name, hash] of Object.entries(PUBLIC_CLUSTER_GENESIS)) if (hash === genesisHash) return name as PublicCluster;
  return null;
}

/**
 * The program id of the committed `programs/dvpn/dvpn-keypair.json`. Its secret
 * key is public (it is in the repository), so whoever holds a clone could
 * deploy over a program at this address: it is for local clusters only.
 */
export const LOCAL_PROGRAM_ID: PublicKey = DVPN_PROGRAM_ID;

export class LocalProgramKeyError extends Error {
  constructor(
    readonly cluster: PublicCluster,
    what: string,
  ) {
    super(
      `${what} is refused on ${cluster}: program ${LOCAL_PROGRAM_ID.toBase58()} is the committed local-only keypair ` +
        '(programs/dvpn/dvpn-keypair.json, its secret key is public). Deploy a build for a fresh program keypair ' +
        '(docs/runbook/mainnet.md, "A fresh program keypair per public cluster").',
    );
    this.name = 'LocalProgramKeyError';
  }
}

/** Throws LocalProgramKeyError when `programId` is the committed local id and the genesis hash is a public cluster's. */
export function assertProgramKeyForGenesis(genesisHash: string, programId: PublicKey, what = 'this program id'): void {
  const cluster = publicClusterOf(genesisHash);
  if (cluster && programId.equals(LOCAL_PROGRAM_ID)) throw new LocalProgramKeyError(cluster, what);
}

/** Asks the cluster for its genesis hash, then as assertProgramKeyForGenesis. Returns the public cluster's name or null. */
export async function assertProgramKeyForCluster(
  connection: Pick<Connection, 'getGenesisHash'>,
  programId: PublicKey,
  what?: string,
): Promise<PublicCluster | null> {
  const genesis = await clusterGenesisHash(connection, what ?? 'this program id');
  assertProgramKeyForGenesis(genesis, programId, what);
  return publicClusterOf(genesis);
}

/**
 * The cluster's genesis hash, checked to be one (base58 of 32 bytes). Fails
 * closed: an RPC that errors or answers "" / junk would otherwise read as "not
 * a public cluster" and let the public keypair through.
 */
export async function clusterGenesisHash(connection: Pick<Connection, 'getGenesisHash'>, what: string): Promise<string> {
  let genesis: unknown;
  try {
    genesis = await connection.getGenesisHash();
  } catch (e) {
    throw new Error(`${what} is refused: could not tell which cluster this is (getGenesisHash failed: ${(e as Error).message})`, { cause: e });
  }
  let valid = false;
  try {
    valid = typeof genesis === 'string' && new PublicKey(genesis).toBase58() === genesis;
  } catch {
    valid = false;
  }
  if (!valid) throw new Error(`${what} is refused: the RPC's genesis hash ${JSON.stringify(genesis)} is not a base58 hash, so the cluster is unknown`);
  return genesis as string;
}
