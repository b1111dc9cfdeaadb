#!/bin/sh
# test_fuzzers.sh — part of make test: every libFuzzer target runs for a short while
# (FUZZ_TEST_SECONDS, default 5) so a parser that crashes on its corpus fails the build.
cd "$(dirname "$0")/../.."
exec tests/fuzz/run "${FUZZ_TEST_SECONDS:-5}" build/fuzz/fuzz_*
