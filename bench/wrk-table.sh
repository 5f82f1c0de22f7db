# Shared by the bench scripts that time one node's routes under wrk: sourced after the script
# sets `server` (the node's pid), `work` (a scratch directory), `ticks` (getconf CLK_TCK),
# `seconds` (each wrk run's length) and, for `ratios`, the array `live` of /health/live's runs.
# shellcheck shell=bash disable=SC2154

# cpu: the node's user + system CPU time so far, in ticks.
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# measure WRK-ARGS...: one wrk run (1 thread, 32 connections, SECONDS) with the server's CPU
# time over it; prints "req/s p50-ms p99-ms cpu-µs-per-request non-2xx".
measure() {
    local before after
    before=$(cpu)
    wrk -t1 -c32 -d"${seconds}s" --latency "$@" >"$work/wrk"
    after=$(cpu)
    awk -v cpu=$((after - before)) -v ticks="$ticks" '
        function ms(v, n) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /m$/) return n * 60000; if (v ~ /s$/) return n * 1000; return n }
        /Requests\/sec/ { rate = $2 } / 50%/ { p50 = ms($2) } / 99%/ { p99 = ms($2) } /requests in/ { n = $1 } /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %.2f %.1f %d\n", rate, p50, p99, cpu / ticks * 1e6 / n, bad }' "$work/wrk"
}
# line LABEL "rate p50 p99 cpu bad": one row of the table.
line() {
    local label=$1 rate p50 p99 cpu_per bad
    read -r rate p50 p99 cpu_per bad <<<"$2"
    printf '   %-22s %7s req/s   p50 %6s ms   p99 %6s ms   CPU %6s µs/request%s\n' \
        "$label" "$rate" "$p50" "$p99" "$cpu_per" "$( ((bad == 0)) || echo "   ($bad non-2xx)")"
}
# median "RUN" ...: the median of each figure of wrk runs (measure's lines), non-2xx summed.
median() {
    python3 -c '
import statistics, sys
columns = list(zip(*(map(float, run.split()) for run in sys.argv[1:])))
rate, p50, p99, cpu = (statistics.median(column) for column in columns[:4])
print(f"{rate:.0f} {p50:.2f} {p99:.2f} {cpu:.1f} {sum(columns[4]):.0f}")' "$@"
}
# ratios NAME: the req/s of the runs in the array NAME over /health/live's, round by round.
ratios() {
    local -n runs=$1
    python3 -c '
import statistics, sys
half = len(sys.argv) // 2
ratios = [float(a.split()[0]) / float(b.split()[0]) for a, b in zip(sys.argv[1:half + 1], sys.argv[half + 1:])]
print(", ".join(f"{r:.2f}" for r in ratios) + f" (median {statistics.median(ratios):.2f}x)")' "${runs[@]}" "${live[@]}"
}
