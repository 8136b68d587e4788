//! `register_node`: Creates a Node.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::generated::seed;
use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{init, load, load_config, AccountState, Node, Provider},
    take_accounts,
    utils::{check_system_program, create_pda_account, now, require, require_signer, require_writable, write_padded},
};
use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_register_node(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, config_view, provider_view, node_view, system_program]);
    let mut args = Args::new(data);
    let node_id = args.u64()?;
    let endpoint = args.string()?;
    let region = args.string()?;
    let price_per_minute = args.u64()?;
    let price_per_minute_token = args.u64()?;
    let wg_server_pubkey: [u8; 32] = args.array()?;
    let max_capacity = args.u32()?;
    let node_bump = args.u8()?;
    let price_per_tick = args.u64()?;
    let price_per_tick_token = args.u64()?;
    args.finish()?;

    require_signer(authority)?;
    require_writable(provider_view)?;
    require_writable(node_view)?;
    check_system_program(system_program)?;
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    require(authority.address() == &provider.authority, DvpnError::Unauthorized)?;
    require(node_id == provider.node_count, DvpnError::InvalidNodeId)?;
    require(provider.stake_lamports >= config.min_provider_stake, DvpnError::InsufficientStake)?;
    require(max_capacity > 0, DvpnError::InvalidCapacity)?;
    require(
        price_per_minute > 0 || price_per_minute_token > 0 || price_per_tick > 0 || price_per_tick_token > 0,
        DvpnError::ZeroAmount,
    )?;

    let id = node_id.to_le_bytes();
    let bump = [node_bump];
    create_pda_account(
        authority,
        node_view,
        Node::SPACE,
        program_id,
        program_id,
        &[Seed::from(seed::NODE), Seed::from(provider_view.address().as_ref()), Seed::from(&id), Seed::from(&bump)],
    )?;
    let ts = now()?;
    let node = init::<Node>(node_view)?;
    node.provider = *provider_view.address();
    node.node_id = node_id;
    write_padded(&mut node.endpoint, endpoint)?;
    write_padded(&mut node.region, region)?;
    node.price_per_minute = price_per_minute;
    node.price_per_minute_token = price_per_minute_token;
    node.price_per_tick = price_per_tick;
    node.price_per_tick_token = price_per_tick_token;
    node.wg_server_pubkey = wg_server_pubkey;
    node.max_capacity = max_capacity;
    node.is_active = 1;
    node.created_at = ts;
    node.bump = node_bump;
    provider.node_count = provider.node_count.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;

    Event::new(ev::NODE_REGISTERED)
        .key(node_view.address())
        .key(provider_view.address())
        .bytes32(&node.wg_server_pubkey)
        .u64(node_id)
        .u64(price_per_minute)
        .u64(price_per_minute_token)
        .i64(ts)
        .u32(max_capacity)
        .string(endpoint)
        .string(region)
        .u64(price_per_tick)
        .u64(price_per_tick_token)
        .emit();
    Ok(())
}
