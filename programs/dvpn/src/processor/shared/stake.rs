//! The provider's stake: loading the signer's own Provider and its vault, and
//! the StakeChanged event of stake_provider, request_unstake and withdraw_stake.

use crate::{
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{load, Provider, StakeVault},
    utils::{require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

/// Which stake change an event reports (IDL `StakeChangeKind`).
pub mod kind {
    pub const STAKE: u8 = 0;
    pub const REQUEST_UNSTAKE: u8 = 1;
    pub const WITHDRAW: u8 = 2;
}

/// The provider of `authority` and, when given, its stake vault.
#[inline(always)]
pub fn load_own_provider<'a>(
    program_id: &Address,
    authority: &AccountView,
    provider_view: &'a AccountView,
) -> Result<&'a mut Provider, pinocchio::error::ProgramError> {
    require_signer(authority)?;
    require_writable(provider_view)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    require(authority.address() == &provider.authority, DvpnError::Unauthorized)?;
    Ok(provider)
}

#[inline(always)]
pub fn check_vault(program_id: &Address, provider_view: &AccountView, vault_view: &AccountView) -> ProgramResult {
    require_writable(vault_view)?;
    let vault = load::<StakeVault>(vault_view, program_id)?;
    require(&vault.provider == provider_view.address(), DvpnError::InvalidPda)
}

#[inline(always)]
pub fn emit_stake_changed(provider_view: &AccountView, provider: &Provider, kind: u8, amount: u64, ts: i64) {
    Event::new(ev::STAKE_CHANGED)
        .key(provider_view.address())
        .key(&provider.authority)
        .u64(amount)
        .u64(provider.stake_lamports)
        .u64(provider.unstaking_lamports)
        .i64(provider.unstake_at)
        .i64(ts)
        .u8(kind)
        .emit();
}
