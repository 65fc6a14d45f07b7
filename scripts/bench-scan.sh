#!/usr/bin/env bash
# Benchmark `strata scan` end to end against `syft` cataloguing the same tarballs (the issue's
# bar: a whole scan, database lookups included, at least 5x faster than syft's catalogue).
# First imports every record of ../shared/data/vulndb into a fresh database and reports the
# import's wall time, peak memory and the database's size on disk.
#
#   scripts/bench-scan.sh [-n RUNS] [TARBALL...]
#
# Environment as for scripts/bench-sbom.sh, plus STRATA_TEST_DATA (default ../shared/data).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${STRATA_TEST_DATA:-$ROOT/../shared/data}
TIME=/usr/bin/time
[[ -x $TIME ]] || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 1; }
if [[ -z ${STRATA_BIN:-} ]]; then
    (cd "$ROOT" && cargo build --release --quiet -p strata-cli)
    export STRATA_BIN=$ROOT/target/release/strata
fi

db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
v=$DATA/vulndb
inputs=("$v/distro/debian12-derived/debian12-derived-osv.tar.zst" "$v/ghsa/advisories"
        "$v/pypa-advisory-database.tar.zst" "$v/rustsec-advisory-db-osv.tar.zst"
        "$v/golang-vulndb-osv.tar.zst" "$v/distro/alpine-secdb")
start=$EPOCHREALTIME
"$TIME" -f '%M' -o "$db.rss" "$STRATA_BIN" db import --db "$db" "${inputs[@]}" >"$db.out" 2>/dev/null
end=$EPOCHREALTIME
records=$(sed -n 's/.*\b\([0-9][0-9]*\) records.*/\1/p' "$db.out" | tail -n 1)
size=$(du -sk "$db" | cut -f1)
echo "import: $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s," \
     "peak RSS $(awk -v k="$(tail -n 1 "$db.rss")" 'BEGIN { printf "%.1f", k / 1024 }') MiB," \
     "database $(awk -v k="$size" 'BEGIN { printf "%.1f", k / 1024 }') MiB on disk${records:+, $records records}"
rm -f "$db.rss" "$db.out"
echo
STRATA_COMMAND_LINE="scan --db $db" "$ROOT/scripts/bench-sbom.sh" "$@"
