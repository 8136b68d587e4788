//! register_node and update_node.

use pinocchio::{cpi::Seed, AccountView, Address, ProgramResult};

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{init, load, load_config, AccountState, Node, Provider},
    take_accounts,
    utils::{check_system_program, create_pda_account, now, require, require_signer, require_writable, write_padded},
};

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
        &[Seed::from(b"node"), Seed::from(provider_view.address().as_ref()), Seed::from(&id), Seed::from(&bump)],
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

#[inline(always)]
pub fn process_update_node(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [authority, provider_view, node_view]);
    let mut args = Args::new(data);
    let price_per_minute = args.option(|a| a.u64())?;
    let price_per_minute_token = args.option(|a| a.u64())?;
    let max_capacity = args.option(|a| a.u32())?;
    let endpoint = args.option(|a| a.string())?;
    let region = args.option(|a| a.string())?;
    let wg_server_pubkey = args.option(|a| a.array::<32>())?;
    let is_active = args.option(|a| a.bool())?;
    let price_per_tick = args.option(|a| a.u64())?;
    let price_per_tick_token = args.option(|a| a.u64())?;
    args.finish()?;

    require_signer(authority)?;
    require_writable(node_view)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    require(authority.address() == &provider.authority, DvpnError::Unauthorized)?;
    let node = load::<Node>(node_view, program_id)?;
    require(&node.provider == provider_view.address(), DvpnError::InvalidPda)?;

    if let Some(p) = price_per_minute {
        node.price_per_minute = p;
    }
    if let Some(p) = price_per_minute_token {
        node.price_per_minute_token = p;
    }
    if let Some(p) = price_per_tick {
        node.price_per_tick = p;
    }
    if let Some(p) = price_per_tick_token {
        node.price_per_tick_token = p;
    }
    require(
        node.price_per_minute > 0
            || node.price_per_minute_token > 0
            || node.price_per_tick > 0
            || node.price_per_tick_token > 0,
        DvpnError::ZeroAmount,
    )?;
    if let Some(c) = max_capacity {
        require(c > 0, DvpnError::InvalidCapacity)?;
        node.max_capacity = c;
    }
    if let Some(e) = endpoint {
        write_padded(&mut node.endpoint, e)?;
    }
    if let Some(r) = region {
        write_padded(&mut node.region, r)?;
    }
    if let Some(k) = wg_server_pubkey {
        node.wg_server_pubkey = k;
    }
    if let Some(a) = is_active {
        node.is_active = a as u8;
    }

    Event::new(ev::NODE_UPDATED)
        .key(node_view.address())
        .key(provider_view.address())
        .bytes32(&node.wg_server_pubkey)
        .u64(node.price_per_minute)
        .u64(node.price_per_minute_token)
        .i64(now()?)
        .u32(node.max_capacity)
        .u32(node.active_sessions)
        .u8(node.is_active)
        .string(node.endpoint_str())
        .string(node.region_str())
        .u64(node.price_per_tick)
        .u64(node.price_per_tick_token)
        .emit();
    Ok(())
}
