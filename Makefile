# DVPN: `make dev` runs the platform on embedded defaults, `make test` runs every test.
SHELL := /bin/bash
TOOLS ?= $(HOME)/.cache/dvpn-tools
SBPF_LINKER := $(TOOLS)/bin/sbpf-linker
BPF_RUSTC ?= /usr/bin/rustc
PROGRAM_SO := target/deploy/dvpn.so
PROGRAM_SRC := $(shell find programs/dvpn/src -name '*.rs') programs/dvpn/Cargo.toml Cargo.toml Cargo.lock .cargo/config.toml

.PHONY: all toolchain system deps program test test-rust test-ts dev bench idl clean

all: program

toolchain:
	@scripts/setup-toolchain.sh

system:
	@scripts/setup-system.sh

# `npm install` rather than `npm ci`: the lock names litesvm's optional
# platform packages for macOS/arm, which the registry mirror here does not
# serve, and `npm ci` refuses a lock it cannot fully resolve. With the lock
# present, `npm install` installs exactly the locked versions.
node_modules/.package-lock.json: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: toolchain system node_modules/.package-lock.json

program: $(PROGRAM_SO)

$(PROGRAM_SO): $(PROGRAM_SRC) | toolchain
	RUSTC=$(BPF_RUSTC) CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER=$(SBPF_LINKER) \
	  cargo build --release --locked --target bpfel-unknown-none -p dvpn
	@mkdir -p target/deploy
	cp target/bpfel-unknown-none/release/libdvpn.so $(PROGRAM_SO)
	@echo "built $(PROGRAM_SO) ($$(stat -c %s $(PROGRAM_SO)) bytes)"

idl:
	node scripts/gen-idl.mjs

test: deps program test-rust test-ts

test-rust:
	cargo test --locked -p dvpn

test-ts: node_modules/.package-lock.json $(PROGRAM_SO)
	node scripts/gen-idl.mjs --check
	npx tsc -p tsconfig.json --noEmit
	npx vitest run

bench: deps program
	npx tsx bench/compute-units.ts

clean:
	cargo clean
