#!/usr/bin/env bash
# test_docs.sh — every configuration key the program knows (the table in bot/core/config.c)
# is documented in README.md and in securebase.conf.example, and no documented key is
# unknown to the program.
set -u
cd "$(dirname "$0")/../.."
n=0 bad=0
keys=$(sed -n 's/^    {"\([a-z]*\)", "\([a-z_]*\)", .*/\1.\2/p' bot/core/config.c)
for k in $keys; do
    section=${k%%.*} key=${k#*.}
    n=$((n + 1))
    if grep -q "\`$key\`" README.md && grep -Eq "^;?$key *=" securebase.conf.example; then
        echo "ok $n - [$section] $key is documented"
    else
        bad=$((bad + 1)); echo "not ok $n - [$section] $key missing from README.md or securebase.conf.example"
    fi
done
n=$((n + 1))
unknown=$(sed -n 's/^;\{0,1\}\([a-z_]*\) *=.*/\1/p' securebase.conf.example | sort -u | while read -r k; do
    echo "$keys" | grep -q "\.$k\$" || echo "$k"; done)
if [ -z "$unknown" ]; then echo "ok $n - the example names no unknown key"; else echo "not ok $n - unknown in example: $unknown"; fi
echo "1..$n"
