//! DVPN on-chain program: provider and node registry, session escrow in SOL or
//! a token (USDC), time-based and hash-chain usage billing with incremental
//! claims, refunds, disputes, reputation, staking and slashing.
//!
//! Pinocchio, `no_std`, Anchor wire format (see idl/dvpn.json and
//! docs/PROGRAM.md for the rules).
#![no_std]

// Host builds (unit tests, tooling) link std for its panic handler and allocator.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
extern crate std;

pub mod args;
pub mod error;
pub mod events;
pub mod generated;
pub mod instructions;
pub mod state;
pub mod utils;

use pinocchio::{error::ProgramError, AccountView, Address, ProgramResult};

pinocchio::address::declare_id!("BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD");

pub use generated::ix_discriminator;

#[cfg(all(any(target_os = "solana", target_arch = "bpf"), not(feature = "no-entrypoint")))]
mod entrypoint {
    use core::mem::MaybeUninit;
    use pinocchio::{entrypoint::deserialize, AccountView};

    /// The largest instruction takes 14 accounts; a small array keeps the frame small.
    const MAX_ACCOUNTS: usize = 16;

    /// Our own entrypoint rather than `program_entrypoint!`: upstream LLVM's
    /// BPF backend has no stack arguments, so `process_instruction` (five
    /// argument registers plus the result pointer) must be inlined, and a
    /// direct call guarantees that where the macro's function pointer may not.
    ///
    /// # Safety
    /// Called by the runtime with its serialized input.
    #[no_mangle]
    pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
        const UNINIT: MaybeUninit<AccountView> = MaybeUninit::<AccountView>::uninit();
        let mut accounts = [UNINIT; MAX_ACCOUNTS];
        // SAFETY: `input` is the runtime's serialized input.
        let (program_id, count, data) = unsafe { deserialize::<MAX_ACCOUNTS>(input, &mut accounts) };
        // SAFETY: `deserialize` initialised the first `count` views.
        let accounts = unsafe { core::slice::from_raw_parts_mut(accounts.as_mut_ptr() as *mut AccountView, count) };
        match super::process_instruction(program_id, accounts, data) {
            Ok(()) => pinocchio::SUCCESS,
            Err(e) => e.into(),
        }
    }

    pinocchio::no_allocator!();
    pinocchio::nostd_panic_handler!();
}

/// Dispatches on the 8-byte discriminator and logs a failing error's name once.
#[inline(always)]
pub fn process_instruction(program_id: &Address, accounts: &mut [AccountView], data: &[u8]) -> ProgramResult {
    let result = dispatch(program_id, accounts, data);
    if let Err(ProgramError::Custom(code)) = result {
        if let Some(name) = error::DvpnError::name_of(code) {
            log_error(name);
        }
    }
    result
}

#[inline(always)]
fn dispatch(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    use instructions::*;
    use ix_discriminator as d;
    if data.len() < 8 {
        return Err(error::DvpnError::InvalidInstruction.into());
    }
    let (disc, rest) = data.split_at(8);
    let disc: [u8; 8] = [disc[0], disc[1], disc[2], disc[3], disc[4], disc[5], disc[6], disc[7]];
    match disc {
        d::INITIALIZE_CONFIG => config::process_initialize_config(program_id, accounts, rest),
        d::UPDATE_CONFIG => config::process_update_config(program_id, accounts, rest),
        d::ACCEPT_ADMIN => config::process_accept_admin(program_id, accounts, rest),
        d::REGISTER_PROVIDER => provider::process_register_provider(program_id, accounts, rest),
        d::STAKE_PROVIDER => provider::process_stake_provider(program_id, accounts, rest),
        d::REQUEST_UNSTAKE => provider::process_request_unstake(program_id, accounts, rest),
        d::WITHDRAW_STAKE => provider::process_withdraw_stake(program_id, accounts, rest),
        d::REGISTER_NODE => node::process_register_node(program_id, accounts, rest),
        d::UPDATE_NODE => node::process_update_node(program_id, accounts, rest),
        d::OPEN_SESSION => open_session::process_open_session(program_id, accounts, rest),
        d::OPEN_SESSION_SPL => open_session::process_open_session_spl(program_id, accounts, rest),
        d::CLAIM_CHUNK => claim_chunk::process_claim_chunk(program_id, accounts, rest),
        d::CLOSE_SESSION => settle::process_close_session(program_id, accounts, rest),
        d::CLAIM_PAYOUT => settle::process_claim_payout(program_id, accounts, rest),
        d::RAISE_DISPUTE => dispute::process_raise_dispute(program_id, accounts, rest),
        d::RESOLVE_DISPUTE => dispute::process_resolve_dispute(program_id, accounts, rest),
        d::UPDATE_REPUTATION => reputation::process_update_reputation(program_id, accounts, rest),
        _ => Err(error::DvpnError::InvalidInstruction.into()),
    }
}

#[cold]
fn log_error(name: &str) {
    let mut buf = [0u8; 48];
    let prefix = b"Error: ";
    buf[..prefix.len()].copy_from_slice(prefix);
    let n = name.len().min(buf.len() - prefix.len());
    buf[prefix.len()..prefix.len() + n].copy_from_slice(&name.as_bytes()[..n]);
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: pointer and length describe initialised bytes of `buf`.
    unsafe {
        pinocchio::syscalls::sol_log_(buf.as_ptr(), (prefix.len() + n) as u64)
    };
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    let _ = buf;
}

#[cfg(test)]
mod tests;
