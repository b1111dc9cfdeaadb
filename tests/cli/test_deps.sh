#!/usr/bin/env bash
# test_deps.sh — scripts/install-deps keeps what the binary needs apart from what only the
# tests need: `make` and `make run` ask for the first set, `make test` and `make fuzz` for
# both; every library the Makefile links is in the build set; outside root the script
# prints the exact apt-get line (build packages only) and stops.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { # description, then a command whose success means ok
    local what=$1; shift
    n=$((n + 1))
    if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; sed 's/^/#   /' "$tmp/out" | head -20; fi
}
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make --no-print-directory "$@"; }

build=$(scripts/install-deps --packages)
all=$(scripts/install-deps --test --packages)
for pkg in clang inspircd python3-matrix-nio python3-aiohttp libcmocka-dev systemd \
           python3-prometheus-client libclang-rt-14-dev; do
    check "$pkg is a test package only" bash -c \
        "! grep -qx '$pkg' <<<'$build' && grep -qx '$pkg' <<<'$all'"
done
check "the test set holds the whole build set" bash -c \
    "[ -z \"\$(comm -23 <(sort <<<'$build') <(sort <<<'$all'))\" ]"
modules=$(mk -pn 2>/dev/null | sed -n 's/^PKGS = //p' | head -1)
check "the Makefile's PKGS are known ($modules)" test -n "$modules"
for mod in $modules; do
    check "pkg-config module $mod is in the build set" grep -Eq "(^|[ \"])$mod:" scripts/install-deps
done
check "make and make run ask for the build set only" bash -c \
    "mk() { env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory \"\$@\"; }
     mk -n -W scripts/install-deps all | grep -qx 'scripts/install-deps' &&
     ! mk -n -W scripts/install-deps all | grep -q -- '--test' &&
     ! mk -n -W scripts/install-deps run | grep -q -- '--test'"
check "make test and make fuzz ask for the test set too" bash -c \
    "mk() { env -u MAKEFLAGS -u MAKELEVEL make --no-print-directory \"\$@\"; }
     mk -n -W scripts/install-deps test | grep -qx 'scripts/install-deps --test' &&
     mk -n -W scripts/install-deps fuzz | grep -qx 'scripts/install-deps --test'"

# Outside root with nothing found: the exact line, build packages only, exit 1.
mkdir -p "$tmp/bin"
for t in tr sort sed id; do ln -s "$(command -v $t)" "$tmp/bin/$t"; done
chmod 755 "$tmp" "$tmp/bin"
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups env PATH="$tmp/bin" /bin/sh scripts/install-deps \
        >"$tmp/user.out" 2>&1
    rc=$?
    check "outside root it stops with exit 1" test "$rc" -eq 1
    line=$(grep '^  sudo apt-get install -y ' "$tmp/user.out")
    check "and prints the exact apt-get line" bash -c \
        "grep -Eq '^  sudo apt-get install -y [a-z0-9.+-]+( [a-z0-9.+-]+)*\$' <<<'$line'"
    check "naming the build packages" bash -c \
        "for p in gcc pkg-config libcurl4-openssl-dev libsystemd-dev; do grep -qw \$p <<<'$line' || exit 1; done"
    check "and none of the test packages" bash -c \
        "! grep -Eqw 'clang|inspircd|python3-matrix-nio|libcmocka-dev|systemd' <<<'$line'"
fi
check "an unknown option is a usage error" bash -c "scripts/install-deps --frob; [ \$? -eq 2 ]"
echo "1..$n"
