//! register_provider, stake_provider, request_unstake, withdraw_stake.

use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use pinocchio_system::instructions::Transfer as SystemTransfer;

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{init, load, load_config, AccountState, Provider, StakeVault},
    take_accounts,
    utils::{check_system_program, create_pda_account, move_lamports, now, require, require_signer, require_writable},
};

/// Reputation before the first rating: the middle of 0..2000.
pub const INITIAL_REPUTATION: u16 = 1_000;

/// Which stake change an event reports (IDL `StakeChangeKind`).
mod kind {
    pub const STAKE: u8 = 0;
    pub const REQUEST_UNSTAKE: u8 = 1;
    pub const WITHDRAW: u8 = 2;
}

#[inline(always)]
pub fn process_register_provider(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, provider_view, stake_vault_view, system_program]);
    let mut args = Args::new(data);
    let provider_bump = args.u8()?;
    let vault_bump = args.u8()?;
    args.finish()?;

    require_signer(authority)?;
    require_writable(provider_view)?;
    require_writable(stake_vault_view)?;
    check_system_program(system_program)?;

    let pb = [provider_bump];
    create_pda_account(
        authority,
        provider_view,
        Provider::SPACE,
        program_id,
        program_id,
        &[Seed::from(b"provider"), Seed::from(authority.address().as_ref()), Seed::from(&pb)],
    )?;
    let vb = [vault_bump];
    create_pda_account(
        authority,
        stake_vault_view,
        StakeVault::SPACE,
        program_id,
        program_id,
        &[Seed::from(b"stake"), Seed::from(provider_view.address().as_ref()), Seed::from(&vb)],
    )?;

    let ts = now()?;
    let provider = init::<Provider>(provider_view)?;
    provider.authority = *authority.address();
    provider.reputation_score = INITIAL_REPUTATION;
    provider.registered_at = ts;
    provider.bump = provider_bump;
    provider.stake_vault_bump = vault_bump;
    let vault = init::<StakeVault>(stake_vault_view)?;
    vault.provider = *provider_view.address();
    vault.bump = vault_bump;

    Event::new(ev::PROVIDER_REGISTERED)
        .key(provider_view.address())
        .key(authority.address())
        .key(stake_vault_view.address())
        .i64(ts)
        .emit();
    Ok(())
}

/// The provider of `authority` and, when given, its stake vault.
#[inline(always)]
fn load_own_provider<'a>(
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
fn check_vault(program_id: &Address, provider_view: &AccountView, vault_view: &AccountView) -> ProgramResult {
    require_writable(vault_view)?;
    let vault = load::<StakeVault>(vault_view, program_id)?;
    require(&vault.provider == provider_view.address(), DvpnError::InvalidPda)
}

#[inline(always)]
fn emit_stake_changed(provider_view: &AccountView, provider: &Provider, kind: u8, amount: u64, ts: i64) {
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
    provider.unstaking_lamports -= amount;
    move_lamports(vault_view, authority, amount)?;
    emit_stake_changed(provider_view, provider, kind::WITHDRAW, amount, ts);
    Ok(())
}
