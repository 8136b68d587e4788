//! Escrow moves shared by claim_chunk, close_session, claim_payout and
//! resolve_dispute. Every unit leaving an escrow goes through `pay_provider`
//! or `refund_user`, which keep `escrow == claimed + refunded + remaining`.

use crate::generated::seed;
use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};

use crate::{
    error::DvpnError,
    state::{load, load_config, Config, Node, Provider, Session},
    utils::{
        can_receive_lamports, check_token_account, check_token_program, earned_between, is_absent, move_lamports,
        protocol_fee, require, token_transfer_signed,
    },
};

/// Signer seeds of a Session PDA: `"session", node, user, session_id LE, bump`.
pub struct SessionSeeds {
    node: [u8; 32],
    user: [u8; 32],
    id: [u8; 8],
    bump: [u8; 1],
}

impl SessionSeeds {
    #[inline(always)]
    pub fn of(session: &Session) -> Self {
        SessionSeeds {
            node: *session.node.as_array(),
            user: *session.user.as_array(),
            id: session.session_id.to_le_bytes(),
            bump: [session.bump],
        }
    }

    #[inline(always)]
    pub fn seeds(&self) -> [Seed<'_>; 5] {
        [
            Seed::from(seed::SESSION),
            Seed::from(&self.node),
            Seed::from(&self.user),
            Seed::from(&self.id),
            Seed::from(&self.bump),
        ]
    }
}

/// Token accounts of a token session; `None` for SOL sessions.
pub struct TokenAccounts<'a> {
    pub vault: &'a AccountView,
    pub user_token: Option<&'a AccountView>,
    pub provider_token: Option<&'a AccountView>,
    pub treasury_token: Option<&'a AccountView>,
}

/// Checks the optional token accounts against the session. A SOL session
/// ignores them; a token session needs the vault, the token program and
/// those of `user_token` / `provider_token` / `treasury_token` it passes,
/// each of the session mint and owned by the user, provider authority and
/// treasury respectively. A missing one is refused where a payment needs it.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn token_accounts<'a>(
    program_id: &Address,
    session: &Session,
    provider: &Provider,
    config: &Config,
    vault: &'a AccountView,
    user_token: Option<&'a AccountView>,
    provider_token: &'a AccountView,
    treasury_token: &'a AccountView,
    token_program: &'a AccountView,
) -> Result<Option<TokenAccounts<'a>>, ProgramError> {
    if !session.is_token() {
        return Ok(None);
    }
    check_token_program(token_program)?;
    require(vault.address() == &session.vault, DvpnError::InvalidTokenAccount)?;
    let present = |a: &'a AccountView| if is_absent(a, program_id) { None } else { Some(a) };
    let user_token = user_token.and_then(present);
    let provider_token = present(provider_token);
    let treasury_token = present(treasury_token);
    if let Some(a) = user_token {
        check_token_account(a, &session.payment_mint, &session.user)?;
    }
    if let Some(a) = provider_token {
        check_token_account(a, &session.payment_mint, &provider.authority)?;
    }
    if let Some(a) = treasury_token {
        check_token_account(a, &session.payment_mint, &config.treasury)?;
    }
    Ok(Some(TokenAccounts { vault, user_token, provider_token, treasury_token }))
}

/// `token_accounts` for the settling instructions (close_session,
/// claim_payout, resolve_dispute), whose account lists end with
/// `vault, user_token, provider_token, treasury_token, token_program`.
#[inline(always)]
pub fn settle_token_accounts<'a>(
    program_id: &Address,
    session: &Session,
    provider: &Provider,
    config: &Config,
    tail: [&'a AccountView; 5],
) -> Result<Option<TokenAccounts<'a>>, ProgramError> {
    let [vault, user_token, provider_token, treasury_token, token_program] = tail;
    token_accounts(
        program_id,
        session,
        provider,
        config,
        vault,
        Some(user_token),
        provider_token,
        treasury_token,
        token_program,
    )
}

#[inline(always)]
fn needed(account: Option<&AccountView>) -> Result<&AccountView, ProgramError> {
    account.ok_or_else(|| DvpnError::InvalidTokenAccount.into())
}

/// What happens to a SOL payment the provider's wallet cannot take (it would
/// stay below rent exemption): a settlement that nobody else may block
/// forfeits it to the user's refund (it is less than the rent minimum, ~0.00089
/// SOL); the provider's own claim_chunk refuses with RecipientNotRentExempt.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Undeliverable {
    Refuse,
    Forfeit,
}

/// Pays `gross` of the escrow for service: the protocol fee to the treasury,
/// the rest to the provider authority. Returns (provider_amount, fee).
///
/// The fee is the session's fee rate on the running total claimed, less the
/// fees already paid, so many small claims pay exactly what one large claim
/// would (flooring never creates a unit). A SOL fee the treasury cannot take
/// (unfunded wallet) is deferred: it is collected by a later payment's
/// running total, and never blocks one.
#[allow(clippy::too_many_arguments)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "the only unchecked operation is gross - fee, with fee <= gross (the min above)"
)]
#[inline(always)]
pub fn pay_provider(
    session_view: &AccountView,
    session: &mut Session,
    provider: &mut Provider,
    provider_authority: &AccountView,
    treasury: &AccountView,
    tokens: &Option<TokenAccounts>,
    gross: u64,
    undeliverable: Undeliverable,
) -> Result<(u64, u64), ProgramError> {
    if gross == 0 {
        return Ok((0, 0));
    }
    let remaining = session.remaining_balance.checked_sub(gross).ok_or(DvpnError::ArithmeticOverflow)?;
    let claimed = session.claimed_amount.checked_add(gross).ok_or(DvpnError::ArithmeticOverflow)?;
    let fee_due = protocol_fee(claimed, session.protocol_fee_bps).saturating_sub(session.fee_amount);
    let mut fee = if fee_due < gross { fee_due } else { gross };
    match tokens {
        None => {
            if !can_receive_lamports(treasury, fee)? {
                fee = 0;
            }
            let net = gross - fee;
            if !can_receive_lamports(provider_authority, net)? {
                // Nothing moves: the amount stays in escrow and is refunded.
                return match undeliverable {
                    Undeliverable::Forfeit => Ok((0, 0)),
                    Undeliverable::Refuse => Err(DvpnError::RecipientNotRentExempt.into()),
                };
            }
            move_lamports(session_view, provider_authority, net)?;
            move_lamports(session_view, treasury, fee)?;
            provider.total_earned_lamports =
                provider.total_earned_lamports.checked_add(net).ok_or(DvpnError::ArithmeticOverflow)?;
        }
        Some(t) => {
            let net = gross - fee;
            let seeds = SessionSeeds::of(session);
            // An account is needed only for an amount that goes to it.
            if net > 0 {
                token_transfer_signed(t.vault, needed(t.provider_token)?, session_view, net, &seeds.seeds())?;
            }
            if fee > 0 {
                token_transfer_signed(t.vault, needed(t.treasury_token)?, session_view, fee, &seeds.seeds())?;
            }
            provider.total_earned_token =
                provider.total_earned_token.checked_add(net).ok_or(DvpnError::ArithmeticOverflow)?;
        }
    }
    session.remaining_balance = remaining;
    session.claimed_amount = claimed;
    session.fee_amount = session.fee_amount.checked_add(fee).ok_or(DvpnError::ArithmeticOverflow)?;
    Ok((gross - fee, fee))
}

/// Pays what a time session earned from its last claim through second
/// `through` of its duration (nothing when already claimed that far), in a
/// settlement that nobody else may block. Returns (provider_amount, fee).
#[inline(always)]
pub fn pay_time_through(
    session_view: &AccountView,
    session: &mut Session,
    provider: &mut Provider,
    provider_authority: &AccountView,
    treasury: &AccountView,
    tokens: &Option<TokenAccounts>,
    through: u64,
) -> Result<(u64, u64), ProgramError> {
    if through <= session.last_tick {
        return Ok((0, 0));
    }
    let gross = earned_between(session.escrow_amount, session.duration_seconds(), session.last_tick, through)?;
    let paid = pay_provider(
        session_view,
        session,
        provider,
        provider_authority,
        treasury,
        tokens,
        gross,
        Undeliverable::Forfeit,
    )?;
    session.last_tick = through;
    Ok(paid)
}

/// A dispute ends (resolved by the admin or by the default rule): the session
/// is Resolved and the stake it locked is free again.
#[inline(always)]
pub fn end_dispute(session: &mut Session, provider: &mut Provider) {
    session.state = crate::state::session_state::RESOLVED;
    provider.open_disputes = provider.open_disputes.saturating_sub(1);
    provider.locked_lamports = provider.locked_lamports.saturating_sub(session.dispute_lock);
}

/// Returns everything still in escrow to the user. Returns the amount.
///
/// With `defer_if_undeliverable`, a SOL refund the user's wallet cannot take
/// yet (an empty wallet, a refund below rent) stays in escrow: claim_payout
/// sends it later together with the Session's rent, which always can.
#[inline(always)]
pub fn refund_rest(
    session_view: &AccountView,
    session: &mut Session,
    user: &AccountView,
    tokens: &Option<TokenAccounts>,
    defer_if_undeliverable: bool,
) -> Result<u64, ProgramError> {
    let amount = session.remaining_balance;
    if amount == 0 {
        return Ok(0);
    }
    match tokens {
        None => {
            if defer_if_undeliverable && !can_receive_lamports(user, amount)? {
                return Ok(0);
            }
            move_lamports(session_view, user, amount)?
        }
        Some(t) => {
            let seeds = SessionSeeds::of(session);
            token_transfer_signed(t.vault, needed(t.user_token)?, session_view, amount, &seeds.seeds())?;
        }
    }
    session.remaining_balance = 0;
    session.refunded_amount = session.refunded_amount.checked_add(amount).ok_or(DvpnError::ArithmeticOverflow)?;
    Ok(amount)
}

/// The most one dispute may slash: `max_slash_bps` of the provider's stake
/// (active + unbonding), floored, without 128-bit arithmetic.
#[inline(always)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "max_slash_bps <= 2_500: each product stays below stake_total and 10^8, the sum below stake_total"
)]
pub fn slash_cap(stake_total: u64, max_slash_bps: u16) -> u64 {
    let bps = max_slash_bps as u64; // <= 2_500
    (stake_total / 10_000).wrapping_mul(bps) + (stake_total % 10_000).wrapping_mul(bps) / 10_000
}

/// Frees the node slot a session holds (once) and books its uptime:
/// `min(now, end_ts) - start_ts` seconds to the node and the provider.
#[inline(always)]
pub fn release_slot(session: &mut Session, node: &mut Node, provider: &mut Provider, now: i64) -> ProgramResult {
    if session.capacity_released != 0 {
        return Ok(());
    }
    node.active_sessions = node.active_sessions.checked_sub(1).ok_or(DvpnError::ArithmeticOverflow)?;
    let end = if now < session.end_ts { now } else { session.end_ts };
    let uptime = end.saturating_sub(session.start_ts).max(0) as u64;
    node.total_uptime_seconds = node.total_uptime_seconds.checked_add(uptime).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.total_uptime_seconds =
        provider.total_uptime_seconds.checked_add(uptime).ok_or(DvpnError::ArithmeticOverflow)?;
    session.capacity_released = 1;
    Ok(())
}

/// The links every settlement checks: this session's node, provider, the
/// provider's authority wallet and the configured treasury.
#[inline(always)]
pub fn check_session_links(
    session: &Session,
    node: Option<&AccountView>,
    provider_view: &AccountView,
    provider: &Provider,
    provider_authority: Option<&AccountView>,
    config: &Config,
    treasury: Option<&AccountView>,
) -> ProgramResult {
    require(provider_view.address() == &session.provider, DvpnError::InvalidPda)?;
    if let Some(node) = node {
        require(node.address() == &session.node, DvpnError::InvalidPda)?;
    }
    if let Some(a) = provider_authority {
        require(a.address() == &provider.authority, DvpnError::InvalidPda)?;
    }
    if let Some(t) = treasury {
        require(t.address() == &config.treasury, DvpnError::InvalidTreasury)?;
    }
    Ok(())
}

/// The accounts close_session, claim_payout and resolve_dispute all load.
pub struct Settlement<'a> {
    pub config: &'a mut Config,
    pub provider: &'a mut Provider,
    pub node: &'a mut Node,
    pub session: &'a mut Session,
}

/// Loads the Config, Provider, Node and Session of a settling instruction
/// and checks their links (this session's node and provider, the provider's
/// authority wallet, the configured treasury).
#[inline(always)]
pub fn load_settlement<'a>(
    program_id: &Address,
    config_view: &'a AccountView,
    provider_view: &'a AccountView,
    node_view: &'a AccountView,
    session_view: &'a AccountView,
    provider_authority: &AccountView,
    treasury: &AccountView,
) -> Result<Settlement<'a>, ProgramError> {
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    let node = load::<Node>(node_view, program_id)?;
    let session = load::<Session>(session_view, program_id)?;
    check_session_links(
        session,
        Some(node_view),
        provider_view,
        provider,
        Some(provider_authority),
        config,
        Some(treasury),
    )?;
    Ok(Settlement { config, provider, node, session })
}

/// The error for a session that is not in a claimable/closable state.
#[inline(always)]
pub fn not_active(session: &Session) -> ProgramError {
    if session.state == crate::state::session_state::DISPUTED {
        DvpnError::SessionDisputed.into()
    } else {
        DvpnError::SessionNotActive.into()
    }
}
