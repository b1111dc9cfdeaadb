#!/usr/bin/env bash
# test_config_checks.sh — what an operator's mistakes look like at start (issue 11, item 7):
# a bad homeserver URL or user id exits 2 naming line and key; a long line or a duplicate
# key is named by its own line; a config holding a password, or a store, readable by
# others gets a warning; a file the process may not read says "permission denied".
set -u
BIN=$(realpath "${SECUREBASE_BIN:-build/asan/securebase}")
tmp=$(mktemp -d)
chmod 755 "$tmp"
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

printf '[matrix]\nhomeserver = matrix.example.org\nuser_id = @coach:example.org\n' >"$tmp/url.conf"
check "a homeserver that is not a URL exits 2" exits 2 "$BIN" --config "$tmp/url.conf" --db "$tmp/a.db"
check "... naming line 2 and the key" bash -c "'$BIN' --config '$tmp/url.conf' --db '$tmp/a.db' 2>&1 | grep -q 'url.conf:2: key .homeserver.'"
printf '[matrix]\nhomeserver = http://127.0.0.1:1\nuser_id = coach\n' >"$tmp/user.conf"
check "a user_id without @ and server exits 2 naming line 3" bash -c \
    "'$BIN' --config '$tmp/user.conf' --db '$tmp/a.db' 2>&1 | grep -q 'user.conf:3: key .user_id.'; [ \${PIPESTATUS[0]} -eq 2 ]"
{ printf '[store]\npath = /tmp/'; head -c 300 /dev/zero | tr '\0' x; printf '\n[dialogs]\npath = dialogs\n'; } >"$tmp/long.conf"
check "a long line is named by its own line and key" bash -c \
    "'$BIN' --config '$tmp/long.conf' --check-dialogs 2>&1 | grep -q 'long.conf:2: key .path.: line too long'"
printf '[store]\npath = a.db\n[dialogs]\npath = dialogs\n[store]\npath = b.db\n' >"$tmp/dup.conf"
check "a duplicate key exits 2 naming its second line" bash -c \
    "'$BIN' --config '$tmp/dup.conf' --check-dialogs 2>&1 | grep -q 'dup.conf:6: key .path.: given twice (first on line 2)'"

printf '[console]\nuser = sam\n[matrix]\npassword = hunter2\n' >"$tmp/secret.conf"
chmod 644 "$tmp/secret.conf"
check "a config holding a password readable by others gets a warning" bash -c \
    "'$BIN' --config '$tmp/secret.conf' --check-dialogs 2>&1 | grep -q 'warning: .*secret.conf holds \[matrix\] password.*chmod 600'"
check "... which never shows the password" bash -c \
    "! '$BIN' --config '$tmp/secret.conf' --check-dialogs 2>&1 | grep -q hunter2"
chmod 600 "$tmp/secret.conf"
check "the same file at 0600 gets none" bash -c \
    "! '$BIN' --config '$tmp/secret.conf' --check-dialogs 2>&1 | grep -q warning"

printf 'hi\n' | "$BIN" --console --db "$tmp/open.db" >/dev/null 2>&1
chmod 644 "$tmp/open.db"
check "a store readable by others gets a warning" bash -c \
    "printf 'hi\n' | '$BIN' --console --db '$tmp/open.db' 2>&1 | grep -q 'warning: the store .*open.db.*readable by others.*chmod 600'"
chmod 600 "$tmp/open.db"
check "a 0600 store gets none" bash -c \
    "! printf 'hi\n' | '$BIN' --console --db '$tmp/open.db' 2>&1 | grep -q warning"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
else
    as_nobody() { "$@"; }
fi
printf '[store]\npath = x.db\n' >"$tmp/private.conf"
chmod 000 "$tmp/private.conf"
if [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null; then
    check "an unreadable config is reported as permission denied" bash -c \
        "$(declare -f as_nobody); as_nobody '$BIN' --config '$tmp/private.conf' --check-dialogs 2>&1 | grep -q 'permission denied'"
    mkdir "$tmp/locked"
    printf 'hi\n' | "$BIN" --console --db "$tmp/locked/s.db" >/dev/null 2>&1
    chmod 700 "$tmp/locked"
    check "a store in a directory the process may not enter is reported as permission denied" bash -c \
        "$(declare -f as_nobody); printf 'hi\n' | as_nobody '$BIN' --console --db '$tmp/locked/s.db' --dialogs '$PWD/dialogs' 2>&1 | grep -q 'permission denied'"
else
    n=$((n + 1)); echo "ok $n - an unreadable config is reported as permission denied # SKIP root without setpriv"
    n=$((n + 1)); echo "ok $n - a store the process may not open # SKIP root without setpriv"
fi
echo "1..$n"
