#!/usr/bin/env bash
# The production build (`make release`): the optimized server and the dashboard's site, with
# the WebAssembly through npm's wasm-opt, content-hashed file names, and gzip and brotli copies
# of every file. Gathers what a deployment copies into dist/ (ROSTER_DIST to change it):
#   dist/roster     the server (migrations and templates are compiled in)
#   dist/hash.txt   the hashed names of the site's files; read from beside the binary
#   dist/site/      the site (LEPTOS_SITE_ROOT)
# and prints the size of what a browser downloads for the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# cargo-leptos runs the first wasm-opt on PATH. Debian's binaryen (wasm-opt 108) produces
# WebAssembly that builds fine and then fails to hydrate in the browser; npm's does not.
if [ "$(command -v wasm-opt)" != "$PWD/end2end/node_modules/.bin/wasm-opt" ]; then
  echo "release: npm's wasm-opt is missing (run 'make bootstrap' or 'npm ci' in end2end/)" >&2
  exit 1
fi

TARGET=${CARGO_TARGET_DIR:-$PWD/target}
DIST=${ROSTER_DIST:-$PWD/dist}
SITE=target/site   # site-root in Cargo.toml: relative to the workspace, whatever CARGO_TARGET_DIR is

# LEPTOS_HASH_FILES: names like roster.<hash>.wasm, so /pkg may be cached for good. Release
# builds only: development builds keep fixed names.
LEPTOS_HASH_FILES=true cargo leptos build --release --precompress

# cargo-leptos's gzip copies are some 20 % larger than gzip -9's; redo them.
find "$SITE" -type f ! -name '*.gz' ! -name '*.br' -print0 |
  while IFS= read -r -d '' file; do gzip -9 -n -c "$file" >"$file.gz"; done

rm -rf "$DIST"
mkdir -p "$DIST"
cp "$TARGET/release/roster" "$TARGET/release/hash.txt" "$DIST/"
cp -r "$SITE" "$DIST/site"
# TypeScript declarations of the WebAssembly's exports (hashed like the rest, roster.d.<hash>.ts):
# nothing serves them.
find "$DIST/site" \( -name '*.d.ts' -o -name '*.d.*.ts' -o -name '*.d.ts.*' -o -name '*.d.*.ts.*' \) -delete

# What a browser downloads for the dashboard, as sent with each encoding.
size() { stat -c %s "$1"; }
report() {
  local total=0 total_gz=0 total_br=0
  printf '%-34s %10s %10s %10s\n' file raw gzip brotli
  for file in "$DIST"/site/pkg/*.wasm "$DIST"/site/pkg/*.js "$DIST"/site/pkg/*.css; do
    [ -f "$file" ] || continue
    printf '%-34s %10d %10d %10d\n' "$(basename "$file")" "$(size "$file")" "$(size "$file.gz")" "$(size "$file.br")"
    total=$((total + $(size "$file"))); total_gz=$((total_gz + $(size "$file.gz"))); total_br=$((total_br + $(size "$file.br")))
  done
  printf '%-34s %10d %10d %10d\n' total "$total" "$total_gz" "$total_br"
}
report | tee "$DIST/sizes.txt"
echo "release: $DIST is ready (see README, 'Production build and deployment')"
