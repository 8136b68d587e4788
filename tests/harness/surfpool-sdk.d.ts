// Type declarations for the native embedded Solana runtime (the package ships none).
// Only the calls that exist in surfpool-sdk-linux-x64-gnu 1.2.0 (see
// ../shared/STACK-NOTES.md); there is no stop(): dropping the object stops it.
declare module 'surfpool-sdk-linux-x64-gnu' {
  export interface SurfnetConfig {
    /** Never set false here: it blocks for minutes trying to reach a remote cluster. */
    offline?: boolean;
    /** Never set here (same reason as offline: false). */
    remoteRpcUrl?: string;
    blockProductionMode?: 'clock' | 'transaction' | 'manual';
    slotTimeMs?: number;
    airdropSol?: number;
    airdropAddresses?: string[];
    payerSecretKey?: number[];
  }

  export interface EpochInfoValue {
    epoch: number;
    slotIndex: number;
    slotsInEpoch: number;
    absoluteSlot: number;
    blockHeight: number;
    transactionCount?: number;
  }

  export interface SimnetEventValue {
    kind: string;
    message?: string;
    timestamp?: string;
    transactionSignature?: string;
    logs?: string[];
    computeUnitsConsumed?: number;
    fee?: number;
    errorMessage?: string;
    accountPubkey?: string;
    [key: string]: unknown;
  }

  export interface DeployOptions {
    programId: string;
    soPath?: string;
    /** A plain number array: a Buffer is refused. */
    soBytes?: number[];
    idlPath?: string;
  }

  export interface SetTokenAccountUpdate {
    amount?: number;
    delegate?: string;
    clearDelegate?: boolean;
    state?: string;
    delegatedAmount?: number;
    closeAuthority?: string;
    clearCloseAuthority?: boolean;
  }

  export class Surfnet {
    private constructor();
    static start(): Surfnet;
    static startWithConfig(config: SurfnetConfig): Surfnet;
    static newKeypair(): { publicKey: string; secretKey: number[] };
    readonly rpcUrl: string;
    readonly wsUrl: string;
    /** Base58 public key of the pre-funded payer. */
    readonly payer: string;
    readonly payerSecretKey: number[];
    readonly instanceId: string;
    /** Must be called regularly: the RPC hangs for good after ~490 transactions otherwise. */
    drainEvents(): SimnetEventValue[];
    deploy(options: DeployOptions): string;
    deployProgram(name: string): string;
    /** Sets (does not add to) the lamport balance. */
    fundSol(address: string, lamports: number): void;
    fundSolMany(accounts: { address: string; lamports: number }[]): void;
    fundToken(owner: string, mint: string, amount: number, tokenProgram?: string): void;
    fundTokenMany(owners: string[], mint: string, amount: number, tokenProgram?: string): void;
    setTokenBalance(owner: string, mint: string, amount: number, tokenProgram?: string): void;
    setTokenAccount(owner: string, mint: string, update: SetTokenAccountUpdate, tokenProgram?: string): void;
    getAta(owner: string, mint: string, tokenProgram?: string): string;
    setAccount(address: string, lamports: number, data: number[], owner: string): void;
    resetAccount(address: string, options?: { includeOwnedAccounts?: boolean }): void;
    streamAccount(address: string, options?: { includeOwnedAccounts?: boolean }): void;
    timeTravelToEpoch(epoch: number): EpochInfoValue;
    timeTravelToSlot(slot: number): EpochInfoValue;
    /** Unix time in milliseconds; forward only (throws otherwise). */
    timeTravelToTimestamp(unixMs: number): EpochInfoValue;
  }
}
