#!/bin/sh
# test_banned.sh — the unsafe calls style.md bans (strcpy, strcat, sprintf, vsprintf, gets,
# strtok, atoi, atol) appear nowhere in the program's sources.
cd "$(dirname "$0")/../.."
hits=$(grep -nE '(^|[^_a-z])(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol)\(' \
    bot/*.c bot/*.h bot/*/*.c bot/*/*.h store/*.c store/*.h adapters/*.c adapters/*.h |
    grep -Ev '^[^:]*:[0-9]+: *(\*|/\*|//)')
if [ -z "$hits" ]; then
    echo "ok 1 - no banned calls in bot/, store/, adapters/"
else
    echo "not ok 1 - banned calls found:"
    echo "$hits" | sed 's/^/#   /'
fi
echo "1..1"
