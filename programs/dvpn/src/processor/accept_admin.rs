//! `accept_admin`: The proposed admin (Config.pending_admin) signs to become the admin.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::config::emit_config;
use crate::{
    args::Args,
    error::DvpnError,
    state::load_config,
    take_accounts,
    utils::{require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

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
