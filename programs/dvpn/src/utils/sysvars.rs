//! Clock and Rent through their dedicated syscalls (the generic `sol_get_sysvar`
//! is refused by the embedded runtime).

use crate::error::DvpnError;
use crate::utils::mul_checked;
use pinocchio::error::ProgramError;

/// Current unix time from the Clock sysvar.
///
/// `sol_get_clock_sysvar` rather than `Clock::get()`: the generic
/// `sol_get_sysvar` is not supported by every runtime we run in.
#[inline(always)]
pub fn now() -> Result<i64, ProgramError> {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        // slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp
        let mut clock = [0i64; 5];
        // SAFETY: the syscall writes the 40-byte Clock into `clock`.
        #[allow(deprecated)]
        let rc = unsafe { pinocchio::syscalls::sol_get_clock_sysvar(clock.as_mut_ptr() as *mut u8) };
        if rc != 0 {
            return Err(ProgramError::UnsupportedSysvar);
        }
        Ok(clock[4])
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    Err(ProgramError::UnsupportedSysvar)
}

/// Rent-exempt minimum for `space` bytes, from the legacy Rent sysvar layout
/// (lamports_per_byte_year u64, exemption_threshold f64, burn_percent u8) that
/// `sol_get_rent_sysvar` still writes.
#[inline(always)]
pub fn rent_exempt_minimum(space: usize) -> Result<u64, ProgramError> {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        let mut rent = [0u64; 3];
        // SAFETY: the syscall writes the 17-byte Rent into `rent` (24 bytes).
        #[allow(deprecated)]
        let rc = unsafe { pinocchio::syscalls::sol_get_rent_sysvar(rent.as_mut_ptr() as *mut u8) };
        if rc != 0 {
            return Err(ProgramError::UnsupportedSysvar);
        }
        rent_minimum_from(rent[0], rent[1], space)
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let _ = space;
        Err(ProgramError::UnsupportedSysvar)
    }
}

/// (128 + space) * lamports_per_byte_year * threshold. The threshold is 2.0 on
/// every cluster; other values are handled in whole steps without floats.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects, reason = "space is an account size (at most 10 MiB), far from u64::MAX - 128")]
pub fn rent_minimum_from(lamports_per_byte_year: u64, threshold_bits: u64, space: usize) -> Result<u64, ProgramError> {
    const TWO: u64 = 0x4000_0000_0000_0000; // 2.0f64
    const ONE: u64 = 0x3FF0_0000_0000_0000; // 1.0f64
    let multiplier = match threshold_bits {
        TWO => 2,
        ONE => 1,
        _ => 2,
    };
    mul_checked(128u64 + space as u64, lamports_per_byte_year)
        .and_then(|v| mul_checked(v, multiplier))
        .ok_or_else(|| DvpnError::ArithmeticOverflow.into())
}
