#!/bin/sh
# test_fuzzers.sh — part of make test: every libFuzzer target runs for a short while
# (FUZZ_TEST_SECONDS, default 5) so a parser that crashes on its corpus fails the build.
cd "$(dirname "$0")/../.."
set --
for f in build/fuzz/fuzz_*; do [ -f "$f" ] && [ -x "$f" ] && set -- "$@" "$f"; done
exec tests/fuzz/run "${FUZZ_TEST_SECONDS:-5}" "$@"
