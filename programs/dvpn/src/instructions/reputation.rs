//! update_reputation: the session's user rates an ended session once.

use pinocchio::{AccountView, Address, ProgramResult};

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{load, session_state, Provider, Session},
    take_accounts,
    utils::{now, require, require_signer, require_writable},
};

/// Average rating (1..5) scaled to 0..2000: 1 star is 0, 5 stars is 2000.
#[inline(always)]
pub fn reputation_score(rating_sum: u64, rating_count: u32) -> u16 {
    if rating_count == 0 {
        return crate::instructions::provider::INITIAL_REPUTATION;
    }
    let count = rating_count as u64;
    match crate::utils::mul_checked(rating_sum.saturating_sub(count), 500) {
        Some(v) => (v / count).min(2000) as u16,
        None => 2000,
    }
}

#[inline(always)]
pub fn process_update_reputation(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [user, provider_view, session_view]);
    let mut args = Args::new(data);
    let rating = args.u8()?;
    args.finish()?;

    require_signer(user)?;
    require_writable(provider_view)?;
    require_writable(session_view)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    let session = load::<Session>(session_view, program_id)?;
    require(user.address() == &session.user, DvpnError::NotSessionParty)?;
    require(provider_view.address() == &session.provider, DvpnError::InvalidPda)?;
    require((1..=5).contains(&rating), DvpnError::InvalidRating)?;
    let ts = now()?;
    require(session.state != session_state::ACTIVE || ts >= session.end_ts, DvpnError::SessionNotEnded)?;
    require(session.rated == 0, DvpnError::AlreadyRated)?;

    session.rated = 1;
    provider.rating_sum = provider.rating_sum.checked_add(rating as u64).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.rating_count = provider.rating_count.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.reputation_score = reputation_score(provider.rating_sum, provider.rating_count);

    Event::new(ev::REPUTATION_UPDATED)
        .key(provider_view.address())
        .key(session_view.address())
        .key(user.address())
        .i64(ts)
        .u32(provider.rating_count)
        .u16(provider.reputation_score)
        .u8(rating)
        .emit();
    Ok(())
}
