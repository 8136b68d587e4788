//! close_session (the user ends a session) and claim_payout (settles and
//! closes it; a permissionless crank after the settle window, so no escrow
//! is ever stuck).

use pinocchio::{AccountView, Address, ProgramResult};

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    instructions::shared::{
        load_settlement, not_active, pay_provider, refund_rest, release_slot, settle_token_accounts, SessionSeeds,
        Settlement,
    },
    state::{mode, session_state},
    take_accounts,
    utils::{
        close_program_account, earned_between, now, require, require_signer, require_writable, token_close_signed,
    },
};

#[inline(always)]
pub fn process_close_session(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            user,
            config_view,
            provider_view,
            node_view,
            session_view,
            provider_authority,
            treasury,
            vault,
            user_token,
            provider_token,
            treasury_token,
            token_program
        ]
    );
    Args::new(data).finish()?;

    require_signer(user)?;
    for a in [user, provider_view, node_view, session_view, provider_authority, treasury] {
        require_writable(a)?;
    }
    let Settlement { config, provider, node, session } =
        load_settlement(program_id, config_view, provider_view, node_view, session_view, provider_authority, treasury)?;
    require(user.address() == &session.user, DvpnError::NotSessionParty)?;
    if session.state != session_state::ACTIVE {
        return Err(not_active(session));
    }

    let ts = now()?;
    let mut provider_amount = 0;
    let mut fee = 0;
    let mut refund = 0;
    if session.mode == mode::TIME {
        // Pay the elapsed time now and give the rest back at once.
        let tokens = settle_token_accounts(
            program_id,
            session,
            provider,
            config,
            [vault, user_token, provider_token, treasury_token, token_program],
        )?;
        let duration = session.duration_seconds();
        let elapsed = ts.saturating_sub(session.start_ts).max(0) as u64;
        let elapsed = if elapsed < duration { elapsed } else { duration };
        if elapsed > session.last_tick {
            let gross = earned_between(session.escrow_amount, duration, session.last_tick, elapsed)?;
            (provider_amount, fee) =
                pay_provider(session_view, session, provider, config, provider_authority, treasury, &tokens, gross)?;
            session.last_tick = elapsed;
        }
        refund = refund_rest(session_view, session, user, &tokens)?;
        session.state = session_state::CLOSED;
    } else {
        // Usage: the provider keeps the settle window to claim its last ticks.
        session.state = session_state::CLOSING;
    }
    session.closed_at = ts;
    release_slot(session, node, provider, ts)?;

    Event::new(ev::SESSION_CLOSED)
        .key(session_view.address())
        .key(&session.user)
        .key(&session.node)
        .key(&session.provider)
        .key(&session.payment_mint)
        .u64(provider_amount)
        .u64(fee)
        .u64(refund)
        .u64(session.remaining_balance)
        .i64(ts)
        .u32(node.active_sessions)
        .u8(session.state)
        .emit();
    Ok(())
}

#[inline(always)]
pub fn process_claim_payout(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            caller,
            config_view,
            provider_view,
            node_view,
            session_view,
            user,
            provider_authority,
            treasury,
            vault,
            user_token,
            provider_token,
            treasury_token,
            token_program
        ]
    );
    Args::new(data).finish()?;

    require_signer(caller)?;
    // A settled session's account is gone: say so rather than "wrong owner".
    if session_view.lamports() == 0 && session_view.is_data_empty() {
        return Err(DvpnError::AlreadySettled.into());
    }
    for a in [provider_view, node_view, session_view, user, provider_authority, treasury] {
        require_writable(a)?;
    }
    let Settlement { config, provider, node, session } =
        load_settlement(program_id, config_view, provider_view, node_view, session_view, provider_authority, treasury)?;
    require(user.address() == &session.user, DvpnError::InvalidPda)?;

    let ts = now()?;
    let deadline = session.settle_deadline(config.settle_window_seconds)?;
    let window_over = ts > deadline;
    match session.state {
        session_state::DISPUTED => return Err(DvpnError::SessionDisputed.into()),
        // Funds already settled: only the account's rent is left, which is the user's.
        session_state::CLOSED | session_state::RESOLVED => {
            require(caller.address() == user.address() || window_over, DvpnError::SettleWindowOpen)?
        }
        _ => require(window_over, DvpnError::SettleWindowOpen)?,
    }

    let tokens = settle_token_accounts(
        program_id,
        session,
        provider,
        config,
        [vault, user_token, provider_token, treasury_token, token_program],
    )?;
    let mut provider_amount = 0;
    let mut fee = 0;
    if session.mode == mode::TIME && session.state == session_state::ACTIVE {
        // The whole duration has passed: whatever was not claimed is earned.
        let duration = session.duration_seconds();
        let gross = earned_between(session.escrow_amount, duration, session.last_tick, duration)?;
        (provider_amount, fee) =
            pay_provider(session_view, session, provider, config, provider_authority, treasury, &tokens, gross)?;
        session.last_tick = duration;
    }
    let refund = refund_rest(session_view, session, user, &tokens)?;
    release_slot(session, node, provider, ts)?;

    let event = {
        let mut e = Event::new(ev::PAYOUT_CLAIMED);
        e.key(session_view.address())
            .key(&session.user)
            .key(&session.node)
            .key(&session.provider)
            .key(&session.payment_mint)
            .key(caller.address())
            .u64(provider_amount)
            .u64(fee)
            .u64(refund)
            .u64(session.claimed_amount)
            .u64(session.refunded_amount)
            .i64(ts)
            .u32(node.active_sessions);
        e
    };

    if let Some(t) = &tokens {
        let seeds = SessionSeeds::of(session);
        token_close_signed(t.vault, user, session_view, &seeds.seeds())?;
    }
    close_program_account(session_view, user)?;
    event.emit();
    Ok(())
}
