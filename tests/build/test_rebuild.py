"""An editor's rebuild (rebuild.py): the model is loaded once for the build, its calibration and the golden check."""

from __future__ import annotations

import shutil

import pytest

from nets_search.encode import encoder as encode
from nets_search.evaluate.golden_check import GOLDEN_STATE_FILE
from nets_search.build.rebuild import rebuild_and_check

from ..conftest import SEED_CORPUS


@pytest.fixture
def models_made(monkeypatch, encoder) -> list[str]:
    """Each Encoder the code under test creates, recorded by backend (the session's real model stands in)."""
    made: list[str] = []

    def make(backend=encode.DEFAULT_BACKEND, cache_dir=None):
        made.append(backend)
        return encoder

    monkeypatch.setattr(encode, "Encoder", make)
    return made


@pytest.fixture
def seed_copy(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    return corpus


def test_a_full_build_calibrates_and_checks_golden_questions_with_one_model(seed_copy, tmp_path, models_made):
    done = rebuild_and_check(seed_copy, tmp_path / "index")
    assert "calibrated on the tune part" in done.report.calibration  # the calibration ran, and encoded
    assert (tmp_path / "index" / GOLDEN_STATE_FILE).is_file()  # so did the golden check
    assert len(models_made) == 1


def test_a_rebuild_with_nothing_to_embed_loads_no_model(seed_copy, tmp_path, models_made, encoder):
    rebuild_and_check(seed_copy, tmp_path / "index", encoder=encoder)
    done = rebuild_and_check(seed_copy, tmp_path / "index")
    assert done.report.nothing_changed and models_made == []


def test_a_changed_page_is_embedded_calibrated_and_checked_with_one_model(seed_copy, tmp_path, models_made, encoder):
    rebuild_and_check(seed_copy, tmp_path / "index", encoder=encoder)
    page = seed_copy / "nets-key-facts.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n\nPasireotide is given as an injection.\n", encoding="utf-8")
    done = rebuild_and_check(seed_copy, tmp_path / "index")
    assert done.report.changed and done.report.embedded > 0
    assert len(models_made) == 1
