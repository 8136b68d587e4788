//! `claim_payout`: Settles and closes a session.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    processor::shared::escrow::{
        end_dispute, load_settlement, pay_time_through, refund_rest, release_slot, settle_token_accounts, SessionSeeds,
        Settlement,
    },
    state::{mode, session_state},
    take_accounts,
    utils::{
        close_program_account, now, require, require_signer, require_writable, token_amount, token_close_signed,
        token_transfer_signed,
    },
};
use pinocchio::{AccountView, Address, ProgramResult};

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
    let window_over = ts > session.settle_deadline()?;
    let dispute_expired = match session.state {
        // A dispute nobody resolved in time is settled by the default rule below.
        session_state::DISPUTED => {
            require(ts > session.dispute_deadline()?, DvpnError::DisputeWindowOpen)?;
            // A disputed usage session's revealed ticks stay claimable until the
            // settle deadline: the default rule waits for that too.
            require(session.mode != mode::USAGE || window_over, DvpnError::SettleWindowOpen)?;
            true
        }
        // Funds already settled: only the account's rent is left, which is the user's.
        session_state::CLOSED | session_state::RESOLVED => {
            require(caller.address() == user.address() || window_over, DvpnError::SettleWindowOpen)?;
            false
        }
        _ => {
            require(window_over, DvpnError::SettleWindowOpen)?;
            false
        }
    };

    let tokens = settle_token_accounts(
        program_id,
        session,
        provider,
        config,
        [vault, user_token, provider_token, treasury_token, token_program],
    )?;
    // Time sessions earn by the clock: through their end, or through the
    // dispute when one expired unresolved. Usage sessions earned what was claimed.
    let earned_through = if session.mode != mode::TIME {
        0
    } else if dispute_expired {
        session.elapsed_at(session.dispute_ts)
    } else if session.state == session_state::ACTIVE {
        session.duration_seconds()
    } else {
        0
    };
    let (provider_amount, fee) =
        pay_time_through(session_view, session, provider, provider_authority, treasury, &tokens, earned_through)?;
    // The user's wallet always takes this: the Session's rent follows it.
    let refund = refund_rest(session_view, session, user, &tokens, false)?;
    release_slot(session, node, provider, ts)?;
    if dispute_expired {
        end_dispute(session, provider);
        Event::new(ev::DISPUTE_RESOLVED)
            .key(session_view.address())
            .key(&session.node)
            .key(provider_view.address())
            .key(&session.payment_mint)
            .key(caller.address())
            .u64(provider_amount)
            .u64(fee)
            .u64(refund)
            .u64(0)
            .i64(ts)
            .u32(node.active_sessions)
            .emit();
    }

    let mut swept = 0;
    if let Some(t) = &tokens {
        let seeds = SessionSeeds::of(session);
        // Anyone can send tokens to the vault; closing it needs it empty, so
        // whatever is left beyond the escrow goes to the user rather than
        // blocking the close forever.
        swept = token_amount(t.vault)?;
        if swept > 0 {
            let to = t.user_token.ok_or(DvpnError::InvalidTokenAccount)?;
            token_transfer_signed(t.vault, to, session_view, swept, &seeds.seeds())?;
        }
        token_close_signed(t.vault, user, session_view, &seeds.seeds())?;
    }

    let event = {
        let mut e = Event::new(ev::PAYOUT_CLAIMED);
        // After a default dispute settlement the amounts were reported by DisputeResolved.
        let (p, f, r) = if dispute_expired { (0, 0, 0) } else { (provider_amount, fee, refund) };
        e.key(session_view.address())
            .key(&session.user)
            .key(&session.node)
            .key(&session.provider)
            .key(&session.payment_mint)
            .key(caller.address())
            .u64(p)
            .u64(f)
            .u64(r)
            .u64(session.claimed_amount)
            .u64(session.refunded_amount)
            .i64(ts)
            .u32(node.active_sessions)
            .u64(swept);
        e
    };
    close_program_account(session_view, user)?;
    event.emit();
    Ok(())
}
