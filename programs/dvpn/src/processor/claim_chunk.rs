//! `claim_chunk`: Provider authority claims earned escrow.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    processor::shared::escrow::{check_session_links, not_active, pay_provider, token_accounts, Undeliverable},
    state::{load, load_config, mode, session_state, Provider, Session},
    take_accounts,
    utils::{earned_between, mul_checked, now, require, require_signer, require_writable, sha256_n},
};
use pinocchio::{AccountView, Address, ProgramResult};

/// Hashes verified in one claim at most; bounds the compute a claim can use.
pub const MAX_TICKS_PER_CLAIM: u64 = 512;

#[inline(always)]
pub fn process_claim_chunk(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            authority,
            config_view,
            provider_view,
            session_view,
            treasury,
            vault,
            provider_token,
            treasury_token,
            token_program
        ]
    );
    let mut args = Args::new(data);
    let tick = args.u64()?;
    let preimage: [u8; 32] = args.array()?;
    let bytes_used = args.u64()?;
    args.finish()?;

    require_signer(authority)?;
    require_writable(authority)?;
    require_writable(provider_view)?;
    require_writable(session_view)?;
    require_writable(treasury)?;
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    require(authority.address() == &provider.authority, DvpnError::Unauthorized)?;
    let session = load::<Session>(session_view, program_id)?;
    check_session_links(session, None, provider_view, provider, None, config, Some(treasury))?;

    // A usage session's revealed preimages are the user's own proof of
    // service: a dispute does not void them (a user cannot dispute to skip
    // paying for ticks already revealed), so they stay claimable until the
    // settle deadline. A disputed time session waits for the resolution.
    let claimable = session.state == session_state::ACTIVE
        || session.state == session_state::CLOSING
        || (session.state == session_state::DISPUTED && session.mode == mode::USAGE);
    if !claimable {
        return Err(not_active(session));
    }
    let ts = now()?;
    require(ts <= session.settle_deadline()?, DvpnError::ClaimWindowClosed)?;
    require(tick > session.last_tick, DvpnError::StaleClaim)?;
    require(bytes_used >= session.bytes_used, DvpnError::BytesUsedDecreased)?;

    let gross = if session.mode == mode::TIME {
        require(tick <= session.elapsed_at(ts), DvpnError::ClaimBeyondElapsed)?;
        earned_between(session.escrow_amount, session.duration_seconds(), session.last_tick, tick)?
    } else {
        require(tick <= session.max_ticks, DvpnError::TickBeyondChain)?;
        #[allow(clippy::arithmetic_side_effects, reason = "tick > last_tick (StaleClaim above)")]
        let steps = tick - session.last_tick;
        require(steps <= MAX_TICKS_PER_CLAIM, DvpnError::TooManyTicks)?;
        require(sha256_n(&preimage, steps) == session.last_proof_hash, DvpnError::InvalidPreimage)?;
        session.last_proof_hash = preimage;
        mul_checked(steps, session.tick_amount).ok_or(DvpnError::ArithmeticOverflow)?
    };

    let tokens = token_accounts(
        program_id,
        session,
        provider,
        config,
        vault,
        None,
        provider_token,
        treasury_token,
        token_program,
    )?;
    let (provider_amount, fee) =
        pay_provider(session_view, session, provider, authority, treasury, &tokens, gross, Undeliverable::Refuse)?;
    session.last_tick = tick;
    session.bytes_used = bytes_used;
    // A paying usage session is not idle (see close_session's eviction).
    session.last_activity_ts = ts;

    Event::new(ev::CHUNK_CLAIMED)
        .key(session_view.address())
        .key(&session.node)
        .key(provider_view.address())
        .key(&session.payment_mint)
        .u64(tick)
        .u64(gross)
        .u64(provider_amount)
        .u64(fee)
        .u64(session.claimed_amount)
        .u64(session.remaining_balance)
        .u64(bytes_used)
        .i64(ts)
        .emit();
    Ok(())
}
