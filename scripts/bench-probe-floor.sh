#!/usr/bin/env bash
# The floor under the sensor's open-loop slowdown: what tracing costs the open/read/close
# loop of bench-monitor.sh before strata's programs do anything. Each case loads BPF
# programs that return at once, and the loop runs RUNS times with each attached,
# between runs without anything attached:
#
#   other-syscall   one empty program on sys_enter_mkdirat, a syscall the loop never makes:
#                   the cost of the traced syscall path alone (every syscall of every task
#                   takes it while any syscall tracepoint is attached)
#   openat-tp       empty programs on sys_enter_openat and sys_exit_openat (what the probe
#                   attached to before it read open's arguments at exit)
#   openat-exit     an empty program on sys_exit_openat alone (what the probe attaches to
#                   for opens now)
#   raw-syscalls    empty programs on the raw_syscalls sys_enter and sys_exit raw
#                   tracepoints (run for every syscall)
#
#   scripts/bench-probe-floor.sh [-n RUNS]
#
# Prints ns per iteration and the ratio to the loop without tracing. Needs root, clang
# (clang-14 on Debian 12), libbpf-dev and gcc.
set -euo pipefail

RUNS=3
while getopts "n:h" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        h) sed -n '2,19p' "$0"; exit 0 ;;
        *) exit 2 ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "-n needs a positive number" >&2; exit 2; }
ITERS=${OPEN_ITERS:-2000000}
(( EUID == 0 )) || { echo "loading BPF programs needs root" >&2; exit 1; }
clang=$(command -v clang || command -v clang-14 || true)
[[ -n $clang ]] || { echo "clang not found" >&2; exit 1; }
[[ -f /usr/include/bpf/libbpf.h ]] || { echo "libbpf-dev not installed" >&2; exit 1; }
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing

work=$(mktemp -d)
loader_pid=
cleanup() {
    [[ -n $loader_pid ]] && kill "$loader_pid" 2>/dev/null && wait "$loader_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/openloop.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long iters = atol(argv[1]);
	char buf[4096];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < iters; i++) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof buf) < 0)
			return 1;
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters);
	return 0;
}
EOF
# Loads an object, attaches all its programs, prints "ready", waits for SIGTERM.
cat >"$work/loader.c" <<'EOF'
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static void on_term(int s) { (void)s; _exit(0); }
int main(int argc, char **argv)
{
	struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
	struct bpf_program *p;
	if (!o || bpf_object__load(o))
		return 1;
	bpf_object__for_each_program(p, o)
		if (!bpf_program__attach(p))
			return 1;
	signal(SIGTERM, on_term);
	puts("ready");
	fflush(stdout);
	for (;;)
		pause();
}
EOF
gcc -O2 -o "$work/openloop" "$work/openloop.c"
gcc -O2 -o "$work/loader" "$work/loader.c" -lbpf
printf '%064d' 0 >"$work/small.txt"

multiarch=$(gcc -print-multiarch 2>/dev/null || true)
empty() { # NAME SECTION...
    local name=$1 sec i=0
    shift
    {
        echo '#include <linux/bpf.h>'
        echo '#include <bpf/bpf_helpers.h>'
        for sec in "$@"; do echo "SEC(\"$sec\") int p$((i++))(void *ctx) { return 0; }"; done
        echo 'char LICENSE[] SEC("license") = "GPL";'
    } >"$work/$name.bpf.c"
    "$clang" -O2 -target bpf ${multiarch:+-I/usr/include/$multiarch} -c "$work/$name.bpf.c" -o "$work/$name.o"
}
empty other-syscall tracepoint/syscalls/sys_enter_mkdirat
empty openat-tp tracepoint/syscalls/sys_enter_openat tracepoint/syscalls/sys_exit_openat
empty openat-exit tracepoint/syscalls/sys_exit_openat
empty raw-syscalls raw_tracepoint/sys_enter raw_tracepoint/sys_exit

loop() { # median ns per iteration of RUNS runs
    local r
    for ((r = 0; r < RUNS; r++)); do "$work/openloop" "$ITERS" "$work/small.txt"; done |
        sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

printf '%-14s %10s %8s\n' case ns/iter ratio
for name in other-syscall openat-tp openat-exit raw-syscalls; do
    base=$(loop)
    "$work/loader" "$work/$name.o" >"$work/ready" &
    loader_pid=$!
    for ((i = 0; i < 50; i++)); do grep -q ready "$work/ready" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$work/ready" || { echo "$name: the programs did not load" >&2; exit 1; }
    with=$(loop)
    kill "$loader_pid"; wait "$loader_pid" 2>/dev/null || true
    loader_pid=
    printf '%-14s %10s %8s\n' "none" "$base" "1.000"
    printf '%-14s %10s %8s\n' "$name" "$with" "$(awk -v a="$with" -v b="$base" 'BEGIN { printf "%.3f", a / b }')"
done
