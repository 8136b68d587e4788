//! `open_session_spl`: Opens a session paid in the Config token mint (USDC).
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::generated::seed;
use crate::processor::shared::open_session::{
    check_open, create_session, escrow_for, read_open_args, start_session, take_session_id,
};
use crate::{
    args::Args,
    error::DvpnError,
    take_accounts,
    utils::{
        check_system_program, check_token_account, check_token_program, create_pda_account, require, require_writable,
        TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM_ID,
    },
};
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};
use pinocchio_token::instructions::{InitializeAccount3, Transfer as TokenTransfer};

#[inline(always)]
pub fn process_open_session_spl(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            user,
            config_view,
            provider_view,
            node_view,
            session_view,
            vault,
            token_mint,
            user_token,
            token_program,
            user_state,
            system_program
        ]
    );
    let mut args = Args::new(data);
    let a = read_open_args(&mut args)?;
    let vault_bump = args.u8()?;
    let user_state_bump = args.u8()?;
    args.finish()?;

    check_system_program(system_program)?;
    check_token_program(token_program)?;
    let (config, provider, node) = check_open(program_id, user, config_view, provider_view, node_view, session_view)?;
    require(token_mint.address() == &config.token_mint, DvpnError::InvalidMint)?;
    check_token_account(user_token, &config.token_mint, user.address())?;
    require(node.price_per_minute_token > 0 || node.price_per_tick_token > 0, DvpnError::TokenPaymentsDisabled)?;
    require_writable(vault)?;
    require_writable(user_token)?;
    let (escrow, tick_amount) = escrow_for(&a, node.price_per_minute_token, node.price_per_tick_token)?;

    take_session_id(program_id, user, user_state, a.session_id, user_state_bump)?;
    create_session(program_id, user, node_view, session_view, &a)?;
    let vb = [vault_bump];
    create_pda_account(
        user,
        vault,
        TOKEN_ACCOUNT_LEN,
        &TOKEN_PROGRAM_ID,
        program_id,
        &[Seed::from(seed::VAULT), Seed::from(session_view.address().as_ref()), Seed::from(&vb)],
    )?;
    InitializeAccount3::new(vault, token_mint, session_view.address()).invoke()?;
    TokenTransfer::new(user_token, vault, user, escrow).invoke()?;
    start_session(
        config,
        user,
        provider_view,
        provider,
        node_view,
        node,
        session_view,
        &a,
        escrow,
        tick_amount,
        token_mint.address(),
        vault.address(),
        vault_bump,
    )
}
