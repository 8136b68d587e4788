//! Borsh reader for instruction arguments (the data after the 8-byte
//! instruction discriminator). Short or trailing data is `InvalidInstruction`.

use pinocchio::error::ProgramError;

use crate::error::DvpnError;

pub struct Args<'a> {
    data: &'a [u8],
    pos: usize,
}

#[inline(always)]
fn invalid() -> ProgramError {
    DvpnError::InvalidInstruction.into()
}

impl<'a> Args<'a> {
    #[inline(always)]
    pub fn new(data: &'a [u8]) -> Self {
        Args { data, pos: 0 }
    }

    #[inline(always)]
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], ProgramError> {
        let end = self.pos.checked_add(n).ok_or_else(invalid)?;
        let out = self.data.get(self.pos..end).ok_or_else(invalid)?;
        self.pos = end;
        Ok(out)
    }

    #[inline(always)]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], ProgramError> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, ProgramError> {
        Ok(self.bytes(1)?[0])
    }

    #[inline(always)]
    pub fn bool(&mut self) -> Result<bool, ProgramError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(invalid()),
        }
    }

    #[inline(always)]
    pub fn u16(&mut self) -> Result<u16, ProgramError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    #[inline(always)]
    pub fn u32(&mut self) -> Result<u32, ProgramError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    #[inline(always)]
    pub fn u64(&mut self) -> Result<u64, ProgramError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    #[inline(always)]
    pub fn i64(&mut self) -> Result<i64, ProgramError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// Borsh string: u32 length, then UTF-8 bytes.
    #[inline(always)]
    pub fn string(&mut self) -> Result<&'a [u8], ProgramError> {
        let len = self.u32()? as usize;
        let s = self.bytes(len)?;
        core::str::from_utf8(s).map_err(|_| invalid())?;
        Ok(s)
    }

    /// Borsh Option: 0 = None, 1 = Some(value).
    #[inline(always)]
    pub fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, ProgramError>,
    ) -> Result<Option<T>, ProgramError> {
        match self.u8()? {
            0 => Ok(None),
            1 => Ok(Some(read(self)?)),
            _ => Err(invalid()),
        }
    }

    /// All data consumed: trailing bytes mean the client and program disagree.
    #[inline(always)]
    pub fn finish(&self) -> Result<(), ProgramError> {
        if self.pos == self.data.len() {
            Ok(())
        } else {
            Err(invalid())
        }
    }
}
