//! The Config values initialize_config and update_config take, their bounds,
//! and the ConfigUpdated event all three config instructions emit.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::Config,
    utils::{now, require, MINT_LEN, TOKEN_PROGRAM_ID},
};
use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};

/// The protocol fee can never exceed 10% of a payment.
pub const MAX_FEE_BPS: u16 = 1_000;

/// One dispute can never slash more than 25% of a provider's stake.
pub const MAX_SLASH_BPS: u16 = 2_500;

/// Windows and timeouts: at least a second, at most 366 days.
pub const MAX_WINDOW_SECONDS: i64 = 366 * 24 * 3600;

pub struct ConfigValues {
    pub protocol_fee_bps: u16,
    pub min_provider_stake: u64,
    pub unbonding_seconds: i64,
    pub settle_window_seconds: i64,
    pub dispute_window_seconds: i64,
    pub idle_timeout_seconds: i64,
    pub min_rating_lamports: u64,
    pub min_rating_token: u64,
    pub max_slash_bps: u16,
}

#[inline(always)]
pub fn window_ok(seconds: i64) -> bool {
    seconds > 0 && seconds <= MAX_WINDOW_SECONDS
}

/// Reads the Config values and holds them to the bounds every admin is held to.
#[inline(always)]
pub fn read_values(args: &mut Args) -> Result<ConfigValues, ProgramError> {
    let v = ConfigValues {
        protocol_fee_bps: args.u16()?,
        min_provider_stake: args.u64()?,
        unbonding_seconds: args.i64()?,
        settle_window_seconds: args.i64()?,
        dispute_window_seconds: args.i64()?,
        idle_timeout_seconds: args.i64()?,
        min_rating_lamports: args.u64()?,
        min_rating_token: args.u64()?,
        max_slash_bps: args.u16()?,
    };
    require(v.protocol_fee_bps <= MAX_FEE_BPS, DvpnError::FeeTooHigh)?;
    require(
        window_ok(v.unbonding_seconds)
            && window_ok(v.settle_window_seconds)
            && window_ok(v.dispute_window_seconds)
            && window_ok(v.idle_timeout_seconds)
            && v.max_slash_bps <= MAX_SLASH_BPS,
        DvpnError::InvalidConfigValue,
    )?;
    Ok(v)
}

#[inline(always)]
pub fn check_mint(mint: &AccountView) -> ProgramResult {
    require(mint.owned_by(&TOKEN_PROGRAM_ID) && mint.data_len() == MINT_LEN, DvpnError::InvalidMint)
}

#[inline(always)]
pub fn emit_config(config: &Config) -> ProgramResult {
    Event::new(ev::CONFIG_UPDATED)
        .key(&config.admin)
        .key(&config.treasury)
        .key(&config.token_mint)
        .u64(config.min_provider_stake)
        .i64(config.unbonding_seconds)
        .i64(config.settle_window_seconds)
        .i64(now()?)
        .u16(config.protocol_fee_bps)
        .key(&config.pending_admin)
        .i64(config.dispute_window_seconds)
        .i64(config.idle_timeout_seconds)
        .u64(config.min_rating_lamports)
        .u64(config.min_rating_token)
        .u16(config.max_slash_bps)
        .emit();
    Ok(())
}

#[inline(always)]
pub fn write(config: &mut Config, treasury: &Address, mint: &Address, v: &ConfigValues) {
    config.treasury = *treasury;
    config.token_mint = *mint;
    config.protocol_fee_bps = v.protocol_fee_bps;
    config.min_provider_stake = v.min_provider_stake;
    config.unbonding_seconds = v.unbonding_seconds;
    config.settle_window_seconds = v.settle_window_seconds;
    config.dispute_window_seconds = v.dispute_window_seconds;
    config.idle_timeout_seconds = v.idle_timeout_seconds;
    config.min_rating_lamports = v.min_rating_lamports;
    config.min_rating_token = v.min_rating_token;
    config.max_slash_bps = v.max_slash_bps;
}
