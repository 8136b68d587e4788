//! Program logs. Events (`sol_log_data`) live in `crate::events`.

/// Logs `Error: <name>` once when an instruction fails, so explorers and
/// clients that only see logs still read the error's name.
#[cold]
#[allow(clippy::arithmetic_side_effects, reason = "lengths of fixed buffers: prefix (7) < buf (48), n <= buf - prefix")]
pub fn log_error(name: &str) {
    let mut buf = [0u8; 48];
    let prefix = b"Error: ";
    buf[..prefix.len()].copy_from_slice(prefix);
    let n = name.len().min(buf.len() - prefix.len());
    buf[prefix.len()..prefix.len() + n].copy_from_slice(&name.as_bytes()[..n]);
    #[cfg(any(target_os = "solana", target_arch = "bpf"))]
    // SAFETY: pointer and length describe initialised bytes of `buf`.
    unsafe {
        pinocchio::syscalls::sol_log_(buf.as_ptr(), (prefix.len() + n) as u64)
    };
    #[cfg(not(any(target_os = "solana", target_arch = "bpf")))]
    let _ = buf;
}
