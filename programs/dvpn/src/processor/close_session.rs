//! `close_session`: The user ends a session.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    processor::shared::escrow::{
        load_settlement, not_active, pay_time_through, refund_rest, release_slot, settle_token_accounts, Settlement,
    },
    state::{mode, session_state},
    take_accounts,
    utils::{now, require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_close_session(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            signer,
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

    require_signer(signer)?;
    for a in [signer, provider_view, node_view, session_view, provider_authority, treasury] {
        require_writable(a)?;
    }
    let Settlement { config, provider, node, session } =
        load_settlement(program_id, config_view, provider_view, node_view, session_view, provider_authority, treasury)?;
    let ts = now()?;
    if signer.address() != &session.user {
        // The provider may end a usage session that stopped paying: no claim
        // on chain for the session's idle timeout frees its slot.
        require(signer.address() == &provider.authority, DvpnError::NotSessionParty)?;
        let idle_since = session.last_activity_ts.checked_add(session.idle_timeout_seconds);
        require(session.mode == mode::USAGE && idle_since.is_some_and(|t| ts > t), DvpnError::SessionNotIdle)?;
    }
    if session.state != session_state::ACTIVE {
        return Err(not_active(session));
    }

    let mut provider_amount = 0;
    let mut fee = 0;
    let mut refund = 0;
    if session.mode == mode::TIME {
        // Only the user gets here: pay the elapsed time now and give the rest back at once.
        let tokens = settle_token_accounts(
            program_id,
            session,
            provider,
            config,
            [vault, user_token, provider_token, treasury_token, token_program],
        )?;
        let elapsed = session.elapsed_at(ts);
        (provider_amount, fee) =
            pay_time_through(session_view, session, provider, provider_authority, treasury, &tokens, elapsed)?;
        refund = refund_rest(session_view, session, signer, &tokens, false)?;
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
