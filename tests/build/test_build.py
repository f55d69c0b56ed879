import json
import os
import subprocess
import sys
import textwrap

import pytest

from nets_search.encode import encoder as encode
from nets_search.index import layout, store
from nets_search.build.build import build_index
from nets_search.build.changes import pending_changes
from nets_search.errors import BuildLockedError
from nets_search.search.searcher import Searcher

from ..conftest import REPO, page

PAGES = {
    "flushing.md": page("Flushing", ("Why the face goes red", "Flushing of the skin happens when hormones enter the blood. " * 4)),
    "diet.md": page("Diet", ("Foods to avoid", "Foods rich in tryptophan such as cheese and chocolate can trigger symptoms. " * 3)),
    "sleep.md": page("Sleep", ("Resting well", "Tiredness is common and short naps can help with fatigue. " * 4)),
}


@pytest.fixture
def built(make_corpus, tmp_path, encoder):
    corpus = make_corpus(PAGES)
    index = tmp_path / "index"
    report = build_index(corpus, index, encoder=encoder)
    return corpus, index, report


def _no_model(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(encode, "Encoder", refuse)


def test_first_build_embeds_every_passage(built):
    _, index, report = built
    assert report.added == ("diet", "flushing", "sleep")
    assert report.embedded == report.passages == 3 and report.reused == 0
    assert store.current_version(index) == report.version


def test_nothing_changed_finishes_without_loading_the_model(built, monkeypatch):
    corpus, index, first = built
    _no_model(monkeypatch)
    report = build_index(corpus, index)
    assert report.nothing_changed and report.version == first.version and report.embedded == 0


def test_a_release_that_stores_vectors_otherwise_rebuilds_them_from_the_cache(make_corpus, tmp_path, encoder,
                                                                             monkeypatch):
    """Past faiss_vectors.HNSW_THRESHOLD passages FAISS stores the passage vectors as an HNSW graph: an unchanged corpus
    built as exact by an earlier release is stored again, without embedding anything, and answers as before.
    (On FAISS in every test pass: Qdrant engines keep their own index kinds.)"""
    import faiss

    from nets_search.index import faiss_vectors

    monkeypatch.setenv("NETS_SEARCH_VECTORS", "faiss")
    corpus, index = make_corpus(PAGES), tmp_path / "index"
    first = build_index(corpus, index, encoder=encoder)
    question = "why does my face go red after a glass of wine"
    before = [r.passage.passage_id for r in Searcher(index, encoder=encoder).search(question).results]
    monkeypatch.setattr(faiss_vectors, "HNSW_THRESHOLD", 2)
    report = build_index(corpus, index, encoder=encoder)
    assert not report.nothing_changed and report.embedded == 0 and report.version != first.version
    manifest, folder = store.open_current(index)
    assert manifest.index_type == "hnsw"
    assert isinstance(faiss.read_index(str(folder / layout.VECTORS_FILE)), faiss.IndexHNSW)  # stored so, not only named
    assert [r.passage.passage_id for r in Searcher(index, encoder=encoder).search(question).results] == before
    assert build_index(corpus, index, encoder=encoder).nothing_changed


def _labelled_questions(count: int) -> str:
    """`count` in-scope and `count` out-of-scope questions of the tune part, in the golden-question format."""
    from nets_search.evaluate.metrics import part_of

    ids = (f"q{i}" for i in range(1000) if part_of(f"q{i}") == "tune")
    inside = [{"id": next(ids), "question": q, "expect": [[phrase]]} for q, phrase in [
        ("why does my face go red", "Flushing"), ("what foods should I avoid", "tryptophan"),
        ("why am I so tired", "Tiredness"), ("can naps help", "naps"), ("is cheese a problem", "cheese")][:count]]
    outside = [{"id": next(ids), "question": q, "out_of_scope": True} for q in [
        "how do I renew my passport", "best price for a used car", "football scores tonight",
        "how to bake sourdough bread", "cheap flights to Spain"][:count]]
    return "\n".join(json.dumps(q) for q in inside + outside) + "\n"


def test_a_release_with_new_no_match_signals_rebuilds_and_recalibrates_from_the_cache(built, encoder, monkeypatch):
    corpus, index, first = built
    from nets_search.search import confidence

    (corpus / "golden-questions.jsonl").write_text(_labelled_questions(5), encoding="utf-8")
    build_index(corpus, index, encoder=encoder)
    before = store.current_version(index)
    monkeypatch.setattr(confidence, "SIGNALS_VERSION", confidence.SIGNALS_VERSION + 1)
    report = build_index(corpus, index, encoder=encoder)
    assert not report.nothing_changed and report.version != before
    assert report.embedded == 0 and report.reused == report.passages  # from the embedding cache
    manifest, folder = store.open_current(index)
    assert manifest.retrieval["signals"] == confidence.SIGNALS_VERSION
    fitted = confidence.Calibration.load(folder / layout.CALIBRATION_FILE)  # refitted on the corpus's questions
    assert fitted.fitted_on == "5 in-scope and 5 out-of-scope questions" and fitted.confident >= fitted.threshold


def test_nothing_changed_build_does_not_import_torch(built):
    corpus, index, _ = built
    code = textwrap.dedent(
        f"""
        import sys
        from nets_search.cli.main import main
        assert main(["build", "--corpus", {str(corpus)!r}, "--index", {str(index)!r}]) == 0
        print("torch" in sys.modules, "transformers" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert "Nothing changed" in out.stdout
    assert out.stdout.strip().endswith("False False")


def test_editing_one_page_embeds_only_its_passages(built, encoder):
    corpus, index, first = built
    (corpus / "sleep.md").write_text(page("Sleep", ("Resting well", "Gentle exercise in the day helps sleep at night. " * 4)))
    report = build_index(corpus, index, encoder=encoder)
    assert report.changed == ("sleep",) and report.added == report.removed == ()
    assert (report.embedded, report.reused) == (1, 2)
    assert report.version != first.version
    top = Searcher(index, encoder=encoder).search("does exercise help me sleep", k=1).results[0]
    assert top.passage.doc_id == "sleep" and "Gentle exercise" in top.passage.text


def test_reverting_an_edit_reuses_the_cached_vectors(built, encoder, monkeypatch):
    corpus, index, _ = built
    original = (corpus / "diet.md").read_text()
    (corpus / "diet.md").write_text(original + "\nOne more line.\n")
    build_index(corpus, index, encoder=encoder)
    (corpus / "diet.md").write_text(original)
    _no_model(monkeypatch)
    report = build_index(corpus, index)
    assert report.changed == ("diet",) and report.embedded == 0


def test_deleted_and_renamed_pages_disappear_from_results(built, encoder, monkeypatch):
    corpus, index, _ = built
    (corpus / "diet.md").unlink()
    (corpus / "flushing.md").rename(corpus / "red-face.md")
    _no_model(monkeypatch)  # a rename re-uses the cached vectors: same text, same context
    report = build_index(corpus, index)
    assert report.removed == ("diet", "flushing") and report.added == ("red-face",)
    searcher = Searcher(index, encoder=encoder)
    docs = {r.passage.doc_id for r in searcher.search("cheese chocolate tryptophan", k=5).results}
    assert docs <= {"red-face", "sleep"}
    assert {p.doc_id for p in searcher.passages} == {"red-face", "sleep"}


def test_a_second_build_is_refused_while_one_runs(built):
    corpus, index, _ = built
    with store.build_lock(index):
        with pytest.raises(BuildLockedError, match="another build is running"):
            build_index(corpus, index)


def test_pending_changes_sees_edits_before_a_rebuild(built):
    corpus, index, _ = built
    assert pending_changes(corpus, index) == ((), (), ())
    (corpus / "new.md").write_text("A new page.")
    (corpus / "sleep.md").unlink()
    assert pending_changes(corpus, index) == (("new",), (), ("sleep",))


def test_old_versions_are_pruned_keeping_the_previous_one(built, encoder):
    corpus, index, _ = built
    for n in range(store.KEEP_VERSIONS + 1):
        (corpus / "extra.md").write_text(f"Extra page number {n}.")
        build_index(corpus, index, encoder=encoder)
    versions = sorted(p.name for p in (index / "versions").iterdir())
    assert len(versions) == store.KEEP_VERSIONS and store.current_version(index) == versions[-1]


KILL_SCRIPT = """
import os, signal, sys
from nets_search.build.build import build_index

def stage(name):
    if name == sys.argv[3]:
        os.kill(os.getpid(), signal.SIGKILL)

build_index(sys.argv[1], sys.argv[2], stage=stage)
"""


@pytest.mark.parametrize("stage", ["loaded", "embedded", "vectors-written", "passages-written", "verified"])
def test_a_build_killed_midway_leaves_the_old_index_answering(built, encoder, stage):
    corpus, index, first = built
    new_text = page("Sleep", ("Resting well", "Melatonin is a hormone that helps the body sleep. " * 4))
    old_text = (corpus / "sleep.md").read_text()
    # Embed the new text once, so the killed build needs no model and the test stays quick.
    (corpus / "sleep.md").write_text(new_text)
    build_index(corpus, index, encoder=encoder)
    (corpus / "sleep.md").write_text(old_text)
    before = build_index(corpus, index, encoder=encoder).version
    (corpus / "sleep.md").write_text(new_text)

    killed = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(corpus), str(index), stage], cwd=REPO)
    assert killed.returncode == -9

    assert store.current_version(index) == before
    answer = Searcher(index, encoder=encoder).search("how can I rest", k=1).results[0]
    assert "Tiredness is common" in answer.passage.text
    after = build_index(corpus, index, encoder=encoder)
    assert after.version != before and not any(p.name.startswith(".tmp") for p in (index / "versions").iterdir())
    assert "Melatonin" in Searcher(index, encoder=encoder).search("melatonin", k=1).results[0].passage.text


def test_build_respects_the_backend_recorded_in_the_manifest(built):
    _, index, _ = built
    manifest, _ = store.open_current(index)
    assert manifest.backend == encode.model_key(encode.DEFAULT_BACKEND).rsplit("/", 1)[-1]
    assert manifest.model == encode.MODEL_NAME
    assert manifest.passages == 3 and set(manifest.files) == {"diet", "flushing", "sleep"}
    assert os.path.exists(index / "versions" / manifest.version / layout.VECTORS_FILE)


def test_unchanged_pages_are_not_split_or_analysed_again(built, encoder, monkeypatch):
    """What keeps a one-page edit of a large corpus in proportion to that page."""
    from nets_search.build import reuse

    corpus, index, _ = built
    split_calls = []
    real_split = reuse.split_page
    monkeypatch.setattr(reuse, "split_page", lambda page, s, *rest: split_calls.append(page.doc_id) or real_split(page, s, *rest))
    (corpus / "diet.md").write_text(page("Diet", ("Foods to avoid", "Bananas contain serotonin. " * 8)))
    report = build_index(corpus, index, encoder=encoder)
    assert split_calls == ["diet"] and report.embedded == 1
    answer = Searcher(index, encoder=encoder).search("tiredness and naps", k=1).results[0]
    assert answer.passage.doc_id == "sleep"
