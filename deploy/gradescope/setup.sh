#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image,
# with this bundle unpacked in /autograder/source. It installs the Rust
# toolchain named in ./toolchain (the one the bundle was made with) when the
# image has none, and gdb (for the stacks of a stuck test), then makes the
# course ready to grade offline (deploy/prepare.sh).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
    . "$HOME/.cargo/env"
fi
apt_install() {
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "$@"
    else
        echo "setup.sh: cannot install $* (no apt-get, or not root)" >&2
        return 1
    fi
}
if ! command -v cargo >/dev/null 2>&1; then
    apt_install ca-certificates curl gcc libc6-dev
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
        sh -s -- -y --profile minimal --default-toolchain "$(cat toolchain)"
    . "$HOME/.cargo/env"
fi
if ! command -v gdb >/dev/null 2>&1; then
    apt_install gdb || echo "setup.sh: going on without gdb: a stuck test's message will not show its threads' stacks" >&2
fi
if [ -d private-tests ]; then
    bash deploy/prepare.sh --tests private-tests
else
    bash deploy/prepare.sh
fi
