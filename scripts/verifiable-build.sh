#!/usr/bin/env bash
# A verifiable build of the program: builds dvpn.so from a commit's committed
# source only (git archive, never the working tree), in a fresh directory with
# a fresh target dir outside the clone, and prints its hashes. With --twice it
# builds twice, in two different directories, and fails unless both builds
# are byte-identical, so the published hash is one anyone can reproduce.
#
#   scripts/verifiable-build.sh [--twice] [--out DIR] [COMMIT]   (default HEAD)
#
# The hash to publish is the "executable sha256": sha256 of dvpn.so with its
# trailing zero bytes dropped, which is what scripts/verify-program.ts (and
# solana-verify) compute from the deployed program. The toolchain is part of
# the recipe: rustc, sbpf-linker and LLVM versions are printed with it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
TOOLS="${DVPN_TOOLS:-$HOME/.cache/dvpn-tools}"
WORK="${DVPN_VERIFIABLE_DIR:-$HOME/.cache/dvpn-verifiable}"
RUSTC_BIN="${BPF_RUSTC:-/usr/bin/rustc}"
LINKER="$TOOLS/bin/sbpf-linker"
TWICE=0
OUT="$REPO/target/verifiable"
REF=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --twice) TWICE=1 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "verifiable-build: unknown option $1" >&2; exit 2 ;;
    *) REF="$1" ;;
  esac
  shift
done
COMMIT=$(git rev-parse --verify "$REF^{commit}" 2>/dev/null) || { echo "verifiable-build: $REF is not a commit" >&2; exit 2; }
[ -x "$LINKER" ] || { echo "verifiable-build: $LINKER missing: run make toolchain" >&2; exit 2; }
if ! git diff --quiet "$COMMIT" -- programs Cargo.toml Cargo.lock .cargo 2>/dev/null; then
  echo "verifiable-build: note: the working tree's program source differs from $COMMIT; building $COMMIT as committed" >&2
fi

exe_hash() { node -e 'const b=require("fs").readFileSync(process.argv[1]);let e=b.length;while(e>0&&b[e-1]===0)e--;console.log(require("crypto").createHash("sha256").update(b.subarray(0,e)).digest("hex"))' "$1"; }

build() { # build N -> path of the built .so
  local dir="$WORK/$COMMIT-$1"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  git archive "$COMMIT" Cargo.toml Cargo.lock .cargo programs | tar -x -C "$dir/src"
  # Fresh target dir: nothing from an earlier build can leak in. The crates
  # come from Cargo.lock (--locked) through the usual cargo cache ($CARGO_HOME).
  (cd "$dir/src" && RUSTC="$RUSTC_BIN" CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER="$LINKER" CARGO_TARGET_DIR="$dir/target" \
    cargo build --release --locked --target bpfel-unknown-none -p dvpn >"$dir/build.log" 2>&1) \
    || { tail -30 "$dir/build.log" >&2; echo "verifiable-build: build $1 failed (log: $dir/build.log)" >&2; exit 1; }
  echo "$dir/target/bpfel-unknown-none/release/libdvpn.so"
}

echo "commit       $COMMIT"
echo "rustc        $("$RUSTC_BIN" --version)"
echo "debian pkg   rustc-web $(dpkg-query -W -f '${Version}' rustc-web 2>/dev/null || echo unknown)"
echo "sbpf-linker  $("$LINKER" --version 2>&1 | head -1)"
echo "llvm         $(/usr/lib/llvm-22/bin/llvm-config --version 2>/dev/null || echo unknown)"
SO1=$(build 1)
mkdir -p "$OUT"
cp "$SO1" "$OUT/dvpn.so"
H1=$(exe_hash "$SO1")
echo "$H1  dvpn.so" >"$OUT/dvpn.so.sha256"
echo "size         $(stat -c %s "$SO1") bytes"
echo "file sha256  $(sha256sum "$SO1" | cut -d' ' -f1)"
echo "executable sha256 (publish this)  $H1"
if [ "$TWICE" = 1 ]; then
  SO2=$(build 2)
  H2=$(exe_hash "$SO2")
  if cmp -s "$SO1" "$SO2"; then
    echo "second build (another directory): identical, $H2"
  else
    echo "verifiable-build: NOT REPRODUCIBLE: build 1 $H1, build 2 $H2" >&2
    exit 1
  fi
fi
rm -rf "$WORK/$COMMIT-1" "$WORK/$COMMIT-2"
echo "wrote $OUT/dvpn.so and $OUT/dvpn.so.sha256"
