//! `stake_provider`: Moves lamports from the authority into the provider stake vault.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::stake::{check_vault, emit_stake_changed, kind, load_own_provider};
use crate::{
    args::Args,
    error::DvpnError,
    take_accounts,
    utils::{check_system_program, now, require},
};
use pinocchio::{AccountView, Address, ProgramResult};
use pinocchio_system::instructions::Transfer as SystemTransfer;

#[inline(always)]
pub fn process_stake_provider(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, provider_view, vault_view, system_program]);
    let mut args = Args::new(data);
    let amount = args.u64()?;
    args.finish()?;
    require(amount > 0, DvpnError::ZeroAmount)?;
    check_system_program(system_program)?;
    let provider = load_own_provider(program_id, authority, provider_view)?;
    check_vault(program_id, provider_view, vault_view)?;

    provider.stake_lamports = provider.stake_lamports.checked_add(amount).ok_or(DvpnError::ArithmeticOverflow)?;
    SystemTransfer { from: authority, to: vault_view, lamports: amount }.invoke()?;
    emit_stake_changed(provider_view, provider, kind::STAKE, amount, now()?);
    Ok(())
}
