//! initialize_config, update_config and accept_admin.

use pinocchio::{cpi::Seed, error::ProgramError, AccountView, Address, ProgramResult};

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    generated::{CONFIG_ADDRESS, CONFIG_BUMP},
    state::{init, load_config, AccountState, Config},
    take_accounts,
    utils::{
        check_system_program, create_pda_account, now, require, require_signer, require_writable, MINT_LEN,
        TOKEN_PROGRAM_ID,
    },
};

/// The protocol fee can never exceed 10% of a payment.
pub const MAX_FEE_BPS: u16 = 1_000;
/// One dispute can never slash more than 25% of a provider's stake.
pub const MAX_SLASH_BPS: u16 = 2_500;
/// Windows and timeouts: at least a second, at most 366 days.
pub const MAX_WINDOW_SECONDS: i64 = 366 * 24 * 3600;

struct ConfigValues {
    protocol_fee_bps: u16,
    min_provider_stake: u64,
    unbonding_seconds: i64,
    settle_window_seconds: i64,
    dispute_window_seconds: i64,
    idle_timeout_seconds: i64,
    min_rating_lamports: u64,
    min_rating_token: u64,
    max_slash_bps: u16,
}

#[inline(always)]
fn window_ok(seconds: i64) -> bool {
    seconds > 0 && seconds <= MAX_WINDOW_SECONDS
}

/// Reads the Config values and holds them to the bounds every admin is held to.
#[inline(always)]
fn read_values(args: &mut Args) -> Result<ConfigValues, ProgramError> {
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
fn check_mint(mint: &AccountView) -> ProgramResult {
    require(mint.owned_by(&TOKEN_PROGRAM_ID) && mint.data_len() == MINT_LEN, DvpnError::InvalidMint)
}

#[inline(always)]
fn emit_config(config: &Config) -> ProgramResult {
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
fn write(config: &mut Config, treasury: &Address, mint: &Address, v: &ConfigValues) {
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

#[inline(always)]
pub fn process_initialize_config(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [admin, config_view, treasury, token_mint, system_program]);
    let mut args = Args::new(data);
    let values = read_values(&mut args)?;
    let bump = args.u8()?;
    args.finish()?;

    require_signer(admin)?;
    require_writable(config_view)?;
    check_system_program(system_program)?;
    check_mint(token_mint)?;
    // Only the canonical address: a Config at any other bump would be a second Config.
    require(config_view.address().as_array() == &CONFIG_ADDRESS && bump == CONFIG_BUMP, DvpnError::InvalidConfig)?;

    let bump_seed = [bump];
    create_pda_account(
        admin,
        config_view,
        Config::SPACE,
        program_id,
        program_id,
        &[Seed::from(b"config"), Seed::from(&bump_seed)],
    )?;
    let config = init::<Config>(config_view)?;
    config.bump = bump;
    config.admin = *admin.address();
    write(config, treasury.address(), token_mint.address(), &values);
    emit_config(config)
}

#[inline(always)]
pub fn process_update_config(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [admin, config_view, new_admin, treasury, token_mint]);
    let mut args = Args::new(data);
    let values = read_values(&mut args)?;
    args.finish()?;

    require_signer(admin)?;
    require_writable(config_view)?;
    let config = load_config(config_view, program_id)?;
    require(admin.address() == &config.admin, DvpnError::Unauthorized)?;
    check_mint(token_mint)?;
    write(config, treasury.address(), token_mint.address(), &values);
    // Two steps: a key nobody holds can never become the admin.
    config.pending_admin =
        if new_admin.address() == admin.address() { Address::new_from_array([0; 32]) } else { *new_admin.address() };
    emit_config(config)
}

#[inline(always)]
pub fn process_accept_admin(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [new_admin, config_view]);
    Args::new(data).finish()?;
    require_signer(new_admin)?;
    require_writable(config_view)?;
    let config = load_config(config_view, program_id)?;
    require(
        config.pending_admin != Address::new_from_array([0; 32]) && new_admin.address() == &config.pending_admin,
        DvpnError::NotPendingAdmin,
    )?;
    config.admin = config.pending_admin;
    config.pending_admin = Address::new_from_array([0; 32]);
    emit_config(config)
}
