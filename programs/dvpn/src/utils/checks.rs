//! Account and argument checks: named accounts, signer, writable, fixed
//! program ids, token accounts, string fields. Each fails with its own DvpnError.

use crate::error::DvpnError;
use pinocchio::{AccountView, Address, ProgramResult};

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

#[inline(always)]
pub fn check_token_program(account: &AccountView) -> ProgramResult {
    require_key(account, &TOKEN_PROGRAM_ID, DvpnError::InvalidProgram)
}

#[inline(always)]
pub fn check_system_program(account: &AccountView) -> ProgramResult {
    require_key(account, &SYSTEM_PROGRAM_ID, DvpnError::InvalidProgram)
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
