#!/usr/bin/env bash
# Set up (with test extras, Chromium and axe-core for the browser and accessibility tests), then run the whole
# test suite, then all but the browser tests again with the vectors in Qdrant's local mode. With CI=true a browser
# or accessibility tool that cannot be installed fails the run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
strict=false
[ "${CI:-}" = "true" ] && strict=true
missing() {  # what is missing, and what happens: skipped tests here, a failed run in CI
  if $strict; then echo "test: $1 is required in CI and could not be installed" >&2; exit 1; fi
  echo "setup: $1 is missing; the browser tests that need it will be skipped"
}
bash scripts/setup.sh test
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Chromium for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || true
  fi
  [ -x /usr/bin/chromium ] || missing "Chromium (/usr/bin/chromium)"
fi
if [ ! -f .tools/node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null; then
    echo "setup: installing axe-core for the accessibility check"
    npm install --silent --no-audit --no-fund --prefix .tools axe-core@4 >/dev/null || true
  fi
  [ -f .tools/node_modules/axe-core/axe.min.js ] || missing "axe-core (npm install --prefix .tools axe-core@4)"
fi
. .venv/bin/activate
python -c "import playwright.sync_api" 2>/dev/null || missing "Playwright (pip install playwright)"
# Each pass's temporary folders are removed when it ends (pytest would keep the last three runs' on disk).
scratch="$(mktemp -d "${TMPDIR:-/tmp}/nets-search-tests.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
python -m pytest --basetemp="$scratch/faiss" "$@"
rm -rf "$scratch/faiss"
echo "test: again with the vectors in Qdrant's local mode (NETS_SEARCH_VECTORS=qdrant-local; the browser tests once is enough)"
NETS_SEARCH_VECTORS=qdrant-local python -m pytest -m "not browser" --basetemp="$scratch/qdrant" "$@"
