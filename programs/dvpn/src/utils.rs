//! Checks and moves shared by the instruction processors.

use pinocchio::{
    account::RuntimeAccount,
    cpi::{Seed, Signer},
    error::ProgramError,
    AccountView, Address, ProgramResult,
};
use pinocchio_system::instructions::{Allocate, Assign, CreateAccount, Transfer as SystemTransfer};
use pinocchio_token::instructions::{CloseAccount, Transfer as TokenTransfer};

use crate::error::DvpnError;

pub const SYSTEM_PROGRAM_ID: Address = Address::new_from_array([0; 32]);
pub const TOKEN_PROGRAM_ID: Address = pinocchio_token::ID;
/// SPL Token account layout: mint [0..32], owner [32..64], amount [64..72], state [108].
pub const TOKEN_ACCOUNT_LEN: usize = 165;
pub const MINT_LEN: usize = 82;

/// Splits the account list into named accounts; too few is `NotEnoughAccounts`.
#[macro_export]
macro_rules! take_accounts {
    ($accounts:expr, [$($name:ident),+ $(,)?]) => {
        let [$($name),+, ..] = $accounts else {
            return Err($crate::error::DvpnError::NotEnoughAccounts.into());
        };
    };
}

#[inline(always)]
pub fn require(cond: bool, err: DvpnError) -> ProgramResult {
    if cond {
        Ok(())
    } else {
        Err(err.into())
    }
}

#[inline(always)]
pub fn require_signer(account: &AccountView) -> ProgramResult {
    require(account.is_signer(), DvpnError::MissingSignature)
}

#[inline(always)]
pub fn require_writable(account: &AccountView) -> ProgramResult {
    require(account.is_writable(), DvpnError::AccountNotWritable)
}

#[inline(always)]
pub fn require_key(account: &AccountView, expected: &Address, err: DvpnError) -> ProgramResult {
    require(account.address() == expected, err)
}

/// Anchor passes the program id for an optional account that is absent.
#[inline(always)]
pub fn is_absent(account: &AccountView, program_id: &Address) -> bool {
    account.address() == program_id
}

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

/// Checks that `account` is the PDA of `seeds` (bump included) under
/// `program_id`: sha256(seeds || program_id || "ProgramDerivedAddress").
/// One hash (~100 CU) instead of `create_program_address` (1,500 CU) or
/// `find_program_address`; it gives a named error (InvalidPda) for a wrong
/// bump or a foreign address before the runtime's own check in the CPI.
#[inline(always)]
pub fn check_pda(account: &AccountView, seeds: &[Seed], program_id: &Address) -> ProgramResult {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        const MARKER: &[u8] = b"ProgramDerivedAddress";
        let mut parts: [&[u8]; 8] = [&[]; 8];
        require(seeds.len() <= 6, DvpnError::InvalidPda)?;
        for (i, s) in seeds.iter().enumerate() {
            parts[i] = s;
        }
        parts[seeds.len()] = program_id.as_ref();
        parts[seeds.len() + 1] = MARKER;
        let mut hash = [0u8; 32];
        // SAFETY: `parts` holds `seeds.len() + 2` valid slices (pointer, length
        // pairs, the layout sol_sha256 reads); `hash` has room for the digest.
        unsafe {
            pinocchio::syscalls::sol_sha256(parts.as_ptr() as *const u8, (seeds.len() + 2) as u64, hash.as_mut_ptr());
        }
        require(&hash == account.address().as_array(), DvpnError::InvalidPda)
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let _ = (account, seeds, program_id);
        Ok(())
    }
}

/// Checks that the last seed (the bump) is the canonical one: the largest bump
/// whose address is off the curve. Every larger bump must fail
/// `create_program_address` (its hash is on the curve). The canonical bump is
/// almost always 255 or 254, so this is zero or one call (~1,500 CU each).
/// (`sol_curve_validate_point` would be cheaper, but the embedded runtime
/// the tests and `make dev` use does not implement it.)
#[inline(always)]
pub fn check_canonical_bump(seeds: &[Seed], program_id: &Address) -> ProgramResult {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        let n = seeds.len();
        require((1..=6).contains(&n), DvpnError::InvalidPda)?;
        let bump = seeds[n - 1].first().copied().ok_or(DvpnError::InvalidPda)?;
        let mut candidate = [0u8; 1];
        let mut parts: [&[u8]; 6] = [&[]; 6];
        for (i, s) in seeds[..n - 1].iter().enumerate() {
            parts[i] = s;
        }
        let mut b = bump;
        while b < u8::MAX {
            b += 1;
            candidate[0] = b;
            let mut parts = parts;
            parts[n - 1] = &candidate;
            let mut address = [0u8; 32];
            // SAFETY: `parts` holds `n` valid slices (the seed layout the
            // syscall reads); `address` has room for the result.
            let valid = unsafe {
                pinocchio::syscalls::sol_create_program_address(
                    parts.as_ptr() as *const u8,
                    n as u64,
                    program_id.as_ref().as_ptr(),
                    address.as_mut_ptr(),
                ) == 0
            };
            // A larger bump that gives a valid PDA: `bump` is not canonical.
            require(!valid, DvpnError::NonCanonicalBump)?;
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let _ = (seeds, program_id);
        Ok(())
    }
}

/// Whether `account` can take `amount` more lamports and still pass the
/// runtime's rent check (an account below rent exemption may not gain
/// lamports and stay below it; an executable account may not change at all).
#[inline(always)]
pub fn can_receive_lamports(account: &AccountView, amount: u64) -> Result<bool, ProgramError> {
    if amount == 0 {
        return Ok(true);
    }
    if account.executable() {
        return Ok(false);
    }
    let after = account.lamports().checked_add(amount).ok_or(DvpnError::ArithmeticOverflow)?;
    Ok(after >= rent_exempt_minimum(account.data_len())?)
}

/// Creates a PDA account of `program_id` (owned by `owner`) funded to rent
/// exemption by `payer`. A wrong bump or foreign address is InvalidPda. An
/// address someone pre-funded is still taken over (top-up, allocate, assign)
/// so nobody can block a PDA with a transfer.
#[inline(always)]
pub fn create_pda_account(
    payer: &AccountView,
    account: &AccountView,
    space: usize,
    owner: &Address,
    program_id: &Address,
    signer_seeds: &[Seed],
) -> ProgramResult {
    check_pda(account, signer_seeds, program_id)?;
    check_canonical_bump(signer_seeds, program_id)?;
    if !account.owned_by(&SYSTEM_PROGRAM_ID) || !account.is_data_empty() {
        return Err(DvpnError::AlreadyInitialized.into());
    }
    let lamports = rent_exempt_minimum(space)?;
    let signer = [Signer::from(signer_seeds)];
    let current = account.lamports();
    if current == 0 {
        CreateAccount { from: payer, to: account, lamports, space: space as u64, owner }.invoke_signed(&signer)
    } else {
        if current < lamports {
            SystemTransfer { from: payer, to: account, lamports: lamports - current }.invoke()?;
        }
        Allocate { account, space: space as u64 }.invoke_signed(&signer)?;
        Assign { account, owner }.invoke_signed(&signer)
    }
}

/// Moves lamports out of an account this program owns (no CPI needed).
#[inline(always)]
pub fn move_lamports(from: &AccountView, to: &AccountView, amount: u64) -> ProgramResult {
    if amount == 0 {
        return Ok(());
    }
    let from_balance = from.lamports().checked_sub(amount).ok_or(DvpnError::ArithmeticOverflow)?;
    // SAFETY: both pointers come from the runtime's account views; lamports is
    // a plain u64. Reading `to` after writing `from` keeps a duplicated
    // account (from == to) balanced.
    unsafe {
        (*(from.account_ptr() as *mut RuntimeAccount)).lamports = from_balance;
        let to_balance = to.lamports().checked_add(amount).ok_or(DvpnError::ArithmeticOverflow)?;
        (*(to.account_ptr() as *mut RuntimeAccount)).lamports = to_balance;
    }
    Ok(())
}

/// Closes a program-owned account: every lamport to `destination`, data gone.
#[inline(always)]
pub fn close_program_account(account: &AccountView, destination: &AccountView) -> ProgramResult {
    move_lamports(account, destination, account.lamports())?;
    // SAFETY: no data borrow is alive for `account` (processors read state
    // through `state::load`, whose references end before this call).
    unsafe {
        let mut view = *account;
        view.close_unchecked();
    }
    Ok(())
}

/// A classic SPL Token account of `mint` owned by `owner`, read in place.
#[inline(always)]
pub fn check_token_account(account: &AccountView, mint: &Address, owner: &Address) -> ProgramResult {
    require(
        account.owned_by(&TOKEN_PROGRAM_ID) && account.data_len() == TOKEN_ACCOUNT_LEN,
        DvpnError::InvalidTokenAccount,
    )?;
    // SAFETY: length checked; token accounts are plain bytes.
    let data = unsafe { core::slice::from_raw_parts(account.data_ptr(), TOKEN_ACCOUNT_LEN) };
    require(&data[0..32] == mint.as_ref(), DvpnError::InvalidTokenAccount)?;
    require(&data[32..64] == owner.as_ref(), DvpnError::InvalidTokenAccount)
}

/// The balance of an SPL Token account, read in place.
#[inline(always)]
pub fn token_amount(account: &AccountView) -> Result<u64, ProgramError> {
    require(
        account.owned_by(&TOKEN_PROGRAM_ID) && account.data_len() == TOKEN_ACCOUNT_LEN,
        DvpnError::InvalidTokenAccount,
    )?;
    // SAFETY: length checked; bytes 64..72 are the little-endian amount.
    let data = unsafe { core::slice::from_raw_parts(account.data_ptr(), TOKEN_ACCOUNT_LEN) };
    let mut amount = [0u8; 8];
    amount.copy_from_slice(&data[64..72]);
    Ok(u64::from_le_bytes(amount))
}

#[inline(always)]
pub fn check_token_program(account: &AccountView) -> ProgramResult {
    require_key(account, &TOKEN_PROGRAM_ID, DvpnError::InvalidProgram)
}

#[inline(always)]
pub fn check_system_program(account: &AccountView) -> ProgramResult {
    require_key(account, &SYSTEM_PROGRAM_ID, DvpnError::InvalidProgram)
}

/// Token transfer out of a vault signed by its owner PDA.
#[inline(always)]
pub fn token_transfer_signed(
    from: &AccountView,
    to: &AccountView,
    authority: &AccountView,
    amount: u64,
    signer_seeds: &[Seed],
) -> ProgramResult {
    if amount == 0 {
        return Ok(());
    }
    TokenTransfer::new(from, to, authority, amount).invoke_signed(&[Signer::from(signer_seeds)])
}

/// Closes an empty token vault, its rent to `destination`.
#[inline(always)]
pub fn token_close_signed(
    account: &AccountView,
    destination: &AccountView,
    authority: &AccountView,
    signer_seeds: &[Seed],
) -> ProgramResult {
    CloseAccount::new(account, destination, authority).invoke_signed(&[Signer::from(signer_seeds)])
}

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
pub fn time_earned(escrow: u64, duration: u64, t: u64) -> Option<u64> {
    if duration == 0 {
        return Some(escrow);
    }
    let t = if t > duration { duration } else { t };
    let (q, r) = (escrow / duration, escrow % duration);
    Some(mul_checked(q, t)? + mul_checked(r, t)? / duration)
}

/// Copies a UTF-8 string argument into a zero-padded fixed field.
#[inline(always)]
pub fn write_padded(dst: &mut [u8], src: &[u8]) -> ProgramResult {
    // NUL would end the string early when it is read back.
    require(!src.is_empty() && src.len() <= dst.len() && !src.contains(&0), DvpnError::StringTooLong)?;
    dst.fill(0);
    dst[..src.len()].copy_from_slice(src);
    Ok(())
}

/// sha256 applied `n` times to `value`, hashing in place: the syscall reads
/// its whole input before it writes the digest, so one buffer serves both.
#[inline(always)]
pub fn sha256_n(value: &[u8; 32], n: u64) -> [u8; 32] {
    let mut out = *value;
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        let input: [&[u8]; 1] = [&out];
        let descriptor = input.as_ptr() as *const u8;
        let digest = out.as_ptr() as *mut u8;
        let mut i = 0;
        while i < n {
            // SAFETY: `descriptor` describes the 32-byte `out`, which is also
            // the 32-byte destination.
            unsafe { pinocchio::syscalls::sol_sha256(descriptor, 1, digest) };
            i += 1;
        }
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let mut i = 0;
        while i < n {
            out = sha256(&out);
            i += 1;
        }
    }
    out
}

#[inline(always)]
pub fn sha256(value: &[u8; 32]) -> [u8; 32] {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        let mut out = [0u8; 32];
        let slice: [&[u8]; 1] = [value];
        // SAFETY: one input slice of 32 bytes, 32-byte output buffer.
        unsafe {
            pinocchio::syscalls::sol_sha256(slice.as_ptr() as *const u8, 1, out.as_mut_ptr());
        }
        out
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        // Host builds (unit tests) hash with the sha2 crate.
        use sha2::Digest;
        sha2::Sha256::digest(value).into()
    }
}

/// What a time session earned between seconds `from` and `to` of its duration.
#[inline(always)]
pub fn earned_between(escrow: u64, duration: u64, from: u64, to: u64) -> Result<u64, ProgramError> {
    let a = time_earned(escrow, duration, from).ok_or(DvpnError::ArithmeticOverflow)?;
    let b = time_earned(escrow, duration, to).ok_or(DvpnError::ArithmeticOverflow)?;
    b.checked_sub(a).ok_or_else(|| DvpnError::ArithmeticOverflow.into())
}
