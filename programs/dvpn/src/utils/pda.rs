//! Program-derived addresses: checking a PDA and its canonical bump, creating one.

use crate::error::DvpnError;
use crate::utils::{rent_exempt_minimum, SYSTEM_PROGRAM_ID};
use pinocchio::{
    cpi::{Seed, Signer},
    AccountView, Address, ProgramResult,
};
use pinocchio_system::instructions::{Allocate, Assign, CreateAccount, Transfer as SystemTransfer};

/// Checks that `account` is the PDA of `seeds` (bump included) under
/// `program_id`: sha256(seeds || program_id || "ProgramDerivedAddress").
/// One hash (~100 CU) instead of `create_program_address` (1,500 CU) or
/// `find_program_address`; it gives a named error (InvalidPda) for a wrong
/// bump or a foreign address before the runtime's own check in the CPI.
#[inline(always)]
pub fn check_pda(account: &AccountView, seeds: &[Seed], program_id: &Address) -> ProgramResult {
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        use crate::utils::require;
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
        use crate::utils::require;
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
            #[allow(clippy::arithmetic_side_effects, reason = "current < lamports")]
            let top_up = lamports - current;
            SystemTransfer { from: payer, to: account, lamports: top_up }.invoke()?;
        }
        Allocate { account, space: space as u64 }.invoke_signed(&signer)?;
        Assign { account, owner }.invoke_signed(&signer)
    }
}
