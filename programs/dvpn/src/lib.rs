//! DVPN on-chain program: provider and node registry, session escrow in SOL or
//! a token (USDC), time-based and hash-chain usage billing with incremental
//! claims, refunds, disputes, reputation, staking and slashing.
//!
//! Pinocchio, `no_std`, Anchor wire format (see idl/dvpn.json and
//! docs/PROGRAM.md for the rules).
#![no_std]
// Amount arithmetic is checked (`checked_*`, `mul_checked`); every other `+ - * / %`
// carries an allow with the reason it cannot overflow, divide by zero or wrap.
#![warn(clippy::arithmetic_side_effects)]

// Host builds (unit tests, tooling) link std for its panic handler and allocator.
#[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
extern crate std;

pub mod args;
pub mod error;
pub mod events;
pub mod generated;
pub mod processor;
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

/// Runs the instruction (generated dispatch table: `generated::dispatch`) and
/// logs a failing error's name once.
#[inline(always)]
pub fn process_instruction(program_id: &Address, accounts: &mut [AccountView], data: &[u8]) -> ProgramResult {
    let result = generated::dispatch(program_id, accounts, data);
    if let Err(ProgramError::Custom(code)) = result {
        if let Some(name) = error::DvpnError::name_of(code) {
            utils::log_error(name);
        }
    }
    result
}

#[cfg(test)]
mod tests;
