#!/usr/bin/env bash
# Regenerate the lock files in requirements/ from pyproject.toml: exact versions with hashes of everything
# scripts/setup.sh installs, for CPython 3.11 on Linux x86-64. Run it after changing a dependency in pyproject.toml
# (tests/test_install.py fails until you do). Needs uv (pip install uv); it asks PyPI, nothing else.
#   requirements/pip.txt        pip itself, upgraded first in the venv
#   requirements/torch-cpu.txt  PyTorch's CPU build (written by hand: PyPI holds only the CUDA build for Linux)
#   requirements/runtime.txt    the project's dependencies, and the build backend for its editable install
#   requirements/test.txt       the same plus the test and qdrant extras, at the same versions
# torch and what only its CUDA build needs (nvidia-*, cuda-*, triton) are left out of the last two: PyTorch comes
# from requirements/torch-cpu.txt instead, and its own dependencies (sympy, networkx, ...) stay in.
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-uv}"
common=(--python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes --quiet
        --no-header --constraint requirements/torch.in)
cuda_only() {  # the names to leave out, read off a first resolution
  "$uv" pip compile "${common[@]}" "$@" | grep -oE '^(torch|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)==' \
    | tr -d '=' | sed 's/^/--no-emit-package=/'
}
compile() {  # compile OUT [inputs and options...]
  local out="$1"; shift
  mapfile -t skip < <(cuda_only "$@")
  "$uv" pip compile "${common[@]}" "${skip[@]}" "$@" -o "$out"
}
"$uv" pip compile "${common[@]}" requirements/pip.in -o requirements/pip.txt
compile requirements/runtime.txt pyproject.toml requirements/build.in
compile requirements/test.txt pyproject.toml requirements/build.in --extra test --extra qdrant \
  --constraint requirements/runtime.txt
echo "lock: requirements/ regenerated; commit it with the pyproject.toml change"
