#!/usr/bin/env bash
# Set up, bring the index up to date (builds it if missing; a no-op if nothing changed), open the page.
# NETS_SEARCH_CORPUS / NETS_SEARCH_INDEX choose other folders, as they do for the page itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
corpus="${NETS_SEARCH_CORPUS:-corpus}"
index="${NETS_SEARCH_INDEX:-index}"
if ! nets-search build --corpus "$corpus" --index "$index"; then
  # A bad page stops the build but the previous index still answers: open the page on it if there is one.
  [ -f "$index/CURRENT" ] || exit 1
  echo "run-page: the build failed (see above); the page opens on the previous index"
fi
exec streamlit run app.py --server.headless true "$@"
