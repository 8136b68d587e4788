//! Amount arithmetic without 128-bit intermediates (the upstream BPF backend
//! has no 128-bit multiply; see docs/BUILD.md): fees and pro-rata earnings.

use crate::error::DvpnError;
use pinocchio::error::ProgramError;

/// `a * b`, or None on overflow.
///
/// Upstream LLVM's BPF backend lowers a 64-bit overflow-checked multiply
/// (`checked_mul`, `*` under overflow-checks, even `a * b / a == b`, which
/// InstCombine recognises) to a 128-bit libcall it then refuses (`__multi3`).
/// So the product is built from 32-bit halves, where overflow is visible
/// without a wider type.
#[inline(always)]
pub fn mul_checked(a: u64, b: u64) -> Option<u64> {
    const LOW: u64 = 0xFFFF_FFFF;
    let (ah, al, bh, bl) = (a >> 32, a & LOW, b >> 32, b & LOW);
    if ah != 0 && bh != 0 {
        return None;
    }
    // At most one cross term is non-zero, and each half-product fits in u64.
    let cross = ah.wrapping_mul(bl) | al.wrapping_mul(bh);
    if cross > LOW {
        return None;
    }
    (cross << 32).checked_add(al.wrapping_mul(bl))
}

/// `payment * fee_bps / 10_000`, floored: the fee never creates a unit.
/// Split as `q * bps + r * bps / 10_000` (payment = q * 10_000 + r) so that
/// no intermediate exceeds u64 (fee_bps <= 10_000).
#[inline(always)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "fee_bps <= 10_000: q * bps <= payment and r * bps < 10_000^2, so the sum is at most payment; 10_000 is no zero divisor"
)]
pub fn protocol_fee(payment: u64, fee_bps: u16) -> u64 {
    let bps = fee_bps as u64;
    let (q, r) = (payment / 10_000, payment % 10_000);
    q.wrapping_mul(bps) + r.wrapping_mul(bps) / 10_000
}

/// What a time session has earned through second `t` of `duration`:
/// `escrow * t / duration`, floored (in the user's favour), exactly `escrow`
/// at the end. Computed as `q * t + r * t / duration` (escrow = q * duration
/// + r); with durations capped at a year `r * t < 2^50`.
#[inline(always)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "duration > 0 (returned early when 0); q * t + r * t / duration <= escrow since t <= duration"
)]
pub fn time_earned(escrow: u64, duration: u64, t: u64) -> Option<u64> {
    if duration == 0 {
        return Some(escrow);
    }
    let t = if t > duration { duration } else { t };
    let (q, r) = (escrow / duration, escrow % duration);
    Some(mul_checked(q, t)? + mul_checked(r, t)? / duration)
}

/// What a time session earned between seconds `from` and `to` of its duration.
#[inline(always)]
pub fn earned_between(escrow: u64, duration: u64, from: u64, to: u64) -> Result<u64, ProgramError> {
    let a = time_earned(escrow, duration, from).ok_or(DvpnError::ArithmeticOverflow)?;
    let b = time_earned(escrow, duration, to).ok_or(DvpnError::ArithmeticOverflow)?;
    b.checked_sub(a).ok_or_else(|| DvpnError::ArithmeticOverflow.into())
}
