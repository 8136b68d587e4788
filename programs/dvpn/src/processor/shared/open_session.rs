//! Opening a session, shared by open_session (SOL escrow in the Session
//! account) and open_session_spl (token escrow in a vault owned by the Session PDA).

use crate::generated::seed;
use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{init, load, load_config, mode, session_state, AccountState, Config, Node, Provider, Session, UserState},
    utils::{create_pda_account, mul_checked, now, require, require_signer, require_writable},
};
use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};

/// Time sessions last at most a year (366 days); this also bounds the pro-rata arithmetic.
pub const MAX_SESSION_MINUTES: u32 = 366 * 24 * 60;

/// Usage sessions (prepaid ticks, no time price) hold a node slot at most 30 days.
pub const MAX_USAGE_MINUTES: u32 = 30 * 24 * 60;

pub struct OpenArgs {
    pub session_id: u64,
    pub mode: u8,
    pub duration_minutes: u32,
    pub tick_amount: u64,
    pub max_ticks: u64,
    pub hash_chain_root: [u8; 32],
    pub session_bump: u8,
}

/// The user's next session id: creates the UserState (paid by the user) on the
/// first open, checks `session_id` against it and moves it on.
#[inline(always)]
pub fn take_session_id(
    program_id: &Address,
    user: &AccountView,
    user_state_view: &AccountView,
    session_id: u64,
    bump: u8,
) -> ProgramResult {
    require_writable(user_state_view)?;
    let state = if user_state_view.owned_by(program_id) {
        let state = load::<UserState>(user_state_view, program_id)?;
        require(&state.user == user.address(), DvpnError::InvalidPda)?;
        state
    } else {
        let b = [bump];
        create_pda_account(
            user,
            user_state_view,
            UserState::SPACE,
            program_id,
            program_id,
            &[Seed::from(seed::USER_STATE), Seed::from(user.address().as_ref()), Seed::from(&b)],
        )?;
        let state = init::<UserState>(user_state_view)?;
        state.user = *user.address();
        state.bump = bump;
        state
    };
    require(session_id == state.next_session_id, DvpnError::InvalidSessionId)?;
    state.next_session_id = session_id.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    Ok(())
}

#[inline(always)]
pub fn read_open_args(args: &mut Args) -> Result<OpenArgs, ProgramError> {
    Ok(OpenArgs {
        session_id: args.u64()?,
        mode: args.u8()?,
        duration_minutes: args.u32()?,
        tick_amount: args.u64()?,
        max_ticks: args.u64()?,
        hash_chain_root: args.array()?,
        session_bump: args.u8()?,
    })
}

/// Escrow of a session at the node's prices: price_per_minute x minutes (time)
/// or price_per_tick x max_ticks (usage). The node sets both prices; the
/// user's `tick_amount` states the unit price agreed to, so a price change
/// between quote and open is refused rather than charged.
/// Returns (escrow, tick_amount stored in the session).
#[inline(always)]
pub fn escrow_for(a: &OpenArgs, price_per_minute: u64, price_per_tick: u64) -> Result<(u64, u64), ProgramError> {
    require(a.duration_minutes > 0, DvpnError::InvalidSessionParams)?;
    match a.mode {
        mode::TIME => {
            require(a.duration_minutes <= MAX_SESSION_MINUTES, DvpnError::SessionTooLong)?;
            require(a.max_ticks == 0, DvpnError::InvalidSessionParams)?;
            require(price_per_minute > 0, DvpnError::ZeroAmount)?;
            require(a.tick_amount == price_per_minute, DvpnError::PriceMismatch)?;
            let escrow =
                mul_checked(price_per_minute, a.duration_minutes as u64).ok_or(DvpnError::ArithmeticOverflow)?;
            Ok((escrow, 0))
        }
        mode::USAGE => {
            require(a.duration_minutes <= MAX_USAGE_MINUTES, DvpnError::SessionTooLong)?;
            require(a.max_ticks > 0, DvpnError::InvalidSessionParams)?;
            require(price_per_tick > 0, DvpnError::ZeroAmount)?;
            require(a.tick_amount == price_per_tick, DvpnError::PriceMismatch)?;
            let escrow = mul_checked(price_per_tick, a.max_ticks).ok_or(DvpnError::ArithmeticOverflow)?;
            Ok((escrow, price_per_tick))
        }
        _ => Err(DvpnError::InvalidSessionParams.into()),
    }
}

/// Checks shared by both payment kinds; returns (config, provider, node).
#[inline(always)]
pub fn check_open<'a>(
    program_id: &Address,
    user: &AccountView,
    config_view: &'a AccountView,
    provider_view: &'a AccountView,
    node_view: &'a AccountView,
    session_view: &AccountView,
) -> Result<(&'a mut Config, &'a mut Provider, &'a mut Node), ProgramError> {
    require_signer(user)?;
    require_writable(user)?;
    require_writable(provider_view)?;
    require_writable(node_view)?;
    require_writable(session_view)?;
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    let node = load::<Node>(node_view, program_id)?;
    require(&node.provider == provider_view.address(), DvpnError::InvalidPda)?;
    require(node.is_active != 0, DvpnError::NodeInactive)?;
    require(node.active_sessions < node.max_capacity, DvpnError::NodeFull)?;
    require(provider.stake_lamports >= config.min_provider_stake, DvpnError::InsufficientStake)?;
    Ok((config, provider, node))
}

#[inline(always)]
pub fn create_session(
    program_id: &Address,
    user: &AccountView,
    node_view: &AccountView,
    session_view: &AccountView,
    a: &OpenArgs,
) -> ProgramResult {
    let id = a.session_id.to_le_bytes();
    let bump = [a.session_bump];
    create_pda_account(
        user,
        session_view,
        Session::SPACE,
        program_id,
        program_id,
        &[
            Seed::from(seed::SESSION),
            Seed::from(node_view.address().as_ref()),
            Seed::from(user.address().as_ref()),
            Seed::from(&id),
            Seed::from(&bump),
        ],
    )
}

/// Writes the new session, takes the node slot, and emits SessionOpened.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn start_session(
    config: &Config,
    user: &AccountView,
    provider_view: &AccountView,
    provider: &mut Provider,
    node_view: &AccountView,
    node: &mut Node,
    session_view: &AccountView,
    a: &OpenArgs,
    escrow: u64,
    tick_amount: u64,
    payment_mint: &Address,
    vault: &Address,
    vault_bump: u8,
) -> ProgramResult {
    let start = now()?;
    // duration_minutes <= MAX_SESSION_MINUTES, so the product cannot overflow.
    let end = start.checked_add((a.duration_minutes as i64).wrapping_mul(60)).ok_or(DvpnError::ArithmeticOverflow)?;
    let session = init::<Session>(session_view)?;
    session.user = *user.address();
    session.node = *node_view.address();
    session.provider = *provider_view.address();
    session.session_id = a.session_id;
    session.mode = a.mode;
    session.state = session_state::ACTIVE;
    session.payment_mint = *payment_mint;
    session.vault = *vault;
    session.start_ts = start;
    session.end_ts = end;
    session.escrow_amount = escrow;
    session.remaining_balance = escrow;
    session.hash_chain_root = a.hash_chain_root;
    session.last_proof_hash = a.hash_chain_root;
    session.tick_amount = tick_amount;
    session.max_ticks = a.max_ticks;
    session.bump = a.session_bump;
    session.vault_bump = vault_bump;
    // The Config terms now in force are this session's for its whole life.
    session.protocol_fee_bps = config.protocol_fee_bps;
    session.settle_window_seconds = config.settle_window_seconds;
    session.dispute_window_seconds = config.dispute_window_seconds;
    session.idle_timeout_seconds = config.idle_timeout_seconds;
    session.last_activity_ts = start;

    node.active_sessions = node.active_sessions.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    node.total_sessions = node.total_sessions.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.total_sessions = provider.total_sessions.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;

    Event::new(ev::SESSION_OPENED)
        .key(session_view.address())
        .key(user.address())
        .key(node_view.address())
        .key(provider_view.address())
        .key(&session.payment_mint)
        .bytes32(&session.hash_chain_root)
        .u64(a.session_id)
        .u64(escrow)
        .u64(tick_amount)
        .u64(a.max_ticks)
        .i64(start)
        .i64(end)
        .i64(start)
        .u32(node.active_sessions)
        .u8(a.mode)
        .emit();
    Ok(())
}
