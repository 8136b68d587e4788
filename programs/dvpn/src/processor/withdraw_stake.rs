//! `withdraw_stake`: After unbonding, sends the unstaking lamports back to the authority.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::stake::{check_vault, emit_stake_changed, kind, load_own_provider};
use crate::{
    args::Args,
    error::DvpnError,
    take_accounts,
    utils::{move_lamports, now, require, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_withdraw_stake(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, provider_view, vault_view]);
    Args::new(data).finish()?;
    let provider = load_own_provider(program_id, authority, provider_view)?;
    check_vault(program_id, provider_view, vault_view)?;
    require_writable(authority)?;

    require(provider.unstaking_lamports > 0, DvpnError::NothingToWithdraw)?;
    let ts = now()?;
    require(ts >= provider.unstake_at, DvpnError::UnbondingNotElapsed)?;
    // Stake that open disputes could slash stays until they are resolved. A
    // slash takes active stake first, so only the part active stake cannot
    // cover is kept back from the unbonding lamports.
    let keep = provider.locked_lamports.saturating_sub(provider.stake_lamports);
    let amount = provider.unstaking_lamports.saturating_sub(keep);
    require(amount > 0, DvpnError::StakeLockedByDispute)?;
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "amount = unstaking_lamports.saturating_sub(keep) <= unstaking_lamports"
    )]
    {
        provider.unstaking_lamports -= amount;
    }
    move_lamports(vault_view, authority, amount)?;
    emit_stake_changed(provider_view, provider, kind::WITHDRAW, amount, ts);
    Ok(())
}
