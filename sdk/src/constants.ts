import { PublicKey } from '@solana/web3.js';
import { IDL } from './idl.js';

export { IDL } from './idl.js';
export type { DvpnIdl } from './idl.js';

export const DVPN_PROGRAM_ID = new PublicKey(IDL.address);
export const SYSTEM_PROGRAM_ID = new PublicKey('11111111111111111111111111111111');
// Classic SPL Token (the same id @solana/spl-token exports as TOKEN_PROGRAM_ID).
export const TOKEN_PROGRAM_ID = new PublicKey('TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA');

export enum SessionMode {
  Time = 0,
  Usage = 1,
}

export enum SessionState {
  Active = 0,
  Closing = 1,
  Closed = 2,
  Disputed = 3,
  Resolved = 4,
}

export enum StakeChangeKind {
  Stake = 0,
  RequestUnstake = 1,
  Withdraw = 2,
}

/** Time sessions carry no hash chain: root and claim preimages are 32 zero bytes. */
export const ZERO_HASH: Uint8Array = new Uint8Array(32);

/** Program limits mirrored for client-side validation. */
export const MAX_ENDPOINT_LEN = 64;
export const MAX_REGION_LEN = 16;
export const MAX_TICKS_PER_CLAIM = 512;
export const MAX_PROTOCOL_FEE_BPS = 1000;
export const BPS_DENOMINATOR = 10_000n;
/** Longest sessions the program accepts (SessionTooLong): time 366 days, usage 30 days, in minutes. */
export const MAX_TIME_SESSION_MINUTES = 366 * 24 * 60;
export const MAX_USAGE_SESSION_MINUTES = 30 * 24 * 60;
/** Config bounds (InvalidConfigValue): every window 1 s ..= 366 days; slash cap <= 2500 bps. */
export const MIN_CONFIG_WINDOW_SECONDS = 1n;
export const MAX_CONFIG_WINDOW_SECONDS = 366n * 86_400n;
export const MAX_SLASH_BPS_CAP = 2500;
