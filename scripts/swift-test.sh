#!/usr/bin/env bash
# `swift test ARGS` with a time limit (APUS_SWIFT_TEST_LIMIT seconds, default 900; a whole run
# takes under two minutes). Output streams as usual. When the limit passes, the run is stopped
# and the tests that started but never finished are named, so a hang says where it is.
set -euo pipefail
limit=${APUS_SWIFT_TEST_LIMIT:-900}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
timeout --kill-after=10 "$limit" swift test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "swift-test: stopped after ${limit}s; tests started and not finished:" >&2
    python3 - "$log" >&2 <<'PY'
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
fi
exit "$status"
