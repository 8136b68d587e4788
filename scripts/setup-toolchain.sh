#!/usr/bin/env bash
# Installs what `make program` needs on a fresh Debian machine of this kind:
# Debian's rustc-web (rustc 1.96 / LLVM 22) with the prebuilt bpfel core
# library, and sbpf-linker 0.1.9 built against LLVM 22, cached outside the
# clone. Idempotent: each step is skipped when its result is already there.
# See docs/BUILD.md for why each piece is needed.
set -euo pipefail
TOOLS="${DVPN_TOOLS:-$HOME/.cache/dvpn-tools}"
APT_PKGS=(rustc-web libstd-rust-web-dev-bpf llvm-22-dev libpolly-22-dev libzstd-dev zlib1g-dev)

missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-toolchain: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x "$TOOLS/bin/sbpf-linker" ]; then
  echo "setup-toolchain: building sbpf-linker 0.1.9 into $TOOLS (about a minute)"
  LLVM_SYS_221_PREFIX=/usr/lib/llvm-22 RUSTFLAGS="-L /usr/lib/llvm-22/lib" \
    cargo install sbpf-linker --locked --version 0.1.9 --no-default-features \
      --features upstream-gallery-22 --root "$TOOLS"
fi

# `make test-rust` lints the program with the host toolchain's rustfmt and
# clippy (rustup's minimal profile leaves them out).
if command -v rustup >/dev/null 2>&1; then
  for c in clippy rustfmt; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
