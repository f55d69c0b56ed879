"""The package's shape, checked from its own imports: each folder is a stage of the flow and a module imports only
from its own folder or the stages below it (README, "How it works"), so the folders can be read top to bottom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nets_search"

# Lowest first; the top-level modules are shared by every stage. The page and the CLI are both edges.
STAGES = ("", "corpus", "encode", "index", "search", "evaluate", "build", "page", "cli")
LEVEL = {stage: level for level, stage in enumerate(STAGES)}
LEVEL["cli"] = LEVEL["page"]
MAX_LINES = 330  # "about 300": a module past this holds more than one idea


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def _imported_stages(path: Path) -> set[tuple[str, str]]:
    """(imported module, its stage) for every import of the package in `path`, wherever it stands in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "nets_search" and len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
                found.add((name, parts[1]))
            elif parts[0] == "nets_search" and len(parts) > 1:
                found.add((name, ""))
    return found


def test_every_stage_of_the_flow_is_a_folder_of_the_package():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == set(STAGES) - {""}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_nothing_from_a_later_stage(path):
    stage = _stage_of(path)
    upward = sorted(name for name, target in _imported_stages(path) if LEVEL[target] > LEVEL[stage])
    assert not upward, f"{path.relative_to(PACKAGE)} ({stage or 'top'}) imports from a later stage: {upward}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_outgrows_one_idea(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines: split it by idea"


def test_the_stage_checker_sees_an_upward_import(tmp_path):
    """The check above must be able to fail: an index module that imported the searcher would be caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from nets_search.search.searcher import Searcher\nimport nets_search.errors\n")
    assert _imported_stages(bad) == {("nets_search.search.searcher", "search"),
                                     ("nets_search.search.searcher.Searcher", "search"), ("nets_search.errors", "")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _loaded_at_import(path: Path, known: set[str]) -> set[str]:
    """The package's modules `path` imports when it is itself imported (statements at module level; imports inside
    functions run later and cannot make an import cycle)."""
    found = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            candidates = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in candidates if name in known}
    return found


def test_no_import_cycle():
    paths = {_module_name(p): p for p in _modules()}
    graph = {name: _loaded_at_import(path, set(paths)) - {name} for name, path in paths.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import cycle: {' -> '.join(trail[trail.index(name):] + (name,))}"
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, trail + (name,))
        done.add(name)

    for name in graph:
        visit(name, ())
