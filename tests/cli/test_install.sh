#!/usr/bin/env bash
# test_install.sh — `make install DESTDIR=… PREFIX=…` lays out the FHS tree the issue names,
# the installed binary finds its installed dialogs when started from another folder (and
# chats on stdin), the dialogs search names every place it looked, and `make uninstall`
# takes everything away again.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { # description, then a command whose success means ok
    local what=$1; shift
    n=$((n + 1))
    if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; sed 's/^/#   /' "$tmp/out" | head -20; fi
}
# A make started from a test must not try to join the outer make's job server.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory "$@"; }

dest=$tmp/stage
prefix=/usr/local
check "make install DESTDIR=… succeeds" mk install DESTDIR="$dest"
for f in bin/securebase share/securebase/dialogs/commands.json share/securebase/dialogs/crisis.json \
         share/man/man1/securebase.1 share/doc/securebase/securebase.conf.example \
         share/doc/securebase/operations.md \
         lib/systemd/system/securebase.service; do
    check "installs $prefix/$f" test -s "$dest$prefix/$f"
done
check "every dialog file is installed, sub-folders too" bash -c \
    "cd dialogs && find . -type f | while read -r f; do cmp -s \"\$f\" '$dest$prefix/share/securebase/dialogs/'\"\$f\" || { echo \"\$f\"; exit 1; }; done"
check "the binary is executable, the data is not" bash -c \
    "[ \"\$(stat -c %a $dest$prefix/bin/securebase)\" = 755 ] && [ \"\$(stat -c %a $dest$prefix/share/securebase/dialogs/commands.json)\" = 644 ]"
check "the unit starts the installed binary" \
    grep -qx "ExecStart=$prefix/bin/securebase --config /etc/securebase/securebase.conf" \
    "$dest$prefix/lib/systemd/system/securebase.service"

bin=$dest$prefix/bin/securebase
mkdir -p "$tmp/elsewhere"
check "the installed binary finds its dialogs from another folder" bash -c \
    "cd $tmp/elsewhere && $bin --check-dialogs | grep -q '^$dest$prefix/share/securebase/dialogs: [0-9]* dialogs, no problems'"
check "and chats on stdin there" bash -c \
    "cd $tmp/elsewhere && printf 'hi\n' | $bin --console --user sam --db me.db | grep -qi welcome && [ -f me.db ]"
check "--dialogs still wins" bash -c \
    "cd $tmp/elsewhere && $bin --check-dialogs --dialogs $root/tests/dialogs-fixture | grep -q '^$root/tests/dialogs-fixture: '"
printf '[dialogs]\npath = %s\n' "$root/tests/dialogs-fixture" >"$tmp/fixture.conf"
check "then [dialogs] path" bash -c \
    "cd $tmp/elsewhere && $bin --config $tmp/fixture.conf --check-dialogs | grep -q '^$root/tests/dialogs-fixture: '"

# Without its share folder the binary says where it looked.
cp "$bin" "$tmp/elsewhere/securebase"
check "a lone binary fails (exit 1)" bash -c "cd $tmp && ! elsewhere/securebase --check-dialogs"
check "and names the place it looked" bash -c \
    "cd $tmp && elsewhere/securebase --check-dialogs 2>&1 | grep -q '$tmp/share/securebase/dialogs (installed next to the binary)'"
check "a missing --dialogs folder is named as such" bash -c \
    "$bin --check-dialogs --dialogs $tmp/none 2>&1 | grep -q '$tmp/none (--dialogs)'"
check "the build tree's binary uses the source tree from anywhere" bash -c \
    "cd $tmp && $root/build/securebase --check-dialogs | grep -q '^$root/dialogs: '"

check "make uninstall DESTDIR=… succeeds" mk uninstall DESTDIR="$dest"
check "and leaves no file behind" bash -c "[ -z \"\$(find $dest -type f)\" ]"

if command -v man >/dev/null 2>&1; then
    check "the man page renders without warnings" bash -c \
        "MANWIDTH=80 man --warnings -l docs/securebase.1 2>&1 >/dev/null | { ! grep .; }"
fi
echo "1..$n"
