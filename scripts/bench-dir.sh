#!/usr/bin/env bash
# Benchmark `strata sbom dir:` against `syft dir:` on a large project tree: a node_modules
# of over 1,000 packages installed with npm, plus Python site-packages installed with pip.
#
#   scripts/bench-dir.sh [-n RUNS]
#
# The tree is built once under $STRATA_BENCH_DIR (default /var/cache/strata-bench/tree) and
# reused; delete it to rebuild. Building needs npm and pip with the npm registry and PyPI.
# The runs themselves are scripts/bench-sbom.sh's: interleaved, medians, ratios.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TREE=${STRATA_BENCH_DIR:-/var/cache/strata-bench}/tree

# Pinned so that the tree, and so the figures, stay the same from run to run.
NPM_DEPS=(react-scripts@5.0.1 eslint@8.57.0 webpack@5.94.0 jest@29.7.0 typescript@4.9.5)
PIP_DEPS=(jupyterlab==4.2.5 sphinx==7.4.7 django==5.1.1 flask==3.0.3 ansible-core==2.17.4 boto3==1.35.20)

if [[ ! -f $TREE/.complete ]]; then
    command -v npm >/dev/null || { echo "npm is needed to build the tree" >&2; exit 1; }
    echo "building $TREE (npm install, pip install)..." >&2
    rm -rf "$TREE"
    mkdir -p "$TREE/web" "$TREE/venv"
    (cd "$TREE/web" && npm init -y >/dev/null &&
        npm install --no-audit --no-fund --loglevel=error "${NPM_DEPS[@]}" >&2)
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
        --target "$TREE/venv/lib/python3.11/site-packages" "${PIP_DEPS[@]}" >&2
    touch "$TREE/.complete"
fi
npm_count=$(find "$TREE/web/node_modules" -name package.json -path '*/node_modules/*' \
    -not -path '*/node_modules/*/node_modules/*/*/*' | wc -l)
py_count=$(find "$TREE/venv" -maxdepth 4 -name '*.dist-info' -type d | wc -l)
echo "tree: $TREE ($npm_count package.json files under node_modules, $py_count Python distributions)"
exec "$ROOT/scripts/bench-sbom.sh" "$@" "dir:$TREE"
