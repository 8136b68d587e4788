// Which cluster the CLI talks to, for the commands that only make sense off mainnet.
import type { Connection } from '@solana/web3.js';
import { PUBLIC_CLUSTER_GENESIS, clusterGenesisHash } from '@dvpn/sdk';
import { CliError, RPC_UNREACHABLE } from './errors.js';

/** Genesis hash of mainnet-beta: the one cluster where dev commands must never run. */
export const MAINNET_GENESIS_HASH = PUBLIC_CLUSTER_GENESIS['mainnet-beta'];

/** Refuses `what` on mainnet (by genesis hash, so a custom mainnet RPC URL is caught too). */
export async function refuseOnMainnet(connection: Connection, rpcUrl: string, what: string): Promise<void> {
  // A failing or junk genesis answer is refused too (fail closed), not taken for a local cluster.
  const genesis = await clusterGenesisHash(connection, what).catch((e: Error) => {
    // An RPC that cannot be reached is said as such (describeError), not as a refusal.
    if (e.cause instanceof Error && RPC_UNREACHABLE.test(e.cause.message)) throw e.cause;
    throw new CliError(e.message);
  });
  if (genesis === MAINNET_GENESIS_HASH) {
    throw new CliError(`${what} is refused on mainnet (${rpcUrl}): it is for local and test clusters only`);
  }
}
