"""The lock in requirements/ agrees with pyproject.toml and installs PyTorch's CPU build, never a CUDA package.

These read files only: what they guard is that `bash scripts/setup.sh` installs exactly the set the tests passed
with, without pip resolving anything (the resolution that once took 12 minutes of backtracking).
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCKS = REPO / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", re.MULTILINE)
CUDA_ONLY = re.compile(r"^(nvidia-|cuda-|triton$)")


def _pins(path: Path) -> dict[str, Version]:
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(path.read_text())}


def _entries(path: Path) -> list[str]:
    """One string per locked requirement: its pin line and the hash lines continued after it."""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    return [line for line in text.splitlines() if PIN.match(line)]


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _requirements(*extras: str) -> list[Requirement]:
    project = _project()
    listed = project["dependencies"] + [r for extra in extras for r in project["optional-dependencies"][extra]]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(
    ("lock", "extras"), [("runtime.txt", ()), ("test.txt", ("test", "qdrant"))], ids=["runtime", "test"],
)
def test_every_requirement_of_pyproject_is_locked_at_a_version_it_allows(lock, extras):
    pins = _pins(LOCKS / lock)
    disagreements = [
        f"{req}: locked {pins.get(canonicalize_name(req.name), 'nowhere')}"
        for req in _requirements(*extras)
        if canonicalize_name(req.name) not in pins or pins[canonicalize_name(req.name)] not in req.specifier
    ]
    assert not disagreements, "pyproject.toml and the lock disagree (run bash scripts/lock.sh): " + "; ".join(
        disagreements)


def test_the_test_lock_holds_the_runtime_lock_at_the_same_versions():
    runtime, test = _pins(LOCKS / "runtime.txt"), _pins(LOCKS / "test.txt")
    assert {name: test.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["pip.txt", "torch-cpu.txt", "runtime.txt", "test.txt"])
def test_every_locked_file_carries_a_hash(lock):
    entries = _entries(LOCKS / lock)
    assert entries and all("--hash=sha256:" in entry for entry in entries)


@pytest.mark.parametrize("lock", ["runtime.txt", "test.txt"])
def test_no_cuda_package_and_no_pypi_torch_is_locked(lock):
    names = set(_pins(LOCKS / lock))
    assert "torch" not in names and not sorted(n for n in names if CUDA_ONLY.match(n))
    assert {"sympy", "networkx", "filelock"} <= names  # PyTorch's own dependencies stay in


def test_torch_is_the_cpu_build_of_the_release_the_lock_was_resolved_against():
    (cpu,) = _pins(LOCKS / "torch-cpu.txt").values()
    (resolved_against,) = _pins(LOCKS / "torch.in").values()
    assert cpu.local == "cpu" and cpu.public == str(resolved_against)


def test_the_build_backend_of_the_editable_install_is_locked_too():
    backend = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]
    pins = _pins(LOCKS / "runtime.txt")
    assert all(pins.get(canonicalize_name(Requirement(r).name)) in Requirement(r).specifier for r in backend)


def test_setup_installs_only_hashed_files_without_resolving():
    calls = [line for line in (REPO / "scripts" / "setup.sh").read_text().splitlines() if "pip install" in line]
    assert calls and all("--no-deps" in call or "${locked[@]}" in call for call in calls)
    assert all("--require-hashes" in call or "${locked[@]}" in call or "-e ." in call for call in calls)
