//! SPL Token: balances read in place, transfers and closes signed by a PDA.

use crate::error::DvpnError;
use crate::utils::{require, TOKEN_ACCOUNT_LEN, TOKEN_PROGRAM_ID};
use pinocchio::{
    cpi::{Seed, Signer},
    error::ProgramError,
    AccountView, ProgramResult,
};
use pinocchio_token::instructions::{CloseAccount, Transfer as TokenTransfer};

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
