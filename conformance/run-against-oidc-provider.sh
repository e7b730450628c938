#!/usr/bin/env bash
# Proves the conformance runner right: starts panva's certified oidc-provider
# (conformance/peer/) on loopback, runs every check against it with the
# node-oidc-provider login driver, and stops the provider by its PID, also
# when anything fails. Bounded in time: the provider gets 30 s to come up and
# the runner (build included) CONFORMANCE_TIMEOUT seconds (default 900).
#
# Environment (all optional):
#   PEER_PORT            loopback port for the provider (default 3100)
#   CODE_REUSE_WAIT      seconds for oidcc-codereuse-30seconds (default 2)
#   CONFORMANCE_TIMEOUT  seconds for build + run (default 900)
#   CARGO_TARGET_DIR     default /var/tmp/kuke-conf-target
# Extra arguments are passed to the runner (e.g. --only oidcc-server).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${PEER_PORT:-3100}"
issuer="http://127.0.0.1:${port}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/kuke-conf-target}"

(cd "$here/peer" && npm ci --no-audit --no-fund --loglevel=error)

log="$(mktemp -t conformance-peer.XXXXXX.log)"
PEER_PORT="$port" node "$here/peer/server.mjs" >"$log" 2>&1 &
peer_pid=$!
stop_peer() {
  if kill -0 "$peer_pid" 2>/dev/null; then
    kill "$peer_pid" 2>/dev/null || true
    wait "$peer_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop_peer EXIT

for _ in $(seq 1 60); do
  if curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$peer_pid" 2>/dev/null; then
    echo "peer exited early:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null

timeout "${CONFORMANCE_TIMEOUT:-900}" \
  cargo run --quiet -j1 --manifest-path "$here/Cargo.toml" -- \
  --issuer "$issuer" \
  --client-id conformance-client \
  --client-secret conformance-secret-0123456789abcdef \
  --redirect-uri http://127.0.0.1:9/callback \
  --post-logout-redirect-uri http://127.0.0.1:9/logged-out \
  --client2-id conformance-client-2 \
  --client2-secret conformance-secret-2-0123456789abcdef \
  --client2-redirect-uri http://127.0.0.1:9/callback2 \
  --login-driver node-oidc-provider \
  --login conformance-user \
  --code-reuse-wait "${CODE_REUSE_WAIT:-2}" \
  "$@"
