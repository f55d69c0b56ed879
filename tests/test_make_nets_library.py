"""scripts/make_nets_library.py names each MedQuAD record's section for what it holds (the example library's pages
are written by it, so a wrong heading is what readers and the search see)."""

from __future__ import annotations

import importlib.util
import json
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
    ("MEN1 is an inherited disorder that causes tumors in the endocrine glands.", "Overview"),
    ("Multiple endocrine neoplasia type 2A (MEN 2A) is is an inherited disorder caused by mutations in the RET gene.",
     "Overview"),
    ("This condition is inherited in an autosomal dominant pattern.", "How it is inherited"),
])
def test_each_record_is_headed_for_what_it_holds(script, record: str, heading: str) -> None:
    found, text = script.heading_and_text(record)
    assert found == heading
    assert "Key Points" not in text and text  # the record's label is not left in the passage


def test_every_medquad_source_has_a_publisher_name_in_words(script) -> None:
    """The nine source codes of MedQuAD each map to a name a reader knows; an unknown code stops the script."""
    codes = {"CancerGov", "GARD", "GHR", "MPlusHealthTopics", "NIDDK", "NINDS", "NHLBI", "NIHSeniorHealth", "CDC"}
    assert set(script.PUBLISHERS) == codes
    assert script.publisher_name("CancerGov") == "National Cancer Institute"
    assert script.publisher_name("MPlusHealthTopics") == "MedlinePlus"
    with pytest.raises(SystemExit, match="NEWCODE"):
        script.publisher_name("NEWCODE")


def test_front_matter_names_the_publisher_credits_medquad_and_invents_no_date(script) -> None:
    lines = script.front_matter("Insulinoma", {"url": "https://rarediseases.info.nih.gov/gard/3010/insulinoma",
                                               "source": "GARD"}, "GARD_0003010")
    assert 'publisher: "Genetic and Rare Diseases Information Center"' in lines
    assert any(line.startswith("license: CC BY 4.0 (MedQuAD") for line in lines)
    assert not any(line.startswith("reviewed:") for line in lines)  # MedQuAD has no review dates


def test_a_rerun_replaces_its_own_pages_and_keeps_the_folders_other_files(script, tmp_path: Path) -> None:
    """The folder also holds the seed page, the glossary and labelled questions that others edit."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"_id": "GARD_0003010_Sec1", "title": "Insulinoma", "text": "What is insulinoma? "
                                  "A tumour of the pancreas.", "metadata": {"source": "GARD", "url": "u"}}) + "\n",
                      encoding="utf-8")
    out = tmp_path / "library"
    out.mkdir()
    kept = {"lay-questions.jsonl": '{"question": "q"}\n', "glossary.yaml": "jab: injection\n",
            "nets-key-facts.md": "---\ntitle: Key facts\npublisher: Ipsen Ltd\n---\n\nText.\n"}
    for name, text in kept.items():
        (out / name).write_text(text, encoding="utf-8")
    (out / "old-page-gard.md").write_text(f"---\ntitle: Old\nlicense: {script.LICENSE}\n---\n\nOld.\n",
                                          encoding="utf-8")
    script.main(corpus, out)
    assert {p.name for p in out.iterdir()} == {*kept, "insulinoma-gard.md"}
    assert all((out / name).read_text(encoding="utf-8") == text for name, text in kept.items())
    assert 'publisher: "Genetic and Rare Diseases Information Center"' in (out / "insulinoma-gard.md").read_text()
