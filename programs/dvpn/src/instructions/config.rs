//! initialize_config and update_config.

use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{init, load, AccountState, Config},
    take_accounts,
    utils::{
        check_system_program, create_pda_account, now, require, require_signer, require_writable, MINT_LEN,
        TOKEN_PROGRAM_ID,
    },
};

/// The protocol fee can never exceed 10% of a payment.
pub const MAX_FEE_BPS: u16 = 1_000;

struct ConfigValues {
    protocol_fee_bps: u16,
    min_provider_stake: u64,
    unbonding_seconds: i64,
    settle_window_seconds: i64,
}

#[inline(always)]
fn read_values(args: &mut Args) -> Result<ConfigValues, pinocchio::error::ProgramError> {
    let v = ConfigValues {
        protocol_fee_bps: args.u16()?,
        min_provider_stake: args.u64()?,
        unbonding_seconds: args.i64()?,
        settle_window_seconds: args.i64()?,
    };
    require(v.protocol_fee_bps <= MAX_FEE_BPS, DvpnError::FeeTooHigh)?;
    require(v.unbonding_seconds > 0 && v.settle_window_seconds > 0, DvpnError::InvalidConfigValue)?;
    Ok(v)
}

#[inline(always)]
fn check_mint(mint: &AccountView) -> ProgramResult {
    require(mint.owned_by(&TOKEN_PROGRAM_ID) && mint.data_len() == MINT_LEN, DvpnError::InvalidMint)
}

#[inline(always)]
fn write(config: &mut Config, admin: &Address, treasury: &Address, mint: &Address, v: &ConfigValues) -> ProgramResult {
    config.admin = *admin;
    config.treasury = *treasury;
    config.token_mint = *mint;
    config.protocol_fee_bps = v.protocol_fee_bps;
    config.min_provider_stake = v.min_provider_stake;
    config.unbonding_seconds = v.unbonding_seconds;
    config.settle_window_seconds = v.settle_window_seconds;
    Event::new(ev::CONFIG_UPDATED)
        .key(admin)
        .key(treasury)
        .key(mint)
        .u64(v.min_provider_stake)
        .i64(v.unbonding_seconds)
        .i64(v.settle_window_seconds)
        .i64(now()?)
        .u16(v.protocol_fee_bps)
        .emit();
    Ok(())
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
    write(config, admin.address(), treasury.address(), token_mint.address(), &values)
}

#[inline(always)]
pub fn process_update_config(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [admin, config_view, new_admin, treasury, token_mint]);
    let mut args = Args::new(data);
    let values = read_values(&mut args)?;
    args.finish()?;

    require_signer(admin)?;
    require_writable(config_view)?;
    let config = load::<Config>(config_view, program_id)?;
    require(admin.address() == &config.admin, DvpnError::Unauthorized)?;
    check_mint(token_mint)?;
    write(config, new_admin.address(), treasury.address(), token_mint.address(), &values)
}
