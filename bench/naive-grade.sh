#!/usr/bin/env bash
# The baseline `cargo xtask bench` compares `cargo xtask grade` with: what a
# grader without threadwork would write. For each submission, a fresh
# checkout of the course, the submission's exercise sources copied in, and
# plain `cargo test` of the hidden-test crates, with one target folder shared
# by every checkout so the dependencies are compiled once. No sandbox, no
# process per test, no exploration tier, no confirmation runs; a per-submission
# `timeout` so that one hanging submission cannot stop the batch.
#
# usage: naive-grade.sh CHECKOUT SUBMISSIONS WORK
#   CHECKOUT     a clean copy of the course (what `git clone` gives)
#   SUBMISSIONS  a folder of submissions, each with exercises/NN_name/src/
#   WORK         scratch folder: fresh checkouts, the shared target, logs
# Prints one line per submission: "<id> <cargo test's exit code> <seconds>".
set -u
checkout=$1 submissions=$2 work=$3
export CARGO_TARGET_DIR="$work/target"
mkdir -p "$work/logs"
packages=()
for manifest in "$checkout"/tests/[0-9]*/Cargo.toml; do
    packages+=(-p "$(sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -1)")
done
for submission in "$submissions"/*/; do
    id=$(basename "$submission")
    started=$(date +%s.%N)
    rm -rf "$work/checkout"
    cp -r "$checkout" "$work/checkout"
    for exercise in "$submission"exercises/*/; do
        name=$(basename "$exercise")
        rm -rf "$work/checkout/exercises/$name/src"
        cp -r "$exercise/src" "$work/checkout/exercises/$name/src"
    done
    (cd "$work/checkout" && timeout 600 cargo test --no-fail-fast -q "${packages[@]}" >"$work/logs/$id.txt" 2>&1)
    code=$?
    echo "$id $code $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')"
done
