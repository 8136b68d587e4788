//! sha256 through the syscall on chain, through the sha2 crate in host tests.

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
