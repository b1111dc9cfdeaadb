#!/usr/bin/env bash
# test_unit.sh — contrib/securebase.service as systemd reads it: `systemd-analyze verify`
# accepts it (with the binary and the man page where the installed unit points), and
# `systemd-analyze security` rates its sandbox "OK" or better. The figure is printed.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
    notok "systemd-analyze is installed (scripts/install-deps --test installs systemd)"
    echo "1..$n"; exit 0
fi
mkdir -p "$tmp/man/man1"
cp docs/securebase.1 "$tmp/man/man1/"
sed "s|/usr/local/bin/securebase|$PWD/build/securebase|" contrib/securebase.service \
    >"$tmp/securebase.service"
if MANPATH=$tmp/man systemd-analyze verify "$tmp/securebase.service" >"$tmp/verify" 2>&1 &&
   ! grep -q . "$tmp/verify"; then
    ok "systemd-analyze verify accepts the unit"
else
    notok "systemd-analyze verify accepts the unit"; sed 's/^/#   /' "$tmp/verify"
fi
for key in Type=notify WatchdogSec= Restart=on-failure StateDirectory=securebase DynamicUser=yes \
           LoadCredential=matrix-password: LoadCredential=irc-password: ProtectSystem=strict \
           NoNewPrivileges=yes PrivateTmp=yes ExecReload=; do
    if grep -q "^$key" contrib/securebase.service; then ok "the unit sets $key"; else notok "the unit sets $key"; fi
done
if systemd-analyze security --offline=true "$tmp/securebase.service" >"$tmp/security" 2>&1; then
    level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$tmp/security")
    echo "# systemd-analyze security: $level"
    case $level in
        *" SAFE"|*" OK") ok "the sandbox is rated OK or better ($level)" ;;
        *) notok "the sandbox is rated OK or better ($level)"; grep '^✗' "$tmp/security" | sed 's/^/#   /' ;;
    esac
else
    echo "# systemd-analyze security --offline does not run here:"; sed 's/^/#   /' "$tmp/security" | head -5
fi
echo "1..$n"
