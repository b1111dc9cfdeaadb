#!/usr/bin/env bash
# test_text_input.sh — a person's raw text at the door (issue 11, item 7): NUL bytes no
# longer end a line early, control characters (terminal escapes) are never stored nor
# echoed by the console even from rows stored before, and a text too long for one message
# is cut between words with a kind word saying how many were kept.
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
db="$tmp/t.db"
coach() { "$BIN" --console --db "$db" --user tess --fake-clock 2026-03-02T09:00:00Z; }
printf 'hi\n1\n' | coach >/dev/null 2>&1

printf '!journal before\0 after the nul\n' | coach >"$tmp/nul.out" 2>&1
check "a NUL byte does not cut the entry short" bash -c \
    "sqlite3 '$db' \"select text from journal\" | grep -q 'before after the nul'"

printf '!journal esc \033[2Jclear \302\233bye\n' | coach >/dev/null 2>&1
check "control characters are stripped before anything is stored" bash -c \
    "[ \"\$(sqlite3 '$db' \"select count(*) from journal where text like '%'||char(27)||'%' or text like '%'||char(155)||'%'\")\" = 0 ] && sqlite3 '$db' 'select text from journal' | grep -q 'esc \[2Jclear bye'"

sqlite3 "$db" "insert into journal (person, at, prompt, text) values (1, 1772442000, 'journal', 'old ' || char(27) || ']0;pwned' || char(7) || char(27) || '[31mred')"
printf 'journal\n' | coach >"$tmp/show.out" 2>&1
check "the console never echoes a terminal escape from stored text" bash -c \
    "grep -q 'old' '$tmp/show.out' && ! grep -q \$'\\x1b' '$tmp/show.out' && ! grep -q \$'\\x07' '$tmp/show.out'"

words=$(for i in $(seq 1 3000); do printf 'w%d ' "$i"; done)
printf '!journal %s\n' "$words" | coach >"$tmp/long.out" 2>&1
kept=$(sqlite3 "$db" "select text from journal order by id desc limit 1" | wc -w)
said=$((kept + 1)) # the message's words: "!journal" and the entry
check "a long entry is cut between words with a kind word naming how many were kept" bash -c \
    "grep -q 'I kept the first $said words' '$tmp/long.out' && [ $kept -gt 1000 ] && [ $kept -lt 3000 ]"
check "what was kept ends on a whole word" bash -c \
    "sqlite3 '$db' 'select text from journal order by id desc limit 1' | grep -q ' w$kept\$'"
echo "1..$n"
