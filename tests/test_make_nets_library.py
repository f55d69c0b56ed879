"""scripts/make_nets_library.py names each MedQuAD record's section for what it holds (the example library's pages
are written by it, so a wrong heading is what readers and the search see)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_nets_library.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_nets_library", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("record, heading", [
    ("Key Points\n - Small intestine cancer is a rare disease in which malignant cells form. - Signs and symptoms of "
     "small intestine cancer include pain.", "Overview"),
    ("Key Points\n - The plan for cancer treatment depends on where the NET is found and whether it has spread. - "
     "There are three ways that cancer spreads.", "Stages and spread"),
    ("Key Points\n - Tests and procedures to stage pancreatic cancer are usually done at the same time as diagnosis.",
     "Stages and spread"),
    ("Key Points\n - There are different types of treatment for patients with pancreatic NETs. - New types of "
     "treatment are being tested in clinical trials.", "Treatment"),
    ("Key Points\n - Screening tests have risks.", "Screening"),
    ("What are the signs and symptoms of Insulinoma? The Human Phenotype Ontology lists these.",
     "What are the signs and symptoms of Insulinoma?"),
])
def test_each_record_is_headed_for_what_it_holds(script, record: str, heading: str) -> None:
    found, text = script.heading_and_text(record)
    assert found == heading
    assert "Key Points" not in text and text  # the record's label is not left in the passage
