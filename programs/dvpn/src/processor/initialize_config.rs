//! `initialize_config`: Creates the one Config, at the canonical PDA of "config" only (any other address or bump is InvalidConfig).
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::config::{check_mint, emit_config, read_values, write};
use crate::{
    args::Args,
    error::DvpnError,
    generated::{seed, CONFIG_ADDRESS, CONFIG_BUMP},
    state::{init, AccountState, Config},
    take_accounts,
    utils::{check_system_program, create_pda_account, require, require_signer, require_writable},
};
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};

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
        &[Seed::from(seed::CONFIG), Seed::from(&bump_seed)],
    )?;
    let config = init::<Config>(config_view)?;
    config.bump = bump;
    config.admin = *admin.address();
    write(config, treasury.address(), token_mint.address(), &values);
    emit_config(config)
}
