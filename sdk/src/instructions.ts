import type { IdlField, IdlInstruction, IdlInstructionAccount, IdlSeed, IdlType, IdlTypeDef } from '@coral-xyz/anchor/dist/cjs/idl.js';
import { PublicKey, TransactionInstruction, type AccountMeta } from '@solana/web3.js';
import { Buffer } from 'buffer';
import { DVPN_PROGRAM_ID, SessionMode, TOKEN_PROGRAM_ID, ZERO_HASH } from './constants.js';
import { BN, CAMEL_IDL, camel, instructionCoder } from './coder.js';
import type { Bytes32, IntLike, IxAccounts, IxArgs } from './contract.js';
import { findNodePda, findProviderPda, findSessionPda, findSessionVaultPda, findStakeVaultPda, u64Le } from './pda.js';


export type { Bytes32, IntLike } from './contract.js';

const IX_BY_NAME = new Map<string, IdlInstruction>(CAMEL_IDL.instructions.map((i) => [i.name, i]));
const TYPES: IdlTypeDef[] = CAMEL_IDL.types ?? [];

function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${what}: ${value} is not a safe integer`);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  if (BN.isBN(value)) return BigInt((value as { toString(): string }).toString());
  throw new TypeError(`${what}: expected an integer, got ${String(value)}`);
}

const INT_BITS: Record<string, [bits: number, signed: boolean]> = {
  u8: [8, false], u16: [16, false], u32: [32, false], u64: [64, false], u128: [128, false],
  i8: [8, true], i16: [16, true], i32: [32, true], i64: [64, true], i128: [128, true],
};

function checkedInt(value: unknown, type: string, what: string): bigint {
  const v = toBigInt(value, what);
  const [bits, signed] = INT_BITS[type];
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  // Borsh would silently wrap or throw a cryptic error; say which argument is wrong instead.
  if (v < min || v > max) throw new RangeError(`${what}: ${v} does not fit in ${type}`);
  return v;
}

function toPublicKey(value: unknown, what: string): PublicKey {
  if (value instanceof PublicKey) return value;
  if (typeof value === 'string' || value instanceof Uint8Array) return new PublicKey(value);
  if (value && typeof (value as { toBase58?: unknown }).toBase58 === 'function') {
    return new PublicKey((value as { toBase58(): string }).toBase58());
  }
  throw new TypeError(`${what}: expected a PublicKey, got ${String(value)}`);
}

/** Converts SDK-style values (bigint, Uint8Array, enum numbers) into what Anchor's Borsh layouts encode. */
function toCoderValue(type: IdlType, value: unknown, what: string): unknown {
  if (typeof type === 'string') {
    if (type in INT_BITS) {
      const v = checkedInt(value, type, what);
      return INT_BITS[type][0] > 32 ? new BN(v.toString()) : Number(v);
    }
    switch (type) {
      case 'bool':
        if (typeof value !== 'boolean') throw new TypeError(`${what}: expected a boolean`);
        return value;
      case 'string':
        if (typeof value !== 'string') throw new TypeError(`${what}: expected a string`);
        return value;
      case 'pubkey':
        return toPublicKey(value, what);
      case 'bytes':
        return Buffer.from(value as Uint8Array);
      default:
        throw new TypeError(`${what}: unsupported IDL type ${type}`);
    }
  }
  if ('option' in type) return value === undefined || value === null ? null : toCoderValue(type.option, value, what);
  if ('array' in type) {
    const [inner, len] = type.array;
    if (!(Array.isArray(value) || value instanceof Uint8Array) || value.length !== len) {
      // A short array would be encoded short (buffer-layout does not check): refuse it.
      throw new TypeError(`${what}: expected ${String(len)} elements`);
    }
    return Array.from(value as ArrayLike<unknown>, (v, i) => toCoderValue(inner, v, `${what}[${i}]`));
  }
  if ('vec' in type) {
    if (!(Array.isArray(value) || value instanceof Uint8Array)) throw new TypeError(`${what}: expected an array`);
    return Array.from(value as ArrayLike<unknown>, (v, i) => toCoderValue(type.vec, v, `${what}[${i}]`));
  }
  if ('defined' in type) {
    const def = TYPES.find((t) => t.name === type.defined.name);
    if (!def) throw new TypeError(`${what}: unknown type ${type.defined.name}`);
    if (def.type.kind === 'enum') {
      const variants = def.type.variants;
      let variant: string | undefined;
      if (typeof value === 'number') variant = variants[value]?.name;
      else if (typeof value === 'string') variant = variants.find((v) => v.name.toLowerCase() === value.toLowerCase())?.name;
      else if (value && typeof value === 'object') {
        const key = Object.keys(value)[0];
        variant = variants.find((v) => v.name.toLowerCase() === key?.toLowerCase())?.name;
      }
      if (!variant) throw new TypeError(`${what}: not a ${def.name} variant: ${String(value)}`);
      return { [variant]: {} };
    }
    if (def.type.kind === 'struct') {
      const obj = (value ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of (def.type.fields ?? []) as IdlField[]) out[f.name] = toCoderValue(f.type, obj[f.name], `${what}.${f.name}`);
      return out;
    }
  }
  throw new TypeError(`${what}: unsupported IDL type ${JSON.stringify(type)}`);
}

function seedBytes(
  seed: IdlSeed,
  ix: IdlInstruction,
  keys: Map<string, PublicKey>,
  args: Record<string, unknown>,
): Uint8Array | undefined {
  if (seed.kind === 'const') return Uint8Array.from(seed.value);
  if (seed.kind === 'account') return keys.get(seed.path)?.toBytes();
  const arg = ix.args.find((a) => a.name === seed.path);
  const value = args[seed.path];
  if (!arg || value === undefined || value === null) return undefined;
  if (arg.type === 'u64') return u64Le(toBigInt(value, seed.path));
  if (arg.type === 'pubkey') return toPublicKey(value, seed.path).toBytes();
  throw new TypeError(`seed arg ${seed.path}: unsupported type`);
}

function derive(
  acc: IdlInstructionAccount,
  ix: IdlInstruction,
  keys: Map<string, PublicKey>,
  args: Record<string, unknown>,
  programId: PublicKey,
): [PublicKey, number] | undefined {
  if (!acc.pda) return undefined;
  const seeds: Uint8Array[] = [];
  for (const s of acc.pda.seeds) {
    const b = seedBytes(s, ix, keys, args);
    if (!b) return undefined;
    seeds.push(b);
  }
  return PublicKey.findProgramAddressSync(seeds, programId);
}

const pick = (obj: Record<string, unknown>, name: string, snake: string) => (name in obj ? obj[name] : obj[snake]);
const snakeOf = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Builds any dvpn instruction from the IDL. `name`, `args` and `accounts` keys
 * may be camelCase or snake_case.
 * - Accounts: metas in IDL order with the IDL writable/signer flags. Accounts
 *   with an IDL `address` are filled in; PDA accounts are derived from their
 *   IDL seeds when not given; optional accounts that are absent or null become
 *   the program id (read-only), Anchor's "None". An optional account with an
 *   `address` (token_program) is filled only when another optional account of
 *   the instruction is given, so SOL sessions pass the program id for all of them.
 * - Args: every IDL arg; `<account>Bump` args are derived from that account's
 *   seeds when not given; options may be omitted (None).
 */
export function buildInstruction(
  name: string,
  args: Record<string, unknown>,
  accounts: Record<string, PublicKey | null | undefined>,
  programId: PublicKey = DVPN_PROGRAM_ID,
): TransactionInstruction {
  const ix = IX_BY_NAME.get(camel(name));
  if (!ix) throw new Error(`unknown dvpn instruction: ${name}`);
  const idlAccounts = ix.accounts as IdlInstructionAccount[];
  const argValues: Record<string, unknown> = {};
  for (const a of ix.args) {
    const v = pick(args, a.name, snakeOf(a.name));
    if (v !== undefined) argValues[a.name] = v;
  }

  const keys = new Map<string, PublicKey>();
  const given = (acc: IdlInstructionAccount) => {
    const v = pick(accounts as Record<string, unknown>, acc.name, snakeOf(acc.name));
    return v === undefined ? undefined : v === null ? null : toPublicKey(v, acc.name);
  };
  const anyOptionalGiven = idlAccounts.some((a) => a.optional && !a.address && given(a));
  const nulls = new Set<string>();
  for (const acc of idlAccounts) {
    const v = given(acc);
    if (v) keys.set(acc.name, v);
    else if (acc.optional && (v === null || !anyOptionalGiven)) nulls.add(acc.name);
    else if (acc.address) keys.set(acc.name, new PublicKey(acc.address));
  }
  // PDAs may depend on other PDAs (stake_vault <- provider): derive until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const acc of idlAccounts) {
      if (keys.has(acc.name) || nulls.has(acc.name)) continue;
      const d = derive(acc, ix, keys, argValues, programId);
      if (d) {
        keys.set(acc.name, d[0]);
        changed = true;
      }
    }
  }
  const metas: AccountMeta[] = idlAccounts.map((acc) => {
    if (nulls.has(acc.name)) return { pubkey: programId, isSigner: false, isWritable: false };
    const pubkey = keys.get(acc.name);
    if (!pubkey) throw new Error(`${ix.name}: missing account ${acc.name}`);
    return { pubkey, isSigner: !!acc.signer, isWritable: !!acc.writable };
  });

  const data: Record<string, unknown> = {};
  for (const a of ix.args) {
    let v = argValues[a.name];
    if (v === undefined && a.name.endsWith('Bump')) {
      const acc = idlAccounts.find((x) => x.name === a.name.slice(0, -'Bump'.length));
      if (acc) v = derive(acc, ix, keys, argValues, programId)?.[1];
    }
    if (v === undefined && !(typeof a.type === 'object' && 'option' in a.type)) {
      throw new Error(`${ix.name}: missing argument ${a.name}`);
    }
    data[a.name] = toCoderValue(a.type, v, `${ix.name}.${a.name}`);
  }
  return new TransactionInstruction({ programId, keys: metas, data: instructionCoder.encode(ix.name, data) });
}

// ---------------------------------------------------------------------------
// Typed builders. Every one takes an optional `programId` (default DVPN_PROGRAM_ID).

interface WithProgram {
  programId?: PublicKey;
}

// Builder inputs, derived from the IDL (./contract.ts): argument and account
// names and types follow the contract. Bumps are derived, never passed.

/** The Config values, in the order initialize_config and update_config take them. */
export type ConfigValues = IxArgs<'update_config'>;

export type InitializeConfigParams = Omit<IxArgs<'initialize_config'>, 'configBump'> &
  Pick<IxAccounts<'initialize_config'>, 'admin' | 'treasury' | 'tokenMint'> &
  WithProgram;

export type UpdateConfigParams = IxArgs<'update_config'> &
  Pick<IxAccounts<'update_config'>, 'admin' | 'newAdmin' | 'treasury' | 'tokenMint'> &
  WithProgram;

export type RegisterProviderParams = Pick<IxAccounts<'register_provider'>, 'authority'> & WithProgram;

/** pricePerTick(Token): usage sessions' price per hash-chain tick (0 or absent: none); wgServerPubkey: 32 raw bytes. */
export type RegisterNodeParams = Omit<IxArgs<'register_node'>, 'nodeBump' | 'pricePerTick' | 'pricePerTickToken'> &
  Partial<Pick<IxArgs<'register_node'>, 'pricePerTick' | 'pricePerTickToken'>> &
  Pick<IxAccounts<'register_node'>, 'authority'> &
  WithProgram;

/** Every field but the accounts is optional: only the given ones change. */
export type UpdateNodeParams = IxArgs<'update_node'> & Pick<IxAccounts<'update_node'>, 'authority' | 'node'> & WithProgram;

export type AcceptAdminParams = Pick<IxAccounts<'accept_admin'>, 'newAdmin'> & WithProgram;

/**
 * `provider` is the Provider PDA; `sessionId` the user's UserState.next_session_id
 * (fetchNextSessionId); `tickAmount` the unit price the user agreed to, which must
 * equal the node's current price (PriceMismatch otherwise): price_per_minute(_token)
 * for time sessions, price_per_tick(_token) for usage sessions. `hashChainRoot`:
 * usage sessions' w_0 (time: 32 zero bytes, the default).
 */
export type OpenSessionParams = Omit<
  IxArgs<'open_session'>,
  'sessionBump' | 'userStateBump' | 'maxTicks' | 'hashChainRoot'
> &
  Partial<Pick<IxArgs<'open_session'>, 'maxTicks' | 'hashChainRoot'>> &
  Pick<IxAccounts<'open_session'>, 'user' | 'provider' | 'node'> &
  WithProgram;

export type OpenSessionSplParams = OpenSessionParams & Pick<IxAccounts<'open_session_spl'>, 'tokenMint' | 'userToken'>;

/** Token accounts of a token (SPL) session; omit for SOL sessions. */
export type SplClaimAccounts = Pick<IxAccounts<'claim_chunk'>, 'vault' | 'providerToken' | 'treasuryToken'>;

export type SplSettleAccounts = SplClaimAccounts & Pick<IxAccounts<'close_session'>, 'userToken'>;

/** `preimage`: usage sessions' w_tick (time: ignored, 32 zero bytes by default). */
export type ClaimChunkParams = Pick<IxArgs<'claim_chunk'>, 'tick'> &
  Partial<Pick<IxArgs<'claim_chunk'>, 'preimage' | 'bytesUsed'>> &
  Pick<IxAccounts<'claim_chunk'>, 'authority' | 'provider' | 'session' | 'treasury'> &
  WithProgram & { spl?: SplClaimAccounts | null };

export type CloseSessionParams = Pick<
  IxAccounts<'close_session'>,
  'user' | 'provider' | 'node' | 'session' | 'providerAuthority' | 'treasury'
> &
  WithProgram & { spl?: SplSettleAccounts | null };

export type ClaimPayoutParams = Pick<
  IxAccounts<'claim_payout'>,
  'caller' | 'provider' | 'node' | 'session' | 'user' | 'providerAuthority' | 'treasury'
> &
  WithProgram & { spl?: SplSettleAccounts | null };

/** `node`: the session's node (its slot is freed when the dispute is raised). */
export type RaiseDisputeParams = IxArgs<'raise_dispute'> &
  Pick<IxAccounts<'raise_dispute'>, 'signer' | 'provider' | 'node' | 'session'> &
  WithProgram;

/** `stakeVault` is derived from `provider` when absent. */
export type ResolveDisputeParams = IxArgs<'resolve_dispute'> &
  Pick<IxAccounts<'resolve_dispute'>, 'admin' | 'provider' | 'node' | 'session' | 'user' | 'providerAuthority' | 'treasury'> &
  Partial<Pick<IxAccounts<'resolve_dispute'>, 'stakeVault'>> &
  WithProgram & { spl?: SplSettleAccounts | null };

export type UpdateReputationParams = IxArgs<'update_reputation'> &
  Pick<IxAccounts<'update_reputation'>, 'user' | 'provider' | 'session'> &
  WithProgram;

/** stake_provider and request_unstake take the same input. */
export type StakeParams = IxArgs<'stake_provider'> & Pick<IxAccounts<'stake_provider'>, 'authority'> & WithProgram;

export type WithdrawStakeParams = Pick<IxAccounts<'withdraw_stake'>, 'authority'> & WithProgram;

const pid = (p: WithProgram) => p.programId ?? DVPN_PROGRAM_ID;

function splAccounts(spl: Partial<SplSettleAccounts> | null | undefined, withUser: boolean) {
  // Missing optional accounts must still be listed (program id), so always name every one.
  if (!spl) return {};
  return {
    vault: spl.vault ?? null,
    ...(withUser ? { userToken: spl.userToken ?? null } : {}),
    providerToken: spl.providerToken ?? null,
    treasuryToken: spl.treasuryToken ?? null,
    tokenProgram: TOKEN_PROGRAM_ID,
  };
}

function sessionArgs(p: OpenSessionParams) {
  const [, sessionBump] = findSessionPda(p.node, p.user, toBigInt(p.sessionId, 'sessionId'), pid(p));
  return {
    sessionId: p.sessionId,
    mode: p.mode,
    durationMinutes: p.durationMinutes,
    tickAmount: p.tickAmount,
    maxTicks: p.maxTicks ?? 0n,
    hashChainRoot: p.hashChainRoot ?? ZERO_HASH,
    sessionBump,
  };
}

export const ix = {
  initializeConfig(p: InitializeConfigParams): TransactionInstruction {
    const { admin, treasury, tokenMint, programId, ...args } = p;
    return buildInstruction('initialize_config', args, { admin, treasury, tokenMint }, pid(p));
  },

  updateConfig(p: UpdateConfigParams): TransactionInstruction {
    const { admin, newAdmin, treasury, tokenMint, programId, ...args } = p;
    return buildInstruction('update_config', args, { admin, newAdmin, treasury, tokenMint }, pid(p));
  },

  acceptAdmin(p: AcceptAdminParams): TransactionInstruction {
    return buildInstruction('accept_admin', {}, { newAdmin: p.newAdmin }, pid(p));
  },

  registerProvider(p: RegisterProviderParams): TransactionInstruction {
    const [provider, providerBump] = findProviderPda(p.authority, pid(p));
    const [stakeVault, stakeVaultBump] = findStakeVaultPda(provider, pid(p));
    return buildInstruction(
      'register_provider',
      { providerBump, stakeVaultBump },
      { authority: p.authority, provider, stakeVault },
      pid(p),
    );
  },

  registerNode(p: RegisterNodeParams): TransactionInstruction {
    const { authority, programId, pricePerTick = 0n, pricePerTickToken = 0n, ...rest } = p;
    const args = { ...rest, pricePerTick, pricePerTickToken };
    const [provider] = findProviderPda(authority, pid(p));
    const [node, nodeBump] = findNodePda(provider, toBigInt(p.nodeId, 'nodeId'), pid(p));
    return buildInstruction('register_node', { ...args, nodeBump }, { authority, provider, node }, pid(p));
  },

  updateNode(p: UpdateNodeParams): TransactionInstruction {
    const { authority, node, programId, ...args } = p;
    const [provider] = findProviderPda(authority, pid(p));
    return buildInstruction('update_node', args, { authority, provider, node }, pid(p));
  },

  openSession(p: OpenSessionParams): TransactionInstruction {
    const [session] = findSessionPda(p.node, p.user, toBigInt(p.sessionId, 'sessionId'), pid(p));
    return buildInstruction(
      'open_session',
      sessionArgs(p),
      { user: p.user, provider: p.provider, node: p.node, session },
      pid(p),
    );
  },

  openSessionSpl(p: OpenSessionSplParams): TransactionInstruction {
    const [session] = findSessionPda(p.node, p.user, toBigInt(p.sessionId, 'sessionId'), pid(p));
    const [vault, vaultBump] = findSessionVaultPda(session, pid(p));
    return buildInstruction(
      'open_session_spl',
      { ...sessionArgs(p), vaultBump },
      { user: p.user, provider: p.provider, node: p.node, session, vault, tokenMint: p.tokenMint, userToken: p.userToken },
      pid(p),
    );
  },

  claimChunk(p: ClaimChunkParams): TransactionInstruction {
    return buildInstruction(
      'claim_chunk',
      { tick: p.tick, preimage: p.preimage ?? ZERO_HASH, bytesUsed: p.bytesUsed ?? 0n },
      {
        authority: p.authority,
        provider: p.provider,
        session: p.session,
        treasury: p.treasury,
        ...splAccounts(p.spl, false),
      },
      pid(p),
    );
  },

  closeSession(p: CloseSessionParams): TransactionInstruction {
    return buildInstruction(
      'close_session',
      {},
      {
        user: p.user,
        provider: p.provider,
        node: p.node,
        session: p.session,
        providerAuthority: p.providerAuthority,
        treasury: p.treasury,
        ...splAccounts(p.spl, true),
      },
      pid(p),
    );
  },

  claimPayout(p: ClaimPayoutParams): TransactionInstruction {
    return buildInstruction(
      'claim_payout',
      {},
      {
        caller: p.caller,
        provider: p.provider,
        node: p.node,
        session: p.session,
        user: p.user,
        providerAuthority: p.providerAuthority,
        treasury: p.treasury,
        ...splAccounts(p.spl, true),
      },
      pid(p),
    );
  },

  raiseDispute(p: RaiseDisputeParams): TransactionInstruction {
    return buildInstruction(
      'raise_dispute',
      { reason: p.reason },
      { signer: p.signer, provider: p.provider, node: p.node, session: p.session },
      pid(p),
    );
  },

  resolveDispute(p: ResolveDisputeParams): TransactionInstruction {
    const stakeVault = p.stakeVault ?? findStakeVaultPda(p.provider, pid(p))[0];
    return buildInstruction(
      'resolve_dispute',
      { providerAmount: p.providerAmount, slashLamports: p.slashLamports },
      {
        admin: p.admin,
        provider: p.provider,
        node: p.node,
        session: p.session,
        stakeVault,
        user: p.user,
        providerAuthority: p.providerAuthority,
        treasury: p.treasury,
        ...splAccounts(p.spl, true),
      },
      pid(p),
    );
  },

  updateReputation(p: UpdateReputationParams): TransactionInstruction {
    return buildInstruction(
      'update_reputation',
      { rating: p.rating },
      { user: p.user, provider: p.provider, session: p.session },
      pid(p),
    );
  },

  stakeProvider(p: StakeParams): TransactionInstruction {
    const [provider] = findProviderPda(p.authority, pid(p));
    const [stakeVault] = findStakeVaultPda(provider, pid(p));
    return buildInstruction('stake_provider', { amount: p.amount }, { authority: p.authority, provider, stakeVault }, pid(p));
  },

  requestUnstake(p: StakeParams): TransactionInstruction {
    const [provider] = findProviderPda(p.authority, pid(p));
    return buildInstruction('request_unstake', { amount: p.amount }, { authority: p.authority, provider }, pid(p));
  },

  withdrawStake(p: WithdrawStakeParams): TransactionInstruction {
    const [provider] = findProviderPda(p.authority, pid(p));
    const [stakeVault] = findStakeVaultPda(provider, pid(p));
    return buildInstruction('withdraw_stake', {}, { authority: p.authority, provider, stakeVault }, pid(p));
  },
};

/** camelCase names of every dvpn instruction, in IDL order. */
export const INSTRUCTION_NAMES: string[] = CAMEL_IDL.instructions.map((i) => i.name);
