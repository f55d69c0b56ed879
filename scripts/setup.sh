#!/usr/bin/env bash
# Create .venv and install the project. PyTorch's CPU wheel goes in first: if pip resolved plain "torch"
# through a dependency it would pull several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
. .venv/bin/activate
if ! python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing PyTorch (CPU build)"
  python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
fi
echo "setup: installing nets-search${extras:+ [$extras]}"
python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
