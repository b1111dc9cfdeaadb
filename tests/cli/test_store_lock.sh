#!/usr/bin/env bash
# test_store_lock.sh — one process per store (issue 11, item 3): while one securebase holds
# a database, a second on the same --db exits 2 and names the holder's pid; once the first
# is gone (even killed) the store is free again.
set -u
BIN=${SECUREBASE_BIN:-build/asan/securebase}
tmp=$(mktemp -d)
first=
cleanup() { [ -n "$first" ] && kill "$first" 2>/dev/null; exec 3>&- 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

db="$tmp/one.db"
mkfifo "$tmp/in"
"$BIN" --console --db "$db" --user sam <"$tmp/in" >"$tmp/first.out" 2>&1 &
first=$!
exec 3>"$tmp/in" # keeps the first console's input open: it waits for lines
printf 'hi\n' >&3
for _ in $(seq 100); do
    grep -q . "$tmp/first.out" 2>/dev/null && break
    sleep 0.1
done

printf 'hi\n' | "$BIN" --console --db "$db" --user sam >"$tmp/second.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok "a second process on the same store exits 2"
else fail "a second process on the same store exits 2" "exit $rc" "$(head -5 "$tmp/second.out")"; fi
if grep -q "pid $first\b" "$tmp/second.out"; then ok "it names the holder's pid ($first)"
else fail "it names the holder's pid ($first)" "$(head -5 "$tmp/second.out")"; fi
if ! grep -qi "thank\|securebase\b.*coach\|hello\|hi " "$tmp/second.out" &&
   [ "$(sqlite3 "$db" 'select count(*) from people')" = 1 ]; then
    ok "the second process touched nobody's conversation"
else fail "the second process touched nobody's conversation" "$(head -5 "$tmp/second.out")"; fi

kill -9 "$first"
wait "$first" 2>/dev/null
first=
exec 3>&-
printf 'help\n' | "$BIN" --console --db "$db" --user sam >"$tmp/third.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q . "$tmp/third.out"; then
    ok "after the holder is killed the store opens again"
else fail "after the holder is killed the store opens again" "exit $rc" "$(head -5 "$tmp/third.out")"; fi
if [ "$(stat -c %a "$db.lock")" = 600 ]; then ok "the lock file is 0600"
else fail "the lock file is 0600" "$(stat -c %a "$db.lock")"; fi
echo "1..$n"
