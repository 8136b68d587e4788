import type { Commitment, Connection, GetProgramAccountsFilter, PublicKey } from '@solana/web3.js';
import bs58 from 'bs58';
import { Buffer } from 'buffer';
import { DVPN_PROGRAM_ID } from './constants.js';
import { accountsCoder, CAMEL_IDL } from './coder.js';
import { fromStruct, typeDef, type Decoded } from './decode.js';
import { findConfigPda, findUserStatePda } from './pda.js';

import type { AccountName } from './contract.js';

export type { AccountName };

export type ConfigAccount = Decoded<'Config'>;
export type ProviderAccount = Decoded<'Provider'>;
/** endpoint and region are stored zero-padded; decoded as strings. */
export type NodeAccount = Omit<Decoded<'Node'>, 'endpoint' | 'region'> & { endpoint: string; region: string };
export type SessionAccount = Decoded<'Session'>;
export type StakeVaultAccount = Decoded<'StakeVault'>;
export type UserStateAccount = Decoded<'UserState'>;

export interface AccountTypes {
  Config: ConfigAccount;
  Provider: ProviderAccount;
  Node: NodeAccount;
  Session: SessionAccount;
  StakeVault: StakeVaultAccount;
  UserState: UserStateAccount;
}

export type DecodedAccount = { [N in AccountName]: { name: N; account: AccountTypes[N] } }[AccountName];

/** Account sizes including the 8-byte discriminator (the program's #[repr(C)] structs). */
export const ACCOUNT_SIZES = { Config: 200, Provider: 160, Node: 232, Session: 432, StakeVault: 48, UserState: 56 } as const;

/** 8-byte account discriminators (sha256("account:<Name>")[..8]), e.g. for getProgramAccounts memcmp filters. */
export const ACCOUNT_DISCRIMINATORS: Record<AccountName, Uint8Array> = Object.fromEntries(
  (CAMEL_IDL.accounts ?? []).map((a) => [a.name, Uint8Array.from(a.discriminator)]),
) as Record<AccountName, Uint8Array>;

const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

const utf8Decoder = new TextDecoder();
/** Zero-padded UTF-8 byte field -> string (up to the first NUL). */
export function paddedString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8Decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

function decodeAs<N extends AccountName>(name: N, data: Uint8Array): AccountTypes[N] {
  const buf = asBuffer(data);
  if (buf.length < ACCOUNT_SIZES[name]) {
    throw new Error(`${name} account data is ${buf.length} bytes, expected ${ACCOUNT_SIZES[name]}`);
  }
  // decode() checks the discriminator and throws "Invalid account discriminator".
  const raw = accountsCoder.decode(name, buf) as Record<string, unknown>;
  const out = fromStruct(typeDef(name), raw);
  if (name === 'Node') {
    out.endpoint = paddedString(out.endpoint as Uint8Array);
    out.region = paddedString(out.region as Uint8Array);
  }
  return out as AccountTypes[N];
}

export const decodeConfig = (data: Uint8Array): ConfigAccount => decodeAs('Config', data);
export const decodeProvider = (data: Uint8Array): ProviderAccount => decodeAs('Provider', data);
export const decodeNode = (data: Uint8Array): NodeAccount => decodeAs('Node', data);
export const decodeSession = (data: Uint8Array): SessionAccount => decodeAs('Session', data);
export const decodeStakeVault = (data: Uint8Array): StakeVaultAccount => decodeAs('StakeVault', data);
export const decodeUserState = (data: Uint8Array): UserStateAccount => decodeAs('UserState', data);

/** Which dvpn account this is, by its discriminator (undefined for anything else). */
export function accountNameOf(data: Uint8Array): AccountName | undefined {
  for (const [name, disc] of Object.entries(ACCOUNT_DISCRIMINATORS)) {
    if (data.length >= 8 && disc.every((b, i) => data[i] === b)) return name as AccountName;
  }
  return undefined;
}

export function decodeAccount(data: Uint8Array): DecodedAccount {
  const name = accountNameOf(data);
  if (!name) throw new Error('not a dvpn account: unknown discriminator');
  return { name, account: decodeAs(name, data) } as DecodedAccount;
}

export interface FetchOptions {
  commitment?: Commitment;
  programId?: PublicKey;
}

async function fetchAs<N extends AccountName>(
  name: N,
  connection: Connection,
  address: PublicKey,
  opts: FetchOptions = {},
): Promise<AccountTypes[N] | null> {
  const info = await connection.getAccountInfo(address, opts.commitment);
  if (!info || info.data.length === 0) return null;
  const programId = opts.programId ?? DVPN_PROGRAM_ID;
  if (!info.owner.equals(programId)) {
    throw new Error(`${address.toBase58()} is owned by ${info.owner.toBase58()}, not the dvpn program`);
  }
  return decodeAs(name, info.data);
}

export async function fetchConfig(connection: Connection, opts: FetchOptions = {}): Promise<ConfigAccount | null> {
  return fetchAs('Config', connection, findConfigPda(opts.programId ?? DVPN_PROGRAM_ID)[0], opts);
}
export const fetchProvider = (c: Connection, address: PublicKey, opts?: FetchOptions) => fetchAs('Provider', c, address, opts);
export const fetchNode = (c: Connection, address: PublicKey, opts?: FetchOptions) => fetchAs('Node', c, address, opts);
export const fetchSession = (c: Connection, address: PublicKey, opts?: FetchOptions) => fetchAs('Session', c, address, opts);
export const fetchStakeVault = (c: Connection, address: PublicKey, opts?: FetchOptions) => fetchAs('StakeVault', c, address, opts);
export const fetchUserState = (c: Connection, address: PublicKey, opts?: FetchOptions) => fetchAs('UserState', c, address, opts);

/**
 * The session_id the user's next open_session must pass: its UserState's
 * next_session_id, 0 before the user's first session. Only the user's own
 * opens move it, so nobody else can invalidate an open being built.
 */
export async function fetchNextSessionId(connection: Connection, user: PublicKey, opts: FetchOptions = {}): Promise<bigint> {
  const [address] = findUserStatePda(user, opts.programId ?? DVPN_PROGRAM_ID);
  const state = await fetchUserState(connection, address, opts);
  return state ? state.nextSessionId : 0n;
}

/** Byte offsets of pubkey fields useful in getProgramAccounts memcmp filters. */
export const ACCOUNT_OFFSETS = {
  Node: { provider: 8 },
  Session: { user: 8, node: 40, provider: 72 },
  Provider: { authority: 8 },
  StakeVault: { provider: 8 },
} as const;

/** memcmp filter matching a pubkey at `offset` (see ACCOUNT_OFFSETS). */
export function pubkeyFilter(offset: number, key: PublicKey): GetProgramAccountsFilter {
  return { memcmp: { offset, bytes: key.toBase58() } };
}

/** Every account of one type (discriminator + size filtered), plus optional extra filters. */
export async function fetchAll<N extends AccountName>(
  connection: Connection,
  name: N,
  opts: FetchOptions & { filters?: GetProgramAccountsFilter[] } = {},
): Promise<{ address: PublicKey; account: AccountTypes[N] }[]> {
  const filters: GetProgramAccountsFilter[] = [
    { dataSize: ACCOUNT_SIZES[name] },
    { memcmp: { offset: 0, bytes: bs58.encode(ACCOUNT_DISCRIMINATORS[name]) } },
    ...(opts.filters ?? []),
  ];
  const rows = await connection.getProgramAccounts(opts.programId ?? DVPN_PROGRAM_ID, {
    commitment: opts.commitment,
    filters,
  });
  return rows.map((r) => ({ address: r.pubkey, account: decodeAs(name, r.account.data) }));
}
