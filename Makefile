# Entry points for everyday work. One line per target, no logic:
# anything longer belongs in scripts/. `make` alone lists the targets.

.DEFAULT_GOAL := help
.PHONY: help build run test test-unit lint fmt db-up db-down check bench fuzz

help: ## List targets
	@awk -F':.*## ' '/^[a-zA-Z0-9_-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Release build of the whole workspace
	cargo build --workspace --release

run: ## Run the concord server against the dev database
	scripts/dev-db.sh exec cargo run --release --bin concord

test: ## All tests, then the console's in Chromium; each creates its own databases (and starts Redis if needed)
	cargo build --bin concord
	scripts/dev-db.sh exec scripts/dev-redis.sh exec cargo test --workspace
	scripts/dev-db.sh exec scripts/browser-tests.sh

test-unit: ## Unit tests only, no database needed
	cargo test --workspace --lib --bins

lint: ## rustfmt check and clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format all code
	cargo fmt --all

db-up: ## Start the dev database (if needed) and print its URL
	scripts/dev-db.sh start

db-down: ## Stop the project-local dev database, if running
	scripts/dev-db.sh stop

check: lint test ## Everything CI runs

bench: ## Benchmarks on a fresh release server; ARGS="--only post --duration 5" to narrow
	scripts/bench.sh $(ARGS)

fuzz: ## OpenAPI 3.1 validation and schemathesis (all checks, stateful) on a fresh server
	scripts/fuzz.sh
