//! sha256 through the syscall on chain, through the sha2 crate in host tests.

/// sha256 applied `n` times to `value`, hashing in place: the syscall reads
/// its whole input before it writes the digest, so one buffer serves both.
#[inline(always)]
pub fn sha256_n(value: &[u8; 32], n: u64) -> [u8; 32] {
    let mut out = *value;
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    {
        /// The syscall's view of one `&[u8]`: address and length. Built from a
        /// raw pointer so no shared reference to `out` is alive while the
        /// syscall writes the digest into it.
        #[repr(C)]
        struct SliceDescriptor {
            addr: *const u8,
            len: u64,
        }
        let digest = out.as_mut_ptr();
        let input = SliceDescriptor { addr: digest as *const u8, len: 32 };
        let descriptor = &input as *const SliceDescriptor as *const u8;
        let mut i = 0;
        while i < n {
            // SAFETY: `descriptor` describes the 32-byte `out` through a
            // pointer with write provenance, and `out` is also the 32-byte
            // destination (the syscall reads its input before writing).
            unsafe { pinocchio::syscalls::sol_sha256(descriptor, 1, digest) };
            #[allow(clippy::arithmetic_side_effects, reason = "i < n <= u64::MAX")]
            {
                i += 1;
            }
        }
    }
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    {
        let mut i = 0;
        while i < n {
            out = sha256(&out);
            #[allow(clippy::arithmetic_side_effects, reason = "i < n <= u64::MAX")]
            {
                i += 1;
            }
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
