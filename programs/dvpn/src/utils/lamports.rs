//! Lamport moves between accounts this program owns (no CPI) and closing them.

use crate::error::DvpnError;
use crate::utils::rent_exempt_minimum;
use pinocchio::{account::RuntimeAccount, error::ProgramError, AccountView, ProgramResult};

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
