//! `update_config`: Admin only.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::config::{check_mint, emit_config, read_values, write};
use crate::{
    args::Args,
    error::DvpnError,
    state::load_config,
    take_accounts,
    utils::{require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

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
