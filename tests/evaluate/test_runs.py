"""An evaluation run end to end: golden questions and a BEIR folder in one `eval`, figures by part and mode."""

from __future__ import annotations

import json

from nets_search.cli import main as cli
from nets_search.evaluate.golden import load_golden
from nets_search.evaluate.metrics import part_of

from ..conftest import SEED_CORPUS

GOLDEN = SEED_CORPUS / "golden-questions.jsonl"


# --------------------------------------------------------------------------- the eval command


def test_eval_command_writes_golden_and_beir_figures(tiny_beir, seed_index, tmp_path, monkeypatch, capsys):
    """Golden questions on the seed index and a tiny BEIR folder in one run, each reported in its tune and test
    parts; the BEIR index and the JSON file land at their defaults in the working folder."""
    monkeypatch.chdir(tmp_path)
    code = cli.main(["eval", "--golden", str(GOLDEN), "--index", str(seed_index), "--beir", str(tiny_beir),
                     "--modes", "hybrid,lexical", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Golden questions:" in out and "[tune]" in out and "[test]" in out and "BEIR: tiny (split dev" in out
    assert (tmp_path / "index-beir-tiny").is_dir()
    figures = json.loads((tmp_path / "eval-results.json").read_text())
    assert figures["modes"] == ["hybrid", "lexical"]
    golden = figures["golden"][str(GOLDEN)]
    assert golden["index"] == str(seed_index) and set(golden["parts"]) == {"tune", "test"}
    asked = {}
    for part, modes in golden["parts"].items():
        assert set(modes) == {"hybrid", "lexical"}
        hybrid = modes["hybrid"]
        assert {"hit@1", "hit@3", "mrr@5", "in_scope", "out_of_scope", "out_of_scope_flagged", "in_scope_flagged",
                "best_sentence", "misses", "questions"} <= set(hybrid)
        assert all(part_of(qid) == part for qid in hybrid["questions"])
        asked.update(hybrid["questions"])
    assert len(asked) == len(load_golden(GOLDEN))  # every question in exactly one part
    beir = figures["beir"]["tiny"]
    assert (beir["split"], beir["index"]) == ("dev", "index-beir-tiny")
    judged = set()
    for part, modes in beir["parts"].items():
        for mode in ("hybrid", "lexical"):
            scores = modes[mode]
            assert all(0.0 <= scores[m] <= 1.0 for m in ("ndcg@10", "mrr@10", "recall@10", "recall@100"))
            assert all(part_of(q) == part for q in scores["per_query_ndcg@10"])
        judged |= set(modes["hybrid"]["per_query_ndcg@10"])
    assert judged == {"t1", "t2", "t3"}
