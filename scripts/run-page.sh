#!/usr/bin/env bash
# Set up, bring the index up to date (builds it if missing; a no-op if nothing changed), open the page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
nets-search build
exec streamlit run app.py --server.headless true "$@"
