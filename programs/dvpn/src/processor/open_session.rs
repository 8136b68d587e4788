//! `open_session`: Opens a session paid in SOL.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::processor::shared::open_session::{
    check_open, create_session, escrow_for, read_open_args, start_session, take_session_id,
};
use crate::{args::Args, take_accounts, utils::check_system_program};
use pinocchio::{AccountView, Address, ProgramResult};
use pinocchio_system::instructions::Transfer as SystemTransfer;

#[inline(always)]
pub fn process_open_session(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [user, config_view, provider_view, node_view, session_view, user_state, system_program]);
    let mut args = Args::new(data);
    let a = read_open_args(&mut args)?;
    let user_state_bump = args.u8()?;
    args.finish()?;

    check_system_program(system_program)?;
    let (config, provider, node) = check_open(program_id, user, config_view, provider_view, node_view, session_view)?;
    let (escrow, tick_amount) = escrow_for(&a, node.price_per_minute, node.price_per_tick)?;

    take_session_id(program_id, user, user_state, a.session_id, user_state_bump)?;
    create_session(program_id, user, node_view, session_view, &a)?;
    SystemTransfer { from: user, to: session_view, lamports: escrow }.invoke()?;
    let none = Address::new_from_array([0; 32]);
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
        &none,
        &none,
        0,
    )
}
