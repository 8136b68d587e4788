//! Events: `sol_log_data` of the Anchor event discriminator followed by the
//! Borsh-encoded fields (idl/dvpn.json `events`), so Anchor's EventParser and
//! the indexer read them from `Program data:` log lines.

use pinocchio::Address;

/// `sha256("event:<Name>")[..8]`, generated from the wire contract.
///
/// Most of an event's cost is `sol_log_data`'s charge per byte logged, so
/// events carry what the indexer needs and nothing more.
pub use crate::generated::event_discriminator as discriminator;

/// The largest event (NodeRegistered/NodeUpdated with full strings) fits.
const MAX_EVENT_LEN: usize = 320;

/// A Borsh writer into a stack buffer. Fields are written in IDL order.
pub struct Event {
    buf: [u8; MAX_EVENT_LEN],
    len: usize,
}

impl Event {
    #[inline(always)]
    pub fn new(discriminator: [u8; 8]) -> Self {
        let mut e = Event { buf: [0; MAX_EVENT_LEN], len: 0 };
        e.bytes(&discriminator);
        e
    }

    #[inline(always)]
    #[allow(
        clippy::arithmetic_side_effects,
        reason = "len <= MAX_EVENT_LEN: an index past the buffer panics before the sum is stored"
    )]
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        // Every event's maximum size is below MAX_EVENT_LEN (checked by the
        // IDL test); a longer write would be a bug, so it panics rather than
        // emitting a truncated event.
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
        self
    }

    #[inline(always)]
    pub fn key(&mut self, k: &Address) -> &mut Self {
        self.bytes(k.as_ref())
    }

    #[inline(always)]
    pub fn bytes32(&mut self, b: &[u8; 32]) -> &mut Self {
        self.bytes(b)
    }

    #[inline(always)]
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes(&[v])
    }

    #[inline(always)]
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    #[inline(always)]
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    #[inline(always)]
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    #[inline(always)]
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Borsh string: u32 length then the bytes.
    #[inline(always)]
    pub fn string(&mut self, s: &[u8]) -> &mut Self {
        self.u32(s.len() as u32).bytes(s)
    }

    #[inline(always)]
    pub fn emit(&self) {
        #[cfg(any(target_os = "solana", target_arch = "bpf"))]
        {
            let data: [&[u8]; 1] = [&self.buf[..self.len]];
            // SAFETY: one slice descriptor pointing at initialised bytes.
            unsafe { pinocchio::syscalls::sol_log_data(data.as_ptr() as *const u8, 1) };
        }
    }

    #[inline(always)]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}
