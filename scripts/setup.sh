#!/usr/bin/env bash
# Create .venv and install the project from the lock in requirements/ (exact versions with hashes, for CPython
# 3.11 on Linux x86-64; bash scripts/lock.sh regenerates it). Nothing is resolved: every pip call below installs
# named, hashed files with --no-deps, so a new release on the registry changes nothing here.
#   1. pip itself, upgraded from requirements/pip.txt;
#   2. PyTorch's CPU build (requirements/torch-cpu.txt) from PyTorch's CPU wheel index, as PyTorch's own install
#      instructions do for CPU; where that index cannot be reached (an offline mirror, an air-gapped server) the
#      same file is looked for in the default index and find-links, and the line below says so. Plain "torch" from
#      PyPI would be the CUDA build, several GB;
#   3. everything else from requirements/runtime.txt (or test.txt with the argument "test");
#   4. the project itself, editable, with the locked setuptools and no build isolation.
# A second run with the same lock files does nothing: a stamp in .venv records what was installed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
lock="requirements/runtime.txt"
[ "$extras" = "test" ] && lock="requirements/test.txt"
TORCH_CPU_INDEX="${NETS_SEARCH_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
. .venv/bin/activate
stamp=".venv/.nets-search-lock"
wanted="$(cat requirements/pip.txt requirements/torch-cpu.txt "$lock" pyproject.toml | sha256sum | cut -c1-16) $lock"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "setup: .venv already matches $lock; nothing to install"
  exit 0
fi
locked=(--quiet --disable-pip-version-check --no-deps --require-hashes)
echo "setup: upgrading pip in .venv (requirements/pip.txt)"
python -m pip install "${locked[@]}" -r requirements/pip.txt
if ! python -c "import torch, sys; sys.exit(0 if torch.__version__ == '2.13.0+cpu' else 1)" >/dev/null 2>&1; then
  echo "setup: installing PyTorch's CPU build (requirements/torch-cpu.txt)"
  if ! python -m pip install "${locked[@]}" --timeout 20 --retries 0 --index-url "$TORCH_CPU_INDEX" \
      -r requirements/torch-cpu.txt 2>/dev/null; then
    echo "setup: PyTorch's CPU index cannot be reached; looking for the same file in the default index instead"
    python -m pip install "${locked[@]}" -r requirements/torch-cpu.txt
  fi
fi
echo "setup: installing the locked dependencies ($lock)"
python -m pip install "${locked[@]}" -r "$lock"
echo "setup: installing nets-search${extras:+ [$extras]}"
python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
echo "$wanted" > "$stamp"
