#!/usr/bin/env node
// The wire contract's one source: the compact description below (instructions,
// accounts, events, errors). Pinocchio has no macro that emits an IDL, so this
// file is where the wire format is written down, and everything that restates
// it is generated from here:
//   idl/dvpn.json                            the Anchor IDL (spec 0.1.0)
//   sdk/src/idl.ts                           the same as a TypeScript literal type and value
//   programs/dvpn/src/generated.rs           discriminators, dispatch table, errors, PDA seeds, Config address
//   programs/dvpn/src/processor/mod.rs       one module per instruction
// tests/program/idl.test.ts proves the built program against the JSON.
//   node scripts/gen-idl.mjs          write them
//   node scripts/gen-idl.mjs --check  fail if any is stale (make test)
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PublicKey } from '@solana/web3.js';

export const PROGRAM_ID = 'BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD';
const SYSTEM = '11111111111111111111111111111111';
const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

const disc = (prefix, name) => [...createHash('sha256').update(`${prefix}:${name}`).digest().subarray(0, 8)];
const bytes = (s) => [...Buffer.from(s)];

// Account metas: w = writable, s = signer, o = optional (pass the program id for "none").
const acc = (name, flags = '', extra = {}) => ({
  name,
  ...(flags.includes('w') ? { writable: true } : {}),
  ...(flags.includes('s') ? { signer: true } : {}),
  ...(flags.includes('o') ? { optional: true } : {}),
  ...extra,
});
const seeds = (...s) => ({ pda: { seeds: s } });
const c = (s) => ({ kind: 'const', value: bytes(s) });
const a = (path) => ({ kind: 'account', path });
const g = (path) => ({ kind: 'arg', path });
const arg = (name, type) => ({ name, type });
const opt = (type) => ({ option: type });
const arr = (type, n) => ({ array: [type, n] });
const def = (name) => ({ defined: { name } });

// Every PDA of the program and its seeds, once: the IDL's account metas, the
// program's seed constants (generated.rs `seed`) and the SDK's derivations
// (sdk/src/pda.ts reads the IDL) all take them from here.
const PDAS = {
  config: [c('config')],
  provider: [c('provider'), a('authority')],
  stake_vault: [c('stake'), a('provider')],
  node: [c('node'), a('provider'), g('node_id')],
  session: [c('session'), a('node'), a('user'), g('session_id')],
  vault: [c('vault'), a('session')],
  user_state: [c('user'), a('user')],
};
const pda = (name) => seeds(...PDAS[name]);

const system = acc('system_program', '', { address: SYSTEM });
const config = acc('config', '', pda('config'));
const userState = acc('user_state', 'w', pda('user_state'));
// Token accounts of an SPL (USDC) session; a SOL session passes none of them.
const splTail = (...names) => [
  ...names.map((n) => acc(n, 'wo')),
  acc('token_program', 'o', { address: TOKEN }),
];

// Config values, in the order initialize_config and update_config take them.
const configArgs = [arg('protocol_fee_bps', 'u16'), arg('min_provider_stake', 'u64'), arg('unbonding_seconds', 'i64'),
  arg('settle_window_seconds', 'i64'), arg('dispute_window_seconds', 'i64'), arg('idle_timeout_seconds', 'i64'),
  arg('min_rating_lamports', 'u64'), arg('min_rating_token', 'u64'), arg('max_slash_bps', 'u16')];

const instructions = [
  {
    name: 'initialize_config',
    docs: ['Creates the one Config, at the canonical PDA of "config" only (any other address or bump is InvalidConfig).',
      'The first caller becomes the admin (dispute resolver); deploy and initialize in one step.'],
    accounts: [acc('admin', 'ws'), acc('config', 'w', pda('config')), acc('treasury'), acc('token_mint'), system],
    args: [...configArgs, arg('config_bump', 'u8')],
  },
  {
    name: 'update_config',
    docs: ['Admin only: replaces every Config value within its bounds (docs/PROGRAM.md). Values apply to sessions opened later;',
      'open sessions keep the fee and windows they were opened under. new_admin != admin proposes a transfer that',
      'new_admin completes with accept_admin; new_admin == admin cancels a pending proposal.'],
    accounts: [acc('admin', 's'), acc('config', 'w', pda('config')), acc('new_admin'), acc('treasury'), acc('token_mint')],
    args: configArgs,
  },
  {
    name: 'accept_admin',
    docs: ['The proposed admin (Config.pending_admin) signs to become the admin.'],
    accounts: [acc('new_admin', 's'), acc('config', 'w', pda('config'))],
    args: [],
  },
  {
    name: 'register_provider',
    docs: ['Creates the Provider and its StakeVault for the signing authority.'],
    accounts: [acc('authority', 'ws'), acc('provider', 'w', pda('provider')),
      acc('stake_vault', 'w', pda('stake_vault')), system],
    args: [arg('provider_bump', 'u8'), arg('stake_vault_bump', 'u8')],
  },
  {
    name: 'register_node',
    docs: ['Creates a Node; node_id must equal the provider\'s node_count and the provider must hold Config.min_provider_stake',
      '(InsufficientStake). Time sessions pay price_per_minute(_token), usage sessions price_per_tick(_token) per hash-chain tick;',
      'a zero price disables that kind of session.'],
    accounts: [acc('authority', 'ws'), config, acc('provider', 'w', pda('provider')),
      acc('node', 'w', pda('node')), system],
    args: [arg('node_id', 'u64'), arg('endpoint', 'string'), arg('region', 'string'), arg('price_per_minute', 'u64'),
      arg('price_per_minute_token', 'u64'), arg('wg_server_pubkey', arr('u8', 32)), arg('max_capacity', 'u32'),
      arg('node_bump', 'u8'), arg('price_per_tick', 'u64'), arg('price_per_tick_token', 'u64')],
  },
  {
    name: 'update_node',
    docs: ['Provider authority only: changes the given fields of a Node.'],
    accounts: [acc('authority', 's'), acc('provider', '', pda('provider')), acc('node', 'w')],
    args: [arg('price_per_minute', opt('u64')), arg('price_per_minute_token', opt('u64')), arg('max_capacity', opt('u32')),
      arg('endpoint', opt('string')), arg('region', opt('string')), arg('wg_server_pubkey', opt(arr('u8', 32))),
      arg('is_active', opt('bool')), arg('price_per_tick', opt('u64')), arg('price_per_tick_token', opt('u64'))],
  },
  {
    name: 'open_session',
    docs: ['Opens a session paid in SOL; the escrow sits in the Session account. session_id must equal the user\'s',
      'UserState.next_session_id (0 before the first session; InvalidSessionId), so a session address never repeats;',
      'the UserState is created (paid by the user) on the first open.',
      'tick_amount is the unit price the user agreed to and must equal the node\'s (PriceMismatch).',
      'Time: escrow = price_per_minute x duration_minutes (at most 366 days).',
      'Usage: tick_amount must equal the node\'s price_per_tick (PriceMismatch), escrow = tick_amount x max_ticks,',
      'duration_minutes (at most 30 days) is the maximum duration. The Config fee and windows become the session\'s terms.'],
    accounts: [acc('user', 'ws'), config, acc('provider', 'w'), acc('node', 'w'),
      acc('session', 'w', pda('session')), userState, system],
    args: [arg('session_id', 'u64'), arg('mode', def('SessionMode')), arg('duration_minutes', 'u32'), arg('tick_amount', 'u64'),
      arg('max_ticks', 'u64'), arg('hash_chain_root', arr('u8', 32)), arg('session_bump', 'u8'), arg('user_state_bump', 'u8')],
  },
  {
    name: 'open_session_spl',
    docs: ['Opens a session paid in the Config token mint (USDC); the escrow sits in a token vault owned by the Session.'],
    accounts: [acc('user', 'ws'), config, acc('provider', 'w'), acc('node', 'w'),
      acc('session', 'w', pda('session')),
      acc('vault', 'w', pda('vault')), acc('token_mint'), acc('user_token', 'w'),
      acc('token_program', '', { address: TOKEN }), userState, system],
    args: [arg('session_id', 'u64'), arg('mode', def('SessionMode')), arg('duration_minutes', 'u32'), arg('tick_amount', 'u64'),
      arg('max_ticks', 'u64'), arg('hash_chain_root', arr('u8', 32)), arg('session_bump', 'u8'), arg('vault_bump', 'u8'),
      arg('user_state_bump', 'u8')],
  },
  {
    name: 'claim_chunk',
    docs: ['Provider authority claims earned escrow. Time: tick = seconds since start claimed through (<= elapsed).',
      'Usage: tick = hash-chain index; sha256^(tick - last_tick)(preimage) must equal last_proof_hash.'],
    accounts: [acc('authority', 'ws'), config, acc('provider', 'w'), acc('session', 'w'), acc('treasury', 'w'),
      ...splTail('vault', 'provider_token', 'treasury_token')],
    args: [arg('tick', 'u64'), arg('preimage', arr('u8', 32)), arg('bytes_used', 'u64')],
  },
  {
    name: 'close_session',
    docs: ['The user ends a session. Time: pays elapsed time, refunds the rest, state Closed.',
      'Usage: state Closing; the provider may claim for settle_window_seconds, then claim_payout refunds the rest.',
      'The provider authority may also sign (as `user`) to evict a usage session that paid no tick on chain for the',
      'session\'s idle_timeout_seconds (SessionNotIdle before that).'],
    accounts: [acc('user', 'ws'), config, acc('provider', 'w'), acc('node', 'w'), acc('session', 'w'),
      acc('provider_authority', 'w'), acc('treasury', 'w'), ...splTail('vault', 'user_token', 'provider_token', 'treasury_token')],
    args: [],
  },
  {
    name: 'claim_payout',
    docs: ['Settles and closes a session: pays what was earned, refunds the rest, frees the node slot, returns rent to the user.',
      'Anyone may call it after end (or close) + settle_window_seconds; the user may close an already settled (Closed/Resolved) session at once.',
      'A dispute nobody resolved within dispute_window_seconds is settled here by the default rule: the provider keeps what it',
      'claimed plus, for time sessions, the time elapsed until the dispute; the rest goes back to the user; no slash.',
      'Token vault: every unit in it is paid out (donations go to the user) before it is closed.'],
    accounts: [acc('caller', 's'), config, acc('provider', 'w'), acc('node', 'w'), acc('session', 'w'), acc('user', 'w'),
      acc('provider_authority', 'w'), acc('treasury', 'w'), ...splTail('vault', 'user_token', 'provider_token', 'treasury_token')],
    args: [],
  },
  {
    name: 'raise_dispute',
    docs: ['The session user or the provider authority freezes the escrow until the admin resolves it or',
      'dispute_window_seconds pass (then claim_payout settles it). Only before the settle deadline (DisputeTooLate).',
      'The node slot is freed at once (a disputed session gets no more service). While disputes are open the provider',
      'cannot withdraw the stake they could slash: each locks max_slash_bps of the stake at this moment (dispute_lock).'],
    accounts: [acc('signer', 's'), config, acc('provider', 'w'), acc('node', 'w'), acc('session', 'w')],
    args: [arg('reason', 'u8')],
  },
  {
    name: 'resolve_dispute',
    docs: ['Admin only: provider_amount of the remaining escrow goes to the provider (less the fee), the rest to the user;',
      'slash_lamports of provider stake go to the treasury, at most the dispute_lock set when it was raised (SlashExceedsCap).'],
    accounts: [acc('admin', 's'), config, acc('provider', 'w'), acc('node', 'w'), acc('session', 'w'), acc('stake_vault', 'w'),
      acc('user', 'w'), acc('provider_authority', 'w'), acc('treasury', 'w'),
      ...splTail('vault', 'user_token', 'provider_token', 'treasury_token')],
    args: [arg('provider_amount', 'u64'), arg('slash_lamports', 'u64')],
  },
  {
    name: 'update_reputation',
    docs: ['The session user rates an ended session once (1..5), never its own provider (SelfRating). Only sessions that paid',
      'the provider at least Config.min_rating_lamports (SOL) / min_rating_token count (RatingNotEarned); a rating weighs',
      'as many minimum payments as the session paid, at most 100.'],
    accounts: [acc('user', 's'), config, acc('provider', 'w'), acc('session', 'w')],
    args: [arg('rating', 'u8')],
  },
  {
    name: 'stake_provider',
    docs: ['Moves lamports from the authority into the provider stake vault.'],
    accounts: [acc('authority', 'ws'), acc('provider', 'w', pda('provider')),
      acc('stake_vault', 'w', pda('stake_vault')), system],
    args: [arg('amount', 'u64')],
  },
  {
    name: 'request_unstake',
    docs: ['Starts unbonding: amount leaves the active stake and becomes withdrawable after unbonding_seconds.',
      'Unbonding stake stays slashable until it is withdrawn.'],
    accounts: [acc('authority', 's'), config, acc('provider', 'w', pda('provider'))],
    args: [arg('amount', 'u64')],
  },
  {
    name: 'withdraw_stake',
    docs: ['After unbonding, sends the unstaking lamports back to the authority. While disputes are open it keeps back what',
      'they could slash (Provider.locked_lamports beyond the active stake) and pays the rest (StakeLockedByDispute if nothing).'],
    accounts: [acc('authority', 'ws'), acc('provider', 'w', pda('provider')),
      acc('stake_vault', 'w', pda('stake_vault'))],
    args: [],
  },
];

const struct = (name, fields, docs) => ({ name, ...(docs ? { docs } : {}), type: { kind: 'struct', fields: fields.map(([n, t]) => ({ name: n, type: t })) } });
const enm = (name, variants) => ({ name, type: { kind: 'enum', variants: variants.map((v) => ({ name: v })) } });
const P = 'pubkey';

// Field order keeps every integer naturally aligned (the program reads the
// accounts in place as #[repr(C)] structs); `padding` rounds each to 8 bytes.
const accountTypes = [
  struct('Config', [['admin', P], ['treasury', P], ['token_mint', P], ['pending_admin', P], ['min_provider_stake', 'u64'],
    ['unbonding_seconds', 'i64'], ['settle_window_seconds', 'i64'], ['dispute_window_seconds', 'i64'],
    ['idle_timeout_seconds', 'i64'], ['min_rating_lamports', 'u64'], ['min_rating_token', 'u64'],
    ['protocol_fee_bps', 'u16'], ['max_slash_bps', 'u16'], ['bump', 'u8'], ['padding', arr('u8', 3)]],
  ['pending_admin is the default pubkey unless an admin transfer is proposed.']),
  struct('Provider', [['authority', P], ['node_count', 'u64'], ['stake_lamports', 'u64'], ['unstaking_lamports', 'u64'],
    ['unstake_at', 'i64'], ['slashed_lamports', 'u64'], ['rating_sum', 'u64'], ['total_uptime_seconds', 'u64'],
    ['total_sessions', 'u64'], ['total_earned_lamports', 'u64'], ['total_earned_token', 'u64'], ['registered_at', 'i64'],
    ['rating_count', 'u32'], ['reputation_score', 'u16'], ['bump', 'u8'], ['stake_vault_bump', 'u8'],
    ['rating_weight', 'u64'], ['open_disputes', 'u32'], ['padding', arr('u8', 4)], ['locked_lamports', 'u64']],
  ['reputation_score is the weighted average rating scaled to 0..2000 (1 star = 0, 5 stars = 2000); 1000 until the first rating.',
    'rating_sum is the sum of rating x weight, rating_weight the sum of weights.',
    'locked_lamports: what the open disputes may still slash (each locks max_slash_bps of the stake when raised);',
    'withdraw_stake keeps it back.']),
  struct('Node', [['provider', P], ['wg_server_pubkey', arr('u8', 32)], ['endpoint', arr('u8', 64)], ['region', arr('u8', 16)],
    ['node_id', 'u64'], ['price_per_minute', 'u64'], ['price_per_minute_token', 'u64'], ['total_uptime_seconds', 'u64'],
    ['total_sessions', 'u64'], ['created_at', 'i64'], ['max_capacity', 'u32'], ['active_sessions', 'u32'],
    ['is_active', 'bool'], ['bump', 'u8'], ['padding', arr('u8', 6)], ['price_per_tick', 'u64'], ['price_per_tick_token', 'u64']],
  ['endpoint and region are UTF-8, zero-padded.']),
  struct('Session', [['user', P], ['node', P], ['provider', P], ['payment_mint', P], ['vault', P], ['disputed_by', P],
    ['hash_chain_root', arr('u8', 32)], ['last_proof_hash', arr('u8', 32)], ['session_id', 'u64'], ['start_ts', 'i64'],
    ['end_ts', 'i64'], ['closed_at', 'i64'], ['dispute_ts', 'i64'], ['escrow_amount', 'u64'], ['remaining_balance', 'u64'],
    ['claimed_amount', 'u64'], ['fee_amount', 'u64'], ['refunded_amount', 'u64'], ['bytes_used', 'u64'], ['last_tick', 'u64'],
    ['tick_amount', 'u64'], ['max_ticks', 'u64'], ['mode', def('SessionMode')], ['state', def('SessionState')],
    ['dispute_reason', 'u8'], ['rated', 'bool'], ['capacity_released', 'bool'], ['bump', 'u8'], ['vault_bump', 'u8'],
    ['padding', arr('u8', 1)], ['settle_window_seconds', 'i64'], ['dispute_window_seconds', 'i64'],
    ['idle_timeout_seconds', 'i64'], ['last_activity_ts', 'i64'], ['protocol_fee_bps', 'u16'], ['padding2', arr('u8', 6)],
    ['dispute_lock', 'u64']],
  ['payment_mint and vault are the default pubkey for SOL sessions.',
    'claimed_amount counts everything paid for service (provider + fee); escrow = claimed + refunded + remaining.',
    'protocol_fee_bps and the *_seconds windows are the Config terms in force when the session opened.',
    'dispute_lock: the most its dispute may slash, max_slash_bps of the provider stake when the dispute was raised.']),
  struct('StakeVault', [['provider', P], ['bump', 'u8'], ['padding', arr('u8', 7)]]),
  struct('UserState', [['user', P], ['next_session_id', 'u64'], ['bump', 'u8'], ['padding', arr('u8', 7)]],
    ['One per user wallet: the session_id its next session must use. Only the user\'s own opens move it.']),
];

// Event fields: addresses and 64-bit values first, narrow fields and strings
// last, so the program writes the wide ones as aligned 8-byte words (upstream
// BPF copies unaligned data byte by byte, which doubled some instructions' CU).
const eventTypes = [
  struct('ConfigUpdated', [['admin', P], ['treasury', P], ['token_mint', P], ['min_provider_stake', 'u64'],
    ['unbonding_seconds', 'i64'], ['settle_window_seconds', 'i64'], ['timestamp', 'i64'], ['protocol_fee_bps', 'u16'],
    ['pending_admin', P], ['dispute_window_seconds', 'i64'], ['idle_timeout_seconds', 'i64'], ['min_rating_lamports', 'u64'],
    ['min_rating_token', 'u64'], ['max_slash_bps', 'u16']]),
  struct('ProviderRegistered', [['provider', P], ['authority', P], ['stake_vault', P], ['timestamp', 'i64']]),
  struct('NodeRegistered', [['node', P], ['provider', P], ['wg_server_pubkey', arr('u8', 32)], ['node_id', 'u64'],
    ['price_per_minute', 'u64'], ['price_per_minute_token', 'u64'], ['timestamp', 'i64'], ['max_capacity', 'u32'],
    ['endpoint', 'string'], ['region', 'string'], ['price_per_tick', 'u64'], ['price_per_tick_token', 'u64']]),
  struct('NodeUpdated', [['node', P], ['provider', P], ['wg_server_pubkey', arr('u8', 32)], ['price_per_minute', 'u64'],
    ['price_per_minute_token', 'u64'], ['timestamp', 'i64'], ['max_capacity', 'u32'], ['active_sessions', 'u32'],
    ['is_active', 'bool'], ['endpoint', 'string'], ['region', 'string'], ['price_per_tick', 'u64'],
    ['price_per_tick_token', 'u64']]),
  struct('SessionOpened', [['session', P], ['user', P], ['node', P], ['provider', P], ['payment_mint', P],
    ['hash_chain_root', arr('u8', 32)], ['session_id', 'u64'], ['escrow_amount', 'u64'], ['tick_amount', 'u64'],
    ['max_ticks', 'u64'], ['start_ts', 'i64'], ['end_ts', 'i64'], ['timestamp', 'i64'], ['node_active_sessions', 'u32'],
    ['mode', def('SessionMode')]]),
  struct('ChunkClaimed', [['session', P], ['node', P], ['provider', P], ['payment_mint', P], ['tick', 'u64'], ['amount', 'u64'],
    ['provider_amount', 'u64'], ['fee', 'u64'], ['claimed_amount', 'u64'], ['remaining_balance', 'u64'], ['bytes_used', 'u64'],
    ['timestamp', 'i64']]),
  struct('SessionClosed', [['session', P], ['user', P], ['node', P], ['provider', P], ['payment_mint', P],
    ['provider_amount', 'u64'], ['fee', 'u64'], ['refund', 'u64'], ['remaining_balance', 'u64'], ['timestamp', 'i64'],
    ['node_active_sessions', 'u32'], ['state', def('SessionState')]]),
  struct('PayoutClaimed', [['session', P], ['user', P], ['node', P], ['provider', P], ['payment_mint', P], ['caller', P],
    ['provider_amount', 'u64'], ['fee', 'u64'], ['refund', 'u64'], ['claimed_amount', 'u64'], ['refunded_amount', 'u64'],
    ['timestamp', 'i64'], ['node_active_sessions', 'u32'], ['swept', 'u64']],
  ['swept: token units found in the vault beyond the escrow (donations), sent to the user with the refund.']),
  struct('DisputeRaised', [['session', P], ['node', P], ['provider', P], ['raised_by', P], ['timestamp', 'i64'], ['reason', 'u8'],
    ['node_active_sessions', 'u32']]),
  struct('DisputeResolved', [['session', P], ['node', P], ['provider', P], ['payment_mint', P], ['resolver', P],
    ['provider_amount', 'u64'], ['fee', 'u64'], ['refund', 'u64'], ['slashed', 'u64'], ['timestamp', 'i64'],
    ['node_active_sessions', 'u32']]),
  struct('ReputationUpdated', [['provider', P], ['session', P], ['user', P], ['timestamp', 'i64'], ['rating_count', 'u32'],
    ['reputation_score', 'u16'], ['rating', 'u8']]),
  struct('StakeChanged', [['provider', P], ['authority', P], ['amount', 'u64'], ['stake_lamports', 'u64'],
    ['unstaking_lamports', 'u64'], ['unstake_at', 'i64'], ['timestamp', 'i64'], ['kind', def('StakeChangeKind')]]),
  struct('Slashed', [['provider', P], ['session', P], ['amount', 'u64'], ['stake_lamports', 'u64'], ['unstaking_lamports', 'u64'],
    ['timestamp', 'i64']]),
];

const enums = [
  enm('SessionMode', ['Time', 'Usage']),
  enm('SessionState', ['Active', 'Closing', 'Closed', 'Disputed', 'Resolved']),
  enm('StakeChangeKind', ['Stake', 'RequestUnstake', 'Withdraw']),
];

// Codes from 6000 in this order (generated.rs, the IDL and the SDK take them from here).
// Append only: a code is what deployed clients read, so never reorder or remove one.
export const ERRORS = [
  ['InvalidInstruction', 'Unknown instruction or malformed instruction data'],
  ['NotEnoughAccounts', 'Not enough accounts for this instruction'],
  ['MissingSignature', 'A required signer did not sign'],
  ['AccountNotWritable', 'An account that must be writable is read-only'],
  ['InvalidAccountOwner', 'Account is not owned by the expected program'],
  ['InvalidAccountData', 'Account data has the wrong type or size'],
  ['InvalidPda', 'Account does not match its seeds or the accounts it belongs to'],
  ['Unauthorized', 'Signer is not the authority for this account'],
  ['AlreadyInitialized', 'Account already exists'],
  ['InvalidProgram', 'System or token program account is wrong'],
  ['InvalidMint', 'Token mint does not match the configured payment mint'],
  ['InvalidTokenAccount', 'Token account has the wrong mint or owner'],
  ['InvalidTreasury', 'Treasury account does not match the config'],
  ['FeeTooHigh', 'Protocol fee is above the 10% cap'],
  ['InvalidConfigValue', 'Config value out of bounds (windows 1 s..366 days, slash cap <= 2500 bps)'],
  ['ArithmeticOverflow', 'Amount arithmetic overflowed'],
  ['ZeroAmount', 'Amount must be greater than zero'],
  ['StringTooLong', 'Endpoint (64 bytes) or region (16 bytes) too long, or empty'],
  ['InvalidNodeId', 'node_id must equal the provider node_count'],
  ['InsufficientStake', 'Provider stake is below the configured minimum'],
  ['InvalidCapacity', 'max_capacity must be greater than zero'],
  ['NodeInactive', 'Node is not accepting sessions'],
  ['NodeFull', 'Node has no free capacity'],
  ['TokenPaymentsDisabled', 'Node does not accept token payments'],
  ['InvalidSessionParams', 'Session parameters do not match its payment mode (time: no ticks; usage: max_ticks > 0)'],
  ['SessionNotActive', 'Session is not active'],
  ['ClaimBeyondElapsed', 'Claim goes beyond the elapsed session time'],
  ['StaleClaim', 'Claim tick is not after the last claimed tick'],
  ['InvalidPreimage', 'Preimage does not hash to the last proof'],
  ['TickBeyondChain', 'Tick is beyond the committed hash chain'],
  ['TooManyTicks', 'Too many ticks verified in one claim'],
  ['BytesUsedDecreased', 'Reported bytes_used went down'],
  ['ClaimWindowClosed', 'The settle window for claims has passed'],
  ['SettleWindowOpen', 'Payout must wait for the end of the settle window'],
  ['SessionDisputed', 'Session escrow is frozen by a dispute'],
  ['AlreadySettled', 'Session was already settled and closed'],
  ['NotSessionParty', 'Only the session user or the provider authority may do this'],
  ['NotDisputed', 'Session is not in dispute'],
  ['ResolutionExceedsEscrow', 'Resolution pays more than the remaining escrow'],
  ['SlashExceedsStake', 'Slash is larger than the provider stake'],
  ['SessionNotEnded', 'Session has not ended yet'],
  ['AlreadyRated', 'Session was already rated'],
  ['InvalidRating', 'Rating must be between 1 and 5'],
  ['InsufficientStakeBalance', 'Amount is more than the active stake'],
  ['UnbondingNotElapsed', 'Unbonding period has not elapsed'],
  ['NothingToWithdraw', 'No unstaked lamports to withdraw'],
  ['InvalidConfig', 'Not the program\'s canonical Config account'],
  ['NonCanonicalBump', 'PDA bump is not the canonical (largest valid) bump'],
  ['InvalidSessionId', 'session_id must equal the user\'s next_session_id (UserState)'],
  ['PriceMismatch', 'tick_amount is not the node\'s current price'],
  ['SessionTooLong', 'Session longer than the limit (time 366 days, usage 30 days)'],
  ['SessionNotIdle', 'Only the user may close this session; the provider may evict a usage session idle for its idle timeout'],
  ['SelfRating', 'A provider cannot rate its own session'],
  ['RatingNotEarned', 'Session paid less than the minimum that earns a rating'],
  ['StakeLockedByDispute', 'Stake that open disputes could slash cannot be withdrawn'],
  ['SlashExceedsCap', 'Slash is above the dispute\'s lock (Config.max_slash_bps of the stake when it was raised)'],
  ['DisputeWindowOpen', 'The dispute is still within its resolution window'],
  ['DisputeTooLate', 'Disputes must be raised before the settle deadline'],
  ['NotPendingAdmin', 'Signer is not the proposed admin'],
  ['RecipientNotRentExempt', 'The payment would leave the recipient below rent exemption'],
];

export function buildIdl() {
  return {
    address: PROGRAM_ID,
    metadata: {
      name: 'dvpn',
      version: '0.1.0',
      spec: '0.1.0',
      description: 'Decentralized VPN marketplace: provider and node registry, session escrow, hash-chain billing, disputes, staking',
    },
    instructions: instructions.map((ix) => ({ name: ix.name, docs: ix.docs, discriminator: disc('global', ix.name),
      accounts: ix.accounts, args: ix.args })),
    accounts: accountTypes.map((t) => ({ name: t.name, discriminator: disc('account', t.name) })),
    events: eventTypes.map((t) => ({ name: t.name, discriminator: disc('event', t.name) })),
    errors: ERRORS.map(([name, msg], i) => ({ code: 6000 + i, name, msg })),
    types: [...accountTypes, ...eventTypes, ...enums],
  };
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'idl', 'dvpn.json');
// The SDK's typed copy: the same JSON as a literal type (Anchor's types/<name>.ts
// convention) and as a value, so the browser bundle needs no JSON import.
const tsOut = join(root, 'sdk', 'src', 'idl.ts');

export function idlTs(idl = buildIdl()) {
  // Number arrays (discriminators, seeds) on one line keep the file readable.
  const body = JSON.stringify(idl, null, 2).replace(/\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]/g,
    (_, nums) => `[${nums.split(/,\s*/).join(', ')}]`);
  return [
    '// Generated by scripts/gen-idl.mjs (the source of idl/dvpn.json): do not edit.',
    '// DvpnIdl is the IDL as a literal type; IDL is the same object as a value.',
    `export type DvpnIdl = ${body};`,
    '',
    `export const IDL: DvpnIdl = ${body};`,
    '',
  ].join('\n');
}

const rustOut = join(root, 'programs', 'dvpn', 'src', 'generated.rs');
const processorModOut = join(root, 'programs', 'dvpn', 'src', 'processor', 'mod.rs');
const upper = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

// The Rust files are written as rustfmt (rustfmt.toml: 120 columns) would
// format them, so `cargo fmt --check` passes without anyone running it on them.
const RUST_WIDTH = 120;
/** `head[a, b, ...]tail`, on one line if it fits, else rustfmt's wrapped layout. */
function rustArray(head, items, tail, indent = '') {
  const one = `${indent}${head}[${items.join(', ')}]${tail}`;
  if (one.length <= RUST_WIDTH) return one;
  const lines = [];
  let line = '';
  for (const item of items) {
    const next = line ? `${line} ${item},` : `${indent}    ${item},`;
    if (next.length > RUST_WIDTH && line) {
      lines.push(line);
      line = `${indent}    ${item},`;
    } else line = next;
  }
  lines.push(line);
  return `${indent}${head}[\n${lines.join('\n')}\n${indent}]${tail}`;
}

/** One match arm, or rustfmt's block form when it does not fit on a line. */
function rustArm(pattern, expr) {
  const one = `        ${pattern} => ${expr},`;
  return one.length <= RUST_WIDTH ? one : `        ${pattern} => {\n            ${expr}\n        }`;
}

/**
 * The program's side of the contract: instruction, account and event
 * discriminators, the instruction dispatch table (instruction `<name>` is
 * `processor::<name>::process_<name>`), the error enum with its codes, names
 * and messages, and the canonical Config address, so none of them is
 * restated by hand in Rust.
 */
export function rustContract(idl = buildIdl()) {
  const [configAddress, configBump] = PublicKey.findProgramAddressSync([Buffer.from(PDAS.config[0].value)], new PublicKey(PROGRAM_ID));
  const consts = (items) =>
    items.map((x) => rustArray(`pub const ${upper(x.name)}: [u8; 8] = `, x.discriminator, ';', '    ')).join('\n');
  const names = idl.errors.map((e) => e.name);
  let end = 0;
  const ends = names.map((n) => (end += n.length));
  const arms = idl.instructions.map((ix) =>
    rustArm(`d::${upper(ix.name)}`, `p::${ix.name}::process_${ix.name}(program_id, accounts, rest)`));
  return `// Generated by scripts/gen-idl.mjs (the wire contract's one source): do not edit.
//! Discriminators, dispatch, errors and fixed addresses of the dvpn wire contract.

use pinocchio::{AccountView, Address, ProgramResult};

/// Anchor instruction discriminators: \`sha256("global:<name>")[..8]\`.
pub mod ix_discriminator {
${consts(idl.instructions)}
}

/// Anchor account discriminators: \`sha256("account:<Name>")[..8]\`.
pub mod account_discriminator {
${consts(idl.accounts)}
}

/// Anchor event discriminators: \`sha256("event:<Name>")[..8]\`.
pub mod event_discriminator {
${consts(idl.events)}
}

/// Routes an instruction by its 8-byte discriminator to
/// \`processor::<name>::process_<name>\` with the data after the discriminator.
#[inline(always)]
pub fn dispatch(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    use crate::processor as p;
    use ix_tag as d;
    if data.len() < 8 {
        return Err(DvpnError::InvalidInstruction.into());
    }
    let (disc, rest) = data.split_at(8);
    // One u64 switch (a balanced compare tree) rather than 8-byte array compares.
    let disc = u64::from_le_bytes([disc[0], disc[1], disc[2], disc[3], disc[4], disc[5], disc[6], disc[7]]);
    match disc {
${arms.join('\n')}
        _ => Err(DvpnError::InvalidInstruction.into()),
    }
}

/// The instruction discriminators as little-endian u64 (the dispatch switch).
mod ix_tag {
${idl.instructions.map((x) => `    pub const ${upper(x.name)}: u64 = 0x${Buffer.from(x.discriminator).readBigUInt64LE().toString(16).padStart(16, '0')};`).join('\n')}
}

/// The constant first seed of each PDA (the rest are account addresses and
/// little-endian u64 ids, as the IDL's account metas say).
pub mod seed {
${Object.entries(PDAS).map(([name, [first]]) => `    pub const ${upper(name)}: &[u8] = b"${Buffer.from(first.value).toString()}";`).join('\n')}
}

/// The one Config: the PDA of seed "config" with its canonical bump.
${rustArray('pub const CONFIG_ADDRESS: [u8; 32] = ', [...configAddress.toBytes()], ';')}
pub const CONFIG_BUMP: u8 = ${configBump};

/// Every way an instruction can be refused (codes from 6000, Anchor's convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum DvpnError {
${idl.errors.map((e) => `    /// ${e.msg}.\n    ${e.name} = ${e.code},`).join('\n')}
}

/// The first custom error code (Anchor's convention).
pub const ERROR_CODE_OFFSET: u32 = ${idl.errors[0].code};

/// Names in code order, logged as \`Error: <Name>\` when an instruction fails.
pub const ERROR_NAMES: [&str; ${names.length}] = [
${names.map((n) => `    "${n}",`).join('\n')}
];

/// The names again as one string plus end offsets: a table of \`&str\` would
/// put pointers in read-only data, which the sbpf-linker chain leaves
/// unrelocated (reading one faults), while one string and plain integers work.
pub(crate) const NAME_BLOB: &str = "${names.join('')}";
${rustArray(`pub(crate) const NAME_ENDS: [u16; ${names.length}] = `, ends, ';')}
`;
}

/** processor/mod.rs: one module per instruction, named as the instruction. */
export function rustProcessorMod(idl = buildIdl()) {
  const mods = [...idl.instructions.map((ix) => ix.name), 'shared'].sort();
  return `// Generated by scripts/gen-idl.mjs from the instruction list: do not edit.
//! One file per instruction, \`<name>.rs\` with \`process_<name>\` (the dispatch
//! table in \`generated.rs\` calls it); \`shared\` holds what several use.

${mods.map((m) => `pub mod ${m};`).join('\n')}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const idl = buildIdl();
  const files = [[out, `${JSON.stringify(idl, null, 2)}\n`], [tsOut, idlTs(idl)], [rustOut, rustContract(idl)],
    [processorModOut, rustProcessorMod(idl)]];
  if (process.argv.includes('--check')) {
    let stale = false;
    for (const [file, text] of files) {
      let current = null;
      try { current = readFileSync(file, 'utf8'); } catch { /* missing counts as stale */ }
      if (current !== text) {
        console.error(`${file} is stale: run node scripts/gen-idl.mjs`);
        stale = true;
      }
    }
    if (stale) process.exit(1);
  } else {
    for (const [file, text] of files) {
      writeFileSync(file, text);
      console.log(`wrote ${file}`);
    }
  }
}
