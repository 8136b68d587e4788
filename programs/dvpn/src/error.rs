//! Program errors: the enum, its codes, names and messages are generated from
//! the wire contract (scripts/gen-idl.mjs -> generated.rs); idl/dvpn.json
//! names them for clients.

use pinocchio::error::ProgramError;

pub use crate::generated::{DvpnError, ERROR_NAMES};
use crate::generated::{ERROR_CODE_OFFSET, NAME_BLOB, NAME_ENDS};

impl DvpnError {
    /// The name the IDL gives this error.
    #[inline(always)]
    pub fn name(self) -> &'static str {
        Self::name_of(self as u32).unwrap_or("")
    }

    /// The name of a custom code, if it is one of ours.
    #[inline(always)]
    pub fn name_of(code: u32) -> Option<&'static str> {
        let i = code.checked_sub(ERROR_CODE_OFFSET)? as usize;
        let end = *NAME_ENDS.get(i)? as usize;
        #[allow(clippy::arithmetic_side_effects, reason = "i > 0 in the else branch")]
        let start = if i == 0 { 0 } else { NAME_ENDS[i - 1] as usize };
        NAME_BLOB.get(start..end)
    }
}

impl From<DvpnError> for ProgramError {
    #[inline(always)]
    fn from(e: DvpnError) -> Self {
        ProgramError::Custom(e as u32)
    }
}
