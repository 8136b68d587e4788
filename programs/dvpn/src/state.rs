//! Account layouts, read in place. Each account is an 8-byte Anchor
//! discriminator followed by one of these `#[repr(C)]` structs; field order
//! keeps every integer naturally aligned so the struct has no implicit
//! padding and matches the Borsh layout in idl/dvpn.json byte for byte.

use pinocchio::{error::ProgramError, AccountView, Address};

use crate::error::DvpnError;

/// Anchor account discriminators, generated from the wire contract.
pub use crate::generated::account_discriminator as discriminator;

/// An account type stored by this program.
pub trait AccountState: Sized {
    const DISCRIMINATOR: [u8; 8];
    /// Account data length including the discriminator.
    const SPACE: usize = 8 + core::mem::size_of::<Self>();
}

/// Loads a program-owned account of type `T` for reading and writing.
///
/// Refuses accounts of another owner, size or type, so a caller cannot pass
/// a Node where a Provider belongs, or a look-alike from another program.
#[inline(always)]
#[allow(clippy::mut_from_ref)]
pub fn load<'a, T: AccountState>(account: &'a AccountView, program_id: &Address) -> Result<&'a mut T, ProgramError> {
    if !account.owned_by(program_id) {
        return Err(DvpnError::InvalidAccountOwner.into());
    }
    if account.data_len() != T::SPACE {
        return Err(DvpnError::InvalidAccountData.into());
    }
    let data = account.data_ptr();
    // SAFETY: the length was checked above; the runtime aligns account data to
    // 8 bytes, so `data + 8` is aligned for every field of `T` (checked in the
    // `const` asserts below). Instructions load each account at most once.
    unsafe {
        if *(data as *const [u8; 8]) != T::DISCRIMINATOR {
            return Err(DvpnError::InvalidAccountData.into());
        }
        Ok(&mut *(data.add(8) as *mut T))
    }
}

/// Loads the one Config. Owner and discriminator prove only that this program
/// wrote an account; the address proves it is *the* Config, so nobody can
/// bring a look-alike of his own (another bump of seed "config").
#[inline(always)]
#[allow(clippy::mut_from_ref)]
pub fn load_config<'a>(account: &'a AccountView, program_id: &Address) -> Result<&'a mut Config, ProgramError> {
    if account.address().as_array() != &crate::generated::CONFIG_ADDRESS {
        return Err(DvpnError::InvalidConfig.into());
    }
    load::<Config>(account, program_id)
}

/// Writes the discriminator of a freshly created account and returns its state.
#[inline(always)]
#[allow(clippy::mut_from_ref)]
pub fn init<T: AccountState>(account: &AccountView) -> Result<&mut T, ProgramError> {
    if account.data_len() != T::SPACE {
        return Err(DvpnError::InvalidAccountData.into());
    }
    let data = account.data_ptr() as *mut u8;
    // SAFETY: as in `load`; the account was just created zeroed by the System program.
    unsafe {
        *(data as *mut [u8; 8]) = T::DISCRIMINATOR;
        Ok(&mut *(data.add(8) as *mut T))
    }
}

#[repr(C)]
pub struct Config {
    pub admin: Address,
    pub treasury: Address,
    pub token_mint: Address,
    /// Proposed next admin (update_config), who must accept_admin; zero when none.
    pub pending_admin: Address,
    pub min_provider_stake: u64,
    pub unbonding_seconds: i64,
    pub settle_window_seconds: i64,
    pub dispute_window_seconds: i64,
    pub idle_timeout_seconds: i64,
    pub min_rating_lamports: u64,
    pub min_rating_token: u64,
    pub protocol_fee_bps: u16,
    pub max_slash_bps: u16,
    pub bump: u8,
    pub padding: [u8; 3],
}

#[repr(C)]
pub struct Provider {
    pub authority: Address,
    pub node_count: u64,
    pub stake_lamports: u64,
    pub unstaking_lamports: u64,
    pub unstake_at: i64,
    pub slashed_lamports: u64,
    pub rating_sum: u64,
    pub total_uptime_seconds: u64,
    pub total_sessions: u64,
    pub total_earned_lamports: u64,
    pub total_earned_token: u64,
    pub registered_at: i64,
    pub rating_count: u32,
    pub reputation_score: u16,
    pub bump: u8,
    pub stake_vault_bump: u8,
    /// Sum of the weights of every rating (rating_sum is the weighted sum).
    pub rating_weight: u64,
    /// Disputes raised and not yet resolved.
    pub open_disputes: u32,
    pub padding: [u8; 4],
    /// What the open disputes may still slash: withdraw_stake keeps it back.
    pub locked_lamports: u64,
}

pub const ENDPOINT_LEN: usize = 64;
pub const REGION_LEN: usize = 16;

#[repr(C)]
pub struct Node {
    pub provider: Address,
    pub wg_server_pubkey: [u8; 32],
    pub endpoint: [u8; ENDPOINT_LEN],
    pub region: [u8; REGION_LEN],
    pub node_id: u64,
    pub price_per_minute: u64,
    pub price_per_minute_token: u64,
    pub total_uptime_seconds: u64,
    pub total_sessions: u64,
    pub created_at: i64,
    pub max_capacity: u32,
    pub active_sessions: u32,
    pub is_active: u8,
    pub bump: u8,
    pub padding: [u8; 6],
    /// Usage sessions pay this per hash-chain tick (0: no usage sessions in SOL).
    pub price_per_tick: u64,
    pub price_per_tick_token: u64,
}

impl Node {
    /// The zero-padded endpoint as written at registration.
    #[inline(always)]
    pub fn endpoint_str(&self) -> &[u8] {
        trim_zeros(&self.endpoint)
    }
    #[inline(always)]
    pub fn region_str(&self) -> &[u8] {
        trim_zeros(&self.region)
    }
}

#[inline(always)]
fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

/// How a session is paid.
pub mod mode {
    /// Pro-rata by elapsed time.
    pub const TIME: u8 = 0;
    /// PayWord hash chain ticks.
    pub const USAGE: u8 = 1;
}

/// Session lifecycle; see docs/PROGRAM.md.
pub mod session_state {
    pub const ACTIVE: u8 = 0;
    pub const CLOSING: u8 = 1;
    pub const CLOSED: u8 = 2;
    pub const DISPUTED: u8 = 3;
    pub const RESOLVED: u8 = 4;
}

#[repr(C)]
pub struct Session {
    pub user: Address,
    pub node: Address,
    pub provider: Address,
    pub payment_mint: Address,
    pub vault: Address,
    pub disputed_by: Address,
    pub hash_chain_root: [u8; 32],
    pub last_proof_hash: [u8; 32],
    pub session_id: u64,
    pub start_ts: i64,
    pub end_ts: i64,
    pub closed_at: i64,
    pub dispute_ts: i64,
    pub escrow_amount: u64,
    pub remaining_balance: u64,
    pub claimed_amount: u64,
    pub fee_amount: u64,
    pub refunded_amount: u64,
    pub bytes_used: u64,
    pub last_tick: u64,
    pub tick_amount: u64,
    pub max_ticks: u64,
    pub mode: u8,
    pub state: u8,
    pub dispute_reason: u8,
    pub rated: u8,
    pub capacity_released: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub padding: [u8; 1],
    // The Config terms in force when the session opened: an admin update
    // never changes the fee or the windows of a session already open.
    pub settle_window_seconds: i64,
    pub dispute_window_seconds: i64,
    pub idle_timeout_seconds: i64,
    /// Open, or the last on-chain claim of a usage session (idle eviction).
    pub last_activity_ts: i64,
    pub protocol_fee_bps: u16,
    pub padding2: [u8; 6],
    /// The most this session's dispute may slash, fixed when it was raised.
    pub dispute_lock: u64,
}

impl Session {
    /// A token (USDC) session keeps its escrow in `vault`; a SOL session in itself.
    #[inline(always)]
    pub fn is_token(&self) -> bool {
        self.payment_mint != Address::new_from_array([0; 32])
    }

    /// Last moment the provider may claim; after it anyone may settle.
    #[inline(always)]
    pub fn settle_deadline(&self) -> Result<i64, ProgramError> {
        let base = if self.closed_at != 0 { self.closed_at } else { self.end_ts };
        base.checked_add(self.settle_window_seconds).ok_or_else(|| DvpnError::ArithmeticOverflow.into())
    }

    /// After this moment anyone may settle an unresolved dispute by the default rule.
    #[inline(always)]
    pub fn dispute_deadline(&self) -> Result<i64, ProgramError> {
        self.dispute_ts.checked_add(self.dispute_window_seconds).ok_or_else(|| DvpnError::ArithmeticOverflow.into())
    }

    #[inline(always)]
    pub fn duration_seconds(&self) -> u64 {
        self.end_ts.saturating_sub(self.start_ts) as u64
    }

    /// Seconds of a time session elapsed at `ts`, capped at its duration.
    #[inline(always)]
    pub fn elapsed_at(&self, ts: i64) -> u64 {
        let elapsed = ts.saturating_sub(self.start_ts).max(0) as u64;
        let duration = self.duration_seconds();
        if elapsed < duration {
            elapsed
        } else {
            duration
        }
    }
}

#[repr(C)]
pub struct StakeVault {
    pub provider: Address,
    pub bump: u8,
    pub padding: [u8; 7],
}

/// One per user wallet: the id its next session must use, so a session
/// address (node, user, id) never repeats and nobody else can move the count.
#[repr(C)]
pub struct UserState {
    pub user: Address,
    pub next_session_id: u64,
    pub bump: u8,
    pub padding: [u8; 7],
}

impl AccountState for UserState {
    const DISCRIMINATOR: [u8; 8] = discriminator::USER_STATE;
}

impl AccountState for Config {
    const DISCRIMINATOR: [u8; 8] = discriminator::CONFIG;
}
impl AccountState for Provider {
    const DISCRIMINATOR: [u8; 8] = discriminator::PROVIDER;
}
impl AccountState for Node {
    const DISCRIMINATOR: [u8; 8] = discriminator::NODE;
}
impl AccountState for Session {
    const DISCRIMINATOR: [u8; 8] = discriminator::SESSION;
}
impl AccountState for StakeVault {
    const DISCRIMINATOR: [u8; 8] = discriminator::STAKE_VAULT;
}

// The layouts in idl/dvpn.json: any change here must change the IDL too.
const _: () = assert!(Config::SPACE == 200 && core::mem::align_of::<Config>() == 8);
const _: () = assert!(Provider::SPACE == 160 && core::mem::align_of::<Provider>() == 8);
const _: () = assert!(Node::SPACE == 232 && core::mem::align_of::<Node>() == 8);
const _: () = assert!(Session::SPACE == 432 && core::mem::align_of::<Session>() == 8);
const _: () = assert!(UserState::SPACE == 56 && core::mem::align_of::<UserState>() == 8);
const _: () = assert!(StakeVault::SPACE == 48 && core::mem::align_of::<StakeVault>() == 1);
