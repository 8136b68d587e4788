//! `register_provider`: Creates the Provider and its StakeVault for the signing authority.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::generated::seed;
use crate::{
    args::Args,
    events::{discriminator as ev, Event},
    state::{init, AccountState, Provider, StakeVault},
    take_accounts,
    utils::{check_system_program, create_pda_account, now, require_signer, require_writable},
};
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};

/// Reputation before the first rating: the middle of 0..2000.
pub const INITIAL_REPUTATION: u16 = 1_000;

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
        &[Seed::from(seed::PROVIDER), Seed::from(authority.address().as_ref()), Seed::from(&pb)],
    )?;
    let vb = [vault_bump];
    create_pda_account(
        authority,
        stake_vault_view,
        StakeVault::SPACE,
        program_id,
        program_id,
        &[Seed::from(seed::STAKE_VAULT), Seed::from(provider_view.address().as_ref()), Seed::from(&vb)],
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
