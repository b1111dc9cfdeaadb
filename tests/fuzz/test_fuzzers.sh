#!/bin/sh
# test_fuzzers.sh — part of make test (and so of CI): every libFuzzer target replays its
# corpus (the seeds in tests/fuzz/corpus/NAME and what earlier runs kept in build/fuzz/corpus)
# and then fuzzes for a short while (FUZZ_TEST_SECONDS, default 1), so a parser that crashes
# on a known input, or on a quick mutation of one, fails the build. The long runs are
# `make fuzz` (FUZZ_SECONDS each).
cd "$(dirname "$0")/../.."
set --
for f in build/fuzz/fuzz_*; do [ -f "$f" ] && [ -x "$f" ] && set -- "$@" "$f"; done
exec tests/fuzz/run "${FUZZ_TEST_SECONDS:-1}" "$@"
