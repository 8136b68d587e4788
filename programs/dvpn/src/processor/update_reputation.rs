//! `update_reputation`: The session user rates an ended session once (1..5), never its own provider (SelfRating).
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{load, load_config, session_state, Provider, Session},
    take_accounts,
    utils::{now, require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

/// One session's rating counts at most this many times.
pub const MAX_RATING_WEIGHT: u64 = 100;

/// Weighted average rating (1..5) scaled to 0..2000: 1 star is 0, 5 stars is 2000.
#[inline(always)]
pub fn reputation_score(rating_sum: u64, rating_weight: u64) -> u16 {
    if rating_weight == 0 {
        return crate::processor::register_provider::INITIAL_REPUTATION;
    }
    match crate::utils::mul_checked(rating_sum.saturating_sub(rating_weight), 500) {
        #[allow(clippy::arithmetic_side_effects, reason = "rating_weight > 0 (returned early when 0)")]
        Some(v) => (v / rating_weight).min(2000) as u16,
        None => 2000,
    }
}

/// How many times a session's rating counts: the minimum payments it made, capped.
#[inline(always)]
pub fn rating_weight(paid: u64, minimum: u64) -> u64 {
    #[allow(clippy::arithmetic_side_effects, reason = "the divisor is at least 1")]
    let w = paid / minimum.max(1);
    if w > MAX_RATING_WEIGHT {
        MAX_RATING_WEIGHT
    } else {
        w
    }
}

#[inline(always)]
pub fn process_update_reputation(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [user, config_view, provider_view, session_view]);
    let mut args = Args::new(data);
    let rating = args.u8()?;
    args.finish()?;

    require_signer(user)?;
    require_writable(provider_view)?;
    require_writable(session_view)?;
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    let session = load::<Session>(session_view, program_id)?;
    require(user.address() == &session.user, DvpnError::NotSessionParty)?;
    require(provider_view.address() == &session.provider, DvpnError::InvalidPda)?;
    require(user.address() != &provider.authority, DvpnError::SelfRating)?;
    require((1..=5).contains(&rating), DvpnError::InvalidRating)?;
    let ts = now()?;
    require(session.state != session_state::ACTIVE || ts >= session.end_ts, DvpnError::SessionNotEnded)?;
    require(session.rated == 0, DvpnError::AlreadyRated)?;
    let minimum = if session.is_token() { config.min_rating_token } else { config.min_rating_lamports };
    let weight = rating_weight(session.claimed_amount, minimum);
    require(weight > 0, DvpnError::RatingNotEarned)?;

    session.rated = 1;
    let weighted = weight.wrapping_mul(rating as u64); // <= 100 * 5; see utils::mul_checked
    provider.rating_sum = provider.rating_sum.checked_add(weighted).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.rating_weight = provider.rating_weight.checked_add(weight).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.rating_count = provider.rating_count.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.reputation_score = reputation_score(provider.rating_sum, provider.rating_weight);

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
