//! `update_node`: Provider authority only.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    state::{load, Node, Provider},
    take_accounts,
    utils::{now, require, require_signer, require_writable, write_padded},
};
use pinocchio::{AccountView, Address, ProgramResult};

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
