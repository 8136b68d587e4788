//! `request_unstake`: Starts unbonding.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::stake::{emit_stake_changed, kind, load_own_provider};
use crate::{
    args::Args,
    error::DvpnError,
    state::load_config,
    take_accounts,
    utils::{now, require},
};
use pinocchio::{AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_request_unstake(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, config_view, provider_view]);
    let mut args = Args::new(data);
    let amount = args.u64()?;
    args.finish()?;
    require(amount > 0, DvpnError::ZeroAmount)?;
    let config = load_config(config_view, program_id)?;
    let provider = load_own_provider(program_id, authority, provider_view)?;

    let ts = now()?;
    provider.stake_lamports = provider.stake_lamports.checked_sub(amount).ok_or(DvpnError::InsufficientStakeBalance)?;
    provider.unstaking_lamports =
        provider.unstaking_lamports.checked_add(amount).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.unstake_at = ts.checked_add(config.unbonding_seconds).ok_or(DvpnError::ArithmeticOverflow)?;
    emit_stake_changed(provider_view, provider, kind::REQUEST_UNSTAKE, amount, ts);
    Ok(())
}
