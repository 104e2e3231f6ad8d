#!/usr/bin/env bash
# Makes this course checkout ready to grade with no network: fetches every
# crate the course uses, builds xtask, then builds each exercise's hidden
# tests against its stub (`cargo xtask grade --prepare`), which compiles
# every dependency once. Everything after the fetch runs offline, so a crate
# the fetch missed fails here, not in the middle of grading.
#
# Used by deploy/Dockerfile and the Gradescope bundle's setup.sh. Extra
# arguments go to `grade --prepare` (for example `--tests DIR`).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "prepare: fetching the crates in Cargo.lock"
cargo fetch --locked
export CARGO_NET_OFFLINE=true
echo "prepare: building xtask (offline from here on)"
cargo build --locked --quiet --package xtask
cargo xtask grade --prepare "$@"
