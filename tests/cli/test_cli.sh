#!/usr/bin/env bash
# test_cli.sh — the command line as an operator meets it: flags, exit codes, the store's
# file mode, piping messages, resuming across runs, --check-dialogs on a broken folder.
set -u
BIN=${SECUREBASE_BIN:-build/asan/securebase}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { # description, then a command whose success means ok
    local what=$1; shift
    n=$((n + 1))
    if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; sed 's/^/#   /' "$tmp/out" | head -20; fi
}
exits() { # expected-code command...
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" -eq "$want" ] || { echo "exit $got, wanted $want"; return 1; }
}

check "--help exits 0 and shows usage" bash -c "$BIN --help | grep -q -- '--check-dialogs'"
check "--version prints the version" bash -c "$BIN --version | grep -q '^securebase [0-9]'"
check "an unknown flag is a usage error (exit 2)" exits 2 "$BIN" --frobnicate
check "a flag without its value is a usage error" exits 2 "$BIN" --db

printf '[store]\npath = x.db\ncolour = blue\n' >"$tmp/bad.conf"
check "a bad config exits 2" exits 2 "$BIN" --config "$tmp/bad.conf" --check-dialogs
check "a bad config names file, line and key" bash -c \
    "$BIN --config $tmp/bad.conf --check-dialogs 2>&1 | grep -q '$tmp/bad.conf:3: key .colour.'"

check "--check-dialogs is clean on dialogs/" exits 0 "$BIN" --check-dialogs

mkdir -p "$tmp/broken"
cp dialogs/*.json "$tmp/broken/"
cat >"$tmp/broken/zz-broken.json" <<'JSON'
{"kind": "dialog", "id": "zz-broken", "title": "Broken", "start": "a",
 "states": {"a": {"say": ["Where next?"], "expect": "choice",
                  "choices": [{"label": "On", "words": ["on"], "next": "nowhere"}]}}}
JSON
check "--check-dialogs exits 1 on a broken dialog" exits 1 "$BIN" --check-dialogs --dialogs "$tmp/broken"
check "--check-dialogs names the file and the state" bash -c \
    "$BIN --check-dialogs --dialogs $tmp/broken | grep -q '^zz-broken.json: a: '"

db="$tmp/x.db"
check "piped lines get replies and exit 0" bash -c "printf 'hi\n' | $BIN --console --db $db --user sam | grep -q ."
check "the store is created 0600" bash -c "[ \"\$(stat -c %a $db)\" = 600 ]"
check "a second run picks up the conversation where the first left off" bash -c \
    "printf '1\n' | $BIN --console --db $db --user sam | grep -qi 'thank you for trusting me' && sqlite3 $db 'select count(*) from people' | grep -qx 1"
check "--db creates the store where asked" bash -c "printf 'hi\n' | $BIN --console --db $tmp/other.db >/dev/null && [ -f $tmp/other.db ]"
two="$tmp/two.db"
printf 'hi\n2\n!timezone UTC\n!nudge 09:00\n' | "$BIN" --console --db "$two" --user carol \
    --fake-clock 2026-04-01T10:00:00Z >/dev/null 2>&1
printf '/clock 2026-04-02T09:01:00Z\nhi\n' | "$BIN" --console --db "$two" --user mallory \
    --fake-clock 2026-04-01T10:00:00Z >"$tmp/mallory.out" 2>"$tmp/mallory.log"
check "one console never shows another person's nudge" bash -c \
    "! grep -q 'Nudge\|nudge' $tmp/mallory.out && grep -q . $tmp/mallory.out &&
     ! grep -v '^[0-9T:-]*Z info nudge: nudge \(sent\|skipped\) person=#[0-9]* ' $tmp/mallory.log | grep -qi nudge"
check "the person it was for gets it in their own console" bash -c \
    "printf 'help\n' | $BIN --console --db $two --user carol --fake-clock 2026-04-02T09:02:00Z --echo | sed '/^> help/,\$d' | grep -q ."
check "--nudge-schedule on a missing store is an error and creates nothing" bash -c \
    "! $BIN --nudge-schedule --db $tmp/none.db --from 2026-03-28T00:00:00Z --to 2026-03-29T00:00:00Z && [ ! -e $tmp/none.db ]"
check "an unreadable dialogs folder is an error" exits 1 "$BIN" --check-dialogs --dialogs "$tmp/none"
echo "1..$n"
