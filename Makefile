# Roster: `make run` serves the dashboard, `make test` runs every test.
SHELL := /bin/bash
# npm's wasm-opt (binaryen) must win over any system copy for release builds.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: run test bootstrap build bench release

bootstrap:
	@bash .ci/bootstrap.sh

build: bootstrap
	cargo leptos build

# A development server: the first start also creates the demo organizations and a
# development API key (`ROSTER_DEMO_DATA=false make run` for an empty install).
run: build
	ROSTER_DEMO_DATA=$${ROSTER_DEMO_DATA:-true} $${CARGO_TARGET_DIR:-target}/debug/roster serve

# The production build: the optimized server and site, gathered in dist/ with their sizes
# (see the README, "Production build and deployment").
release: bootstrap
	@bash .ci/release.sh

test: bootstrap
	@bash .ci/test.sh

bench:
	cargo bench -p server --bench list_users
