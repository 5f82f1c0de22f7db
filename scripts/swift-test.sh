#!/usr/bin/env bash
# `swift test ARGS` with a time limit (APUS_SWIFT_TEST_LIMIT seconds, default 900; a whole run
# takes under two minutes). Output streams as usual. When the limit passes, the run (SwiftPM and
# the test process it started) is stopped, and the tests that started but never finished are
# named, so a hang says where it is.
set -euo pipefail
limit=${APUS_SWIFT_TEST_LIMIT:-900}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# SwiftPM and every process under it (the test process outlives SIGTERM: it gets SIGKILL 10 s
# later).
tree() {
    local child
    echo "$1"
    # The children files hold process ids separated by spaces: words, not lines.
    # shellcheck disable=SC2013
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$child"; done
}
: >"$work/log"
swift test "$@" >"$work/log" 2>&1 &
run=$!
tail -n +1 -f --pid="$run" "$work/log" &
(
    sleep "$limit"
    touch "$work/stopped"
    processes=$(tree "$run")
    # shellcheck disable=SC2086 # a list of process ids
    kill -TERM $processes 2>/dev/null || true
    sleep 10
    # shellcheck disable=SC2086
    kill -KILL $processes 2>/dev/null || true
) >/dev/null 2>&1 &
watchdog=$!
set +e
wait "$run"
status=$?
set -e
if [ -f "$work/stopped" ]; then
    # The watchdog ends once what it stopped is gone (a test process may outlive SIGTERM).
    wait "$watchdog" 2>/dev/null || true
else
    # The watchdog and its sleep.
    # shellcheck disable=SC2046 # a list of process ids
    kill $(tree "$watchdog") 2>/dev/null || true
fi
wait 2>/dev/null || true
if [ -f "$work/stopped" ]; then
    printf "\nswift-test: stopped after %ss; tests started and not finished:\n" "$limit" >&2
    python3 - "$work/log" >&2 <<'PY'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    if m := re.match(r"^\S+ Test (\S+?\(.*?\)) started", line):
        started.append(m.group(1))
    elif m := re.match(r"^\S+ Test (\S+?\(.*?\)) (?:passed|failed|with \d+ test cases? (?:passed|failed))", line):
        ended.add(m.group(1))
for name in dict.fromkeys(started):
    if name not in ended:
        print("  " + name)
PY
    exit 124
fi
exit "$status"
