"""The install resolves to PyTorch's CPU build: no nvidia-* (CUDA) package is ever pulled in."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _setup_lines(prefix: str) -> list[str]:
    return [line for line in (REPO / "scripts" / "setup.sh").read_text().splitlines() if line.startswith(prefix)]


def test_the_install_resolves_without_any_cuda_package(tmp_path):
    (torch_pin,) = [line.split('"')[1] for line in _setup_lines("TORCH=")]
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--disable-pip-version-check", "--report", str(report), torch_pin, f"{REPO}[test]"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert "torch" in names and "sentence-transformers" in names
    assert not sorted(n for n in names if n.startswith("nvidia-") or n == "triton")


def test_setup_tries_the_cpu_index_first_and_says_when_it_falls_back():
    script = (REPO / "scripts" / "setup.sh").read_text()
    cpu_first = script.index('--index-url "$TORCH_CPU_INDEX" "$TORCH"')
    fallback = script.index('install "${pip_quiet[@]}" "$TORCH"')
    assert cpu_first < fallback and "cannot be reached" in script[cpu_first:fallback]
