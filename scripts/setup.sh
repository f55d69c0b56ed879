#!/usr/bin/env bash
# Create .venv and install the project. PyTorch goes in first, as its CPU build: if pip resolved plain "torch"
# through a dependency from the public index, it would pull the CUDA build and several GB of nvidia-* packages.
# PyTorch's own CPU wheel index is tried first (as PyTorch's install instructions do for CPU); where it cannot be
# reached (an offline mirror, an air-gapped server), the default index is used, and the line below says so.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
TORCH="torch==2.13.0"
TORCH_CPU_INDEX="${NETS_SEARCH_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
. .venv/bin/activate
pip_quiet=(--quiet --disable-pip-version-check)
if ! python -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing PyTorch (CPU build) from PyTorch's CPU index"
  if ! python -m pip install "${pip_quiet[@]}" --timeout 20 --retries 0 --index-url "$TORCH_CPU_INDEX" "$TORCH" 2>/dev/null; then
    echo "setup: PyTorch's CPU index cannot be reached; installing $TORCH from the default index instead"
    python -m pip install "${pip_quiet[@]}" "$TORCH"
  fi
fi
if python -c "import torch, sys; sys.exit(0 if torch.version.cuda is None else 1)" 2>/dev/null; then :; else
  echo "setup: warning: the installed PyTorch is a CUDA build; NETs Search needs only the CPU build" >&2
fi
echo "setup: installing nets-search${extras:+ [$extras]}"
python -m pip install "${pip_quiet[@]}" -e ".${extras:+[$extras]}"
