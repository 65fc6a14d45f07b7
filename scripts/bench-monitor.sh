#!/usr/bin/env bash
# Benchmark the runtime sensor, `strata monitor --source ebpf`: what it costs the workloads it
# watches, how many events a second it keeps up with, and how much memory it holds.
#
#   scripts/bench-monitor.sh [-n RUNS] [-d SECONDS]
#
# 1. Slowdown. Two syscall-heavy workloads run RUNS times without and RUNS times with the
#    sensor, interleaved (without, with, with, without, ...), after one warm-up run each:
#    - open loop: a small C program (built here with gcc) doing OPEN_ITERS iterations of
#      open/read/close of a 64-byte file; every open is an openat the probe records;
#    - compile: gcc -O2 of COMPILE_UNITS generated C files ($(nproc) at a time, so the
#      sensor's own CPU competes with the compiler's), then a link; forks, execs and
#      header opens.
#    The sensor is started afresh for each "with" run and is attached before the clock
#    starts. Reported: medians, the ratio with / without (target <= 1.05), the sensor's CPU
#    time and the events it read during the run.
# 2. Throughput. The open loop runs flat out for SECONDS (-d, default 10) as 1 and as 2
#    parallel instances under the sensor; events/s and kernel drops come from the sensor's
#    /metrics before and after (strata_events_total, strata_kernel_drops_total), and the
#    drops are cross-checked against its exit summary.
#    Then one instance paced at PACE_RATES (default 25000 ... 150000 opens/s), 5 s each
#    under one sensor: the highest rate it keeps up with (no drop, and its reader no more
#    than 2% behind half a second after the loop ends; the ring is drained between rates).
# 3. Memory. The sensor's peak RSS (VmHWM of /proc/PID/status, read just before it is
#    stopped), the highest of all its runs (target <= 50 MiB).
#
# The sensor runs with its built-in rules, --no-docker, alerts to a file in the temporary
# directory. Needs root, tracefs (mounted here if it is not) and gcc.
#
# Environment: STRATA_BIN (default: cargo build --release -p strata-cli --features ebpf,
# target/release/strata), OPEN_ITERS (default 1000000), COMPILE_UNITS (default 48),
# PACE_RATES (default "25000 50000 75000 100000 150000"), FOLD_WINDOW (default 1s: the
# sensor's --fold-window in the slowdown runs; the throughput runs use 0).
set -euo pipefail

RUNS=5
SECONDS_FLAT=10
while getopts "n:d:h" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        d) SECONDS_FLAT=$OPTARG ;;
        h) sed -n '2,32p' "$0"; exit 0 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "-n needs a positive number" >&2; exit 2; }
[[ $SECONDS_FLAT =~ ^[1-9][0-9]*$ ]] || { echo "-d needs a positive number of seconds" >&2; exit 2; }
OPEN_ITERS=${OPEN_ITERS:-1000000}
PACE_RATES=${PACE_RATES:-25000 50000 75000 100000 150000}
PACE_SECONDS=5
COMPILE_UNITS=${COMPILE_UNITS:-48}
# The sensor's --fold-window in the slowdown runs (1s is its default; 0 sends every open).
# The throughput runs always use 0.
FOLD_WINDOW=${FOLD_WINDOW:-1s}
[[ $OPEN_ITERS =~ ^[1-9][0-9]*$ && $COMPILE_UNITS =~ ^[1-9][0-9]*$ ]] ||
    { echo "OPEN_ITERS and COMPILE_UNITS must be positive numbers" >&2; exit 2; }
for r in $PACE_RATES; do [[ $r =~ ^[1-9][0-9]*$ ]] || { echo "PACE_RATES: $r is not a positive number" >&2; exit 2; }; done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=$(nproc)
# Upper bounds, so that nothing this script starts can run away.
WORKLOAD_TIMEOUT=300  # seconds, one workload run
SENSOR_BACKSTOP=1800s # --duration of every sensor, should the trap not get to it
START_TIMEOUT=60      # seconds for the sensor to attach

(( EUID == 0 )) || { echo "the eBPF sensor needs root" >&2; exit 1; }
command -v gcc >/dev/null || { echo "gcc not found" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found" >&2; exit 1; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing

# --- the sensor ----------------------------------------------------------------------------------
if [[ -n ${STRATA_BIN:-} ]]; then
    strata=$STRATA_BIN
else
    echo "building strata (release, --features ebpf)..." >&2
    (cd "$ROOT" && cargo build --release --quiet -p strata-cli --features ebpf)
    target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
    strata=$target_dir/release/strata
fi
[[ -x $strata ]] || { echo "strata binary not found at $strata" >&2; exit 1; }

work=$(mktemp -d)
sensor_pid=
loop_pids=()
cleanup() {
    local p
    for p in "${loop_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ -n $sensor_pid ]]; then
        kill -TERM "$sensor_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$sensor_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$sensor_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# sensor_start [ARGS...]: starts the sensor in the background with ARGS added, waits until its
# tracepoints are attached, sets sensor_pid and metrics_url.
sensor_start() {
    : >"$work/sensor.err"
    "$strata" monitor --source ebpf --no-docker --sink "file:$work/alerts.jsonl" \
        --metrics 127.0.0.1:0 --duration "$SENSOR_BACKSTOP" "$@" \
        >/dev/null 2>"$work/sensor.err" &
    sensor_pid=$!
    local deadline=$((SECONDS + START_TIMEOUT))
    until grep -q 'tracepoints attached' "$work/sensor.err"; do
        if ! kill -0 "$sensor_pid" 2>/dev/null || (( SECONDS >= deadline )); then
            echo "the sensor did not start:" >&2
            cat "$work/sensor.err" >&2
            exit 1
        fi
        sleep 0.1
    done
    metrics_url=$(sed -n 's/^strata monitor: metrics on \(http:[^ ]*\)$/\1/p' "$work/sensor.err" | head -n 1)
    [[ -n $metrics_url ]] || { echo "no metrics address in the sensor's output" >&2; cat "$work/sensor.err" >&2; exit 1; }
}

# metric NAME -> the value of the first sample of NAME on the sensor's /metrics.
metric() {
    # awk reads to the end: leaving early would fail curl (EPIPE) under pipefail
    curl -fsS --max-time 5 "$metrics_url" |
        awk -v n="$1" '!found && ($1 == n || index($1, n "{") == 1) { v = $NF; found = 1 } END { if (found) print v }'
}

# drain: waits, 10 s at most, until strata_events_total stops moving: the reader has emptied
# the ring, so that a backlog does not spill into the next measurement.
drain() {
    local last=-1 cur
    for _ in $(seq 50); do
        cur=$(metric strata_events_total)
        [[ $cur == "$last" ]] && return 0
        last=$cur
        sleep 0.2
    done
}

# cpu_ticks PID -> utime + stime in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# sensor_stop: stops the sensor; sets stop_rss (KiB, VmHWM), stop_events and stop_lost (from
# its exit summary) and clears sensor_pid. Not in a subshell: the sensor is this shell's child.
sensor_stop() {
    local hwm summary
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$sensor_pid/status")
    # What the resident set is made of, now: heap and other anonymous memory, and the BPF
    # maps mapped into the process (the ring buffer's data pages are mapped twice).
    stop_anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$sensor_pid/status")
    stop_maps=$(awk '/^[0-9a-f]+-[0-9a-f]+ / { m = ($6 == "anon_inode:bpf-map") } m && /^Rss:/ { s += $2 } END { print s + 0 }' \
        "/proc/$sensor_pid/smaps")
    stop_vmrss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$sensor_pid/status")
    kill -TERM "$sensor_pid"
    local status=0
    # --duration and the trap bound this wait; the sensor stops within its 100 ms poll.
    wait "$sensor_pid" || status=$?
    sensor_pid=
    summary=$(grep '^strata monitor: [0-9]* events' "$work/sensor.err" | tail -n 1 || true)
    if (( status != 0 )) || [[ -z $summary ]]; then
        echo "the sensor failed (exit $status):" >&2
        cat "$work/sensor.err" >&2
        exit 1
    fi
    stop_rss=$hwm
    read -r stop_events stop_lost < <(awk '{ print $3, $9 }' <<<"$summary")
}

# --- the workloads -------------------------------------------------------------------------------
cat >"$work/openloop.c" <<'EOF'
/* open/read/close of one small file, at most ITERS times and for at most MAX_SECONDS, and
 * at most RATE times a second if RATE is given and not 0; prints "iterations seconds
 * iterations_per_second". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: openloop ITERS MAX_SECONDS FILE [RATE]\n");
		return 2;
	}
	long iters = atol(argv[1]), i;
	double max = atof(argv[2]), rate = argc == 5 ? atof(argv[4]) : 0, start = now(), elapsed;
	char buf[4096];

	for (i = 0; i < iters;) {
		int fd = open(argv[3], O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) < 0) {
			perror(argv[3]);
			return 1;
		}
		close(fd);
		if ((++i & 255) == 0) {
			elapsed = now() - start;
			if (elapsed >= max)
				break;
			if (rate > 0 && i / rate > elapsed) {
				double ahead = i / rate - elapsed;
				struct timespec d = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
				nanosleep(&d, NULL);
			}
		}
	}
	elapsed = now() - start;
	printf("%ld %.6f %.0f\n", i, elapsed, i / elapsed);
	return 0;
}
EOF
gcc -O2 -o "$work/openloop" "$work/openloop.c"
printf '%064d' 0 >"$work/small.txt"

# The compile: COMPILE_UNITS generated files, each pulling in the usual headers and holding
# 60 small functions with loops the optimiser works on.
mkdir -p "$work/src"
for ((u = 0; u < COMPILE_UNITS; u++)); do
    awk -v u="$u" 'BEGIN {
        print "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <math.h>"
        print "#include <stdint.h>\n#include <unistd.h>\n#include <pthread.h>\n#include <sys/stat.h>"
        for (f = 0; f < 60; f++) {
            printf "double u%d_f%d(const double *a, size_t n, uint32_t s) {\n", u, f
            print "  double acc = 0; char name[64];"
            print "  for (size_t i = 0; i < n; i++) {"
            printf "    s = s * 1664525u + 1013904223u + %d;\n", f
            print "    acc += sin(a[i] * (s & 0xff)) / (1.0 + fabs(a[(i * 7) % n]));"
            print "    if ((s >> 28) == 3) { snprintf(name, sizeof name, \"%zu-%u\", i, s); acc += strlen(name); }"
            print "  }"
            print "  for (int j = 0; j < 16; j++) acc = acc * 0.5 + sqrt(fabs(acc) + j);"
            print "  return acc;\n}"
        }
        printf "double u%d_all(const double *a, size_t n) {\n  double t = 0;\n", u
        for (f = 0; f < 60; f++) printf "  t += u%d_f%d(a, n, %d);\n", u, f, f
        print "  return t;\n}"
    }' >"$work/src/u$u.c"
done
{
    echo '#include <stdio.h>'
    for ((u = 0; u < COMPILE_UNITS; u++)); do echo "double u${u}_all(const double *, size_t);"; done
    echo 'int main(void) { double a[64] = {1}, t = 0;'
    for ((u = 0; u < COMPILE_UNITS; u++)); do echo "  t += u${u}_all(a, 64);"; done
    echo '  printf("%f\n", t); return 0; }'
} >"$work/src/main.c"

# run_workload NAME -> "seconds" on stdout (wall time from $EPOCHREALTIME).
run_workload() {
    local start end
    start=$EPOCHREALTIME
    case $1 in
        open)
            timeout "$WORKLOAD_TIMEOUT" "$work/openloop" "$OPEN_ITERS" "$WORKLOAD_TIMEOUT" "$work/small.txt" \
                >"$work/openloop.out" ;;
        compile)
            rm -rf "$work/obj" && mkdir "$work/obj"
            (cd "$work/src" && ls ./*.c | timeout "$WORKLOAD_TIMEOUT" xargs -P "$JOBS" -I{} \
                gcc -O2 -c {} -o "$work/obj/{}.o" &&
                timeout "$WORKLOAD_TIMEOUT" gcc -o "$work/obj/prog" "$work"/obj/*.o -lm) ;;
    esac
    end=$EPOCHREALTIME
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "strata: $strata"
echo "runs:   $RUNS per workload and mode, interleaved, after one warm-up run each"
echo "cpu:    $JOBS cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); kernel $(uname -r)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
others=$(pgrep -x strata | grep -vx "$$" || true)
[[ -z $others ]] || echo "warning: other strata processes are running (pids $(echo $others)); figures will include them"
# Another sensor's programs on the same tracepoints slow the workloads with and without ours.
if command -v bpftool >/dev/null && command -v jq >/dev/null; then
    foreign=$(bpftool -j prog show 2>/dev/null | jq '[.[] | select(.name == "sys_enter_openat")] | length' || echo 0)
    (( foreign == 0 )) || echo "warning: $foreign eBPF program(s) already attached to sys_enter_openat (another sensor?); both modes pay for them"
fi
echo

peak_rss=0 peak_detail=
note_rss() {
    if (( stop_rss > peak_rss )); then
        peak_rss=$stop_rss
        peak_detail=$(awk -v r="$stop_vmrss" -v a="$stop_anon" -v m="$stop_maps" 'BEGIN {
            printf "RSS at stop %.1f MiB: anonymous %.1f, BPF maps %.1f, binary and libraries %.1f", r / 1024, a / 1024, m / 1024, (r - a - m) / 1024 }')
    fi
    return 0
}

# --- 1. slowdown -----------------------------------------------------------------------------------
printf '%-8s %-8s %4s %10s %12s %10s\n' workload mode run "wall (s)" "sensor CPU s" events
summary=()
for w in open compile; do
    : >"$work/$w.without"
    : >"$work/$w.with"
    : >"$work/$w.cpu"
    : >"$work/$w.events"
    run_workload "$w" >/dev/null # warm-up: page cache, gcc's binaries
    for ((i = 0; i <= RUNS; i++)); do
        if (( i % 2 )); then order=(with without); else order=(without with); fi
        for mode in "${order[@]}"; do
            if [[ $mode == with ]]; then
                sensor_start --fold-window "$FOLD_WINDOW"
                t0=$(cpu_ticks "$sensor_pid")
                secs=$(run_workload "$w")
                sleep 0.3 # let the reader drain what is left in the ring
                t1=$(cpu_ticks "$sensor_pid")
                sensor_stop
                note_rss
                events=$stop_events lost=$stop_lost
                cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
                (( lost == 0 )) || echo "warning: $lost events lost in the kernel during $w run $i" >&2
            else
                secs=$(run_workload "$w")
                cpu=- events=-
            fi
            (( i == 0 )) && continue # run 0: one warm-up with the sensor too
            echo "$secs" >>"$work/$w.$mode"
            if [[ $mode == with ]]; then echo "$cpu" >>"$work/$w.cpu"; echo "$events" >>"$work/$w.events"; fi
            printf '%-8s %-8s %4d %10.3f %12s %10s\n' "$w" "$mode" "$i" "$secs" "$cpu" "$events"
        done
    done
    without=$(median <"$work/$w.without")
    with=$(median <"$work/$w.with")
    cpu=$(median <"$work/$w.cpu")
    events=$(median <"$work/$w.events")
    case $w in
        open) label="open/read/close loop, $OPEN_ITERS iterations" ;;
        compile) label="gcc -O2 of $COMPILE_UNITS files, $JOBS jobs, + link" ;;
    esac
    summary+=("$(awk -v n="$label" -v a="$without" -v b="$with" -v c="$cpu" -v e="$events" 'BEGIN {
        r = (a > 0 ? b / a : 0)
        printf "| %s | %.3f | %.3f | %.3f%s | %.2f | %d |", n, a, b, r, (r <= 1.05 ? "" : " (target <= 1.05 missed)"), c, e }')")
done

# --- 2. throughput ---------------------------------------------------------------------------------
echo
printf '%-10s %12s %12s %12s %8s %8s\n' instances "opens/s" "events/s" "events" drops "kept up"
throughput=()
for par in 1 2; do
    # Every open crosses the ring here: this measures the event path, not the folding.
    sensor_start --fold-window 0
    e0=$(metric strata_events_total)
    d0=$(metric strata_kernel_drops_total)
    start=$EPOCHREALTIME
    loop_pids=()
    for ((p = 0; p < par; p++)); do
        timeout $((SECONDS_FLAT + 30)) "$work/openloop" 1000000000000 "$SECONDS_FLAT" "$work/small.txt" \
            >"$work/flat.$p" &
        loop_pids+=($!)
    done
    for p in "${loop_pids[@]}"; do wait "$p"; done
    loop_pids=()
    end=$EPOCHREALTIME
    sleep 0.5 # the reader's poll is 100 ms; give it time to drain the ring
    e1=$(metric strata_events_total)
    d1=$(metric strata_kernel_drops_total)
    sensor_stop
    note_rss
    lost=$stop_lost
    opens=$(cat "$work"/flat.* | awk '{ s += $3 } END { printf "%.0f", s }')
    rm -f "$work"/flat.*
    line=$(awk -v e0="$e0" -v e1="$e1" -v d0="$d0" -v d1="$d1" -v a="$start" -v b="$end" -v o="$opens" \
        -v lost="$lost" -v p="$par" 'BEGIN {
        printf "%d %.0f %.0f %d %d %d", p, o, (e1 - e0) / (b - a), e1 - e0, d1 - d0, lost }')
    read -r _ ops eps n drops lost_total <<<"$line"
    kept=no
    (( drops == 0 && eps * 100 >= ops * 98 )) && kept=yes
    printf '%-10s %12s %12s %12s %8s %8s\n' "$par" "$ops" "$eps" "$n" "$drops" "$kept"
    throughput+=("| $par x open loop, ${SECONDS_FLAT} s | $ops | $eps | $n | $drops (whole run: $lost_total) | $kept |")
done

# The same loop paced at fixed rates, one sensor for all of them: the highest rate the sensor
# keeps up with without a drop.
echo
printf '%-10s %12s %12s %12s %8s %8s\n' "paced at" "opens/s" "events/s" "events" drops "kept up"
best_rate=0
sensor_start --fold-window 0
for rate in $PACE_RATES; do
    e0=$(metric strata_events_total)
    d0=$(metric strata_kernel_drops_total)
    start=$EPOCHREALTIME
    timeout $((PACE_SECONDS + 30)) "$work/openloop" 1000000000000 "$PACE_SECONDS" "$work/small.txt" "$rate" \
        >"$work/paced" &
    loop_pids=($!)
    wait "${loop_pids[0]}"
    loop_pids=()
    end=$EPOCHREALTIME
    sleep 0.5
    e1=$(metric strata_events_total)
    d1=$(metric strata_kernel_drops_total)
    line=$(awk -v e0="$e0" -v e1="$e1" -v d0="$d0" -v d1="$d1" -v a="$start" -v b="$end" '{
        printf "%.0f %.0f %d %d", $3, (e1 - e0) / (b - a), e1 - e0, d1 - d0 }' "$work/paced")
    read -r ops eps n drops <<<"$line"
    drain
    # Kept up: nothing dropped, and the reader was no more than 2% behind 0.5 s after the
    # loop ended (a reader that falls behind only shows drops once the ring is full).
    kept=no
    (( drops == 0 && eps * 100 >= ops * 98 )) && kept=yes
    printf '%-10s %12s %12s %12s %8s %8s\n' "$rate" "$ops" "$eps" "$n" "$drops" "$kept"
    throughput+=("| 1 x open loop paced at $rate/s, ${PACE_SECONDS} s | $ops | $eps | $n | $drops | $kept |")
    [[ $kept == yes ]] && (( ops > best_rate )) && best_rate=$ops
done
sensor_stop
note_rss

# --- results --------------------------------------------------------------------------------------
echo
echo "Slowdown, medians of $RUNS runs ($JOBS cores$( [[ $JOBS -le 2 ]] && echo ", shared with other work" )):"
echo
echo "| workload | without sensor (s) | with sensor (s) | with / without | sensor CPU (s) | events read |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${summary[@]}"
echo
echo "Throughput under the sensor (events/s: strata_events_total read 0.5 s after the loop ended, over the loop's wall time):"
echo
echo "| load | opens/s (loops' own count) | events/s | events | kernel drops | kept up |"
echo "| --- | ---: | ---: | ---: | ---: | :---: |"
printf '%s\n' "${throughput[@]}"
echo
if (( best_rate > 0 )); then
    echo "Highest paced rate the sensor kept up with (no drops, reader <= 2% behind): $best_rate opens/s."
else
    echo "The sensor kept up with none of the paced rates ($PACE_RATES /s)."
fi
echo
awk -v k="$peak_rss" -v d="$peak_detail" 'BEGIN { m = k / 1024
    printf "Sensor peak RSS (VmHWM, highest of all runs): %.1f MiB%s\n(%s)\n", m,
        (m <= 50 ? " (target <= 50 MiB met)" : " (target <= 50 MiB missed)"), d }'
