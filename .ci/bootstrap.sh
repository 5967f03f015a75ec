#!/usr/bin/env bash
# Installs what building and testing Roster needs, skipping whatever is already present.
# Run by `make run` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# wasm-bindgen-cli must match the wasm-bindgen library exactly; read its version from the lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes a while on a fresh machine)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: that lock file pins a crate version the registry does not have.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing Chromium"
  apt_install chromium
fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx"
  apt_install nginx-light
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null; then
  say "installing PostgreSQL"
  apt_install postgresql
fi

if [ ! -d end2end/node_modules ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The AuthKit example app the browser tests sign in through (end2end/authkit-example).
if [ ! -d end2end/authkit-example/node_modules ] \
  || [ end2end/authkit-example/package-lock.json -nt end2end/authkit-example/node_modules/.package-lock.json ]; then
  say "installing the AuthKit example app's packages"
  (cd end2end/authkit-example && npm ci --no-audit --no-fund)
fi

# The widgets app the widgets browser tests drive (end2end/widgets).
if [ ! -d end2end/widgets/node_modules ] \
  || [ end2end/widgets/package-lock.json -nt end2end/widgets/node_modules/.package-lock.json ]; then
  say "installing the widgets app's packages"
  (cd end2end/widgets && npm ci --no-audit --no-fund)
fi

# The email tests make their own TLS certificates with the openssl command.
if ! command -v openssl >/dev/null; then
  say "installing openssl"
  apt_install openssl
fi

if [ ! -x .ci/smtp/.venv/bin/python ] || [ .ci/smtp/requirements.txt -nt .ci/smtp/.venv/.installed ]; then
  say "installing the test SMTP server (aiosmtpd) in .ci/smtp/.venv"
  bash .ci/smtp/venv.sh >/dev/null
fi

if [ ! -x .ci/schemathesis/.venv/bin/schemathesis ] \
  || [ .ci/schemathesis/requirements.txt -nt .ci/schemathesis/.venv/.installed ]; then
  say "installing the API fuzzer (schemathesis) in .ci/schemathesis/.venv"
  bash .ci/schemathesis/venv.sh >/dev/null
fi
