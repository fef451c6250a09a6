#!/usr/bin/env bash
# The security checks that need tools outside Cargo (see docs/security.md): schema-driven
# fuzzing with schemathesis, and clairvoyance against production mode. The Rust security suite
# (tests/tests/api/{security,limits,ratelimits,allowlist,injection}.rs) and the proptest fuzzers
# (api/src/http/fuzz.rs) run with `cargo test`.
set -euo pipefail
here="$(dirname "$0")"
bash "$here/schemathesis.sh"
bash "$here/clairvoyance.sh"
