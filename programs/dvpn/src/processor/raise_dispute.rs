//! `raise_dispute`: The session user or the provider authority freezes the escrow until the admin resolves it or.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    processor::shared::escrow::{check_session_links, not_active, release_slot, slash_cap},
    state::{load, load_config, session_state, Node, Provider, Session},
    take_accounts,
    utils::{now, require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_raise_dispute(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(accounts, [signer, config_view, provider_view, node_view, session_view]);
    let mut args = Args::new(data);
    let reason = args.u8()?;
    args.finish()?;

    require_signer(signer)?;
    require_writable(provider_view)?;
    require_writable(node_view)?;
    require_writable(session_view)?;
    let config = load_config(config_view, program_id)?;
    let provider = load::<Provider>(provider_view, program_id)?;
    let node = load::<Node>(node_view, program_id)?;
    let session = load::<Session>(session_view, program_id)?;
    check_session_links(session, Some(node_view), provider_view, provider, None, config, None)?;
    require(signer.address() == &session.user || signer.address() == &provider.authority, DvpnError::NotSessionParty)?;
    if session.state != session_state::ACTIVE && session.state != session_state::CLOSING {
        return Err(not_active(session));
    }
    let ts = now()?;
    require(ts <= session.settle_deadline()?, DvpnError::DisputeTooLate)?;

    // What this dispute may slash is fixed now and cannot be withdrawn until
    // it is resolved, so unstaking after a dispute cannot shrink the slash.
    let stake_total =
        provider.stake_lamports.checked_add(provider.unstaking_lamports).ok_or(DvpnError::ArithmeticOverflow)?;
    session.dispute_lock = slash_cap(stake_total, config.max_slash_bps);
    provider.locked_lamports =
        provider.locked_lamports.checked_add(session.dispute_lock).ok_or(DvpnError::ArithmeticOverflow)?;
    provider.open_disputes = provider.open_disputes.checked_add(1).ok_or(DvpnError::ArithmeticOverflow)?;
    // A disputed session gets no more service: its slot is free for paying users
    // at once, so a dispute cannot hold a node's capacity for its whole window.
    release_slot(session, node, provider, ts)?;
    session.state = session_state::DISPUTED;
    session.disputed_by = *signer.address();
    session.dispute_reason = reason;
    session.dispute_ts = ts;

    Event::new(ev::DISPUTE_RAISED)
        .key(session_view.address())
        .key(&session.node)
        .key(provider_view.address())
        .key(signer.address())
        .i64(ts)
        .u8(reason)
        .u32(node.active_sessions)
        .emit();
    Ok(())
}
