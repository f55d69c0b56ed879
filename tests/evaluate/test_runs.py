"""The evaluation harness: metrics against hand-computed values, golden-question files, BEIR folders, `eval` CLI."""

from __future__ import annotations

import copy
import json
from math import log2
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nets_search.cli import main as cli
from nets_search.errors import NetsSearchError
from nets_search.evaluate.beir import doc_scores, load_beir
from nets_search.errors import EvaluationError
from nets_search.evaluate.golden import GoldenQuestion, evaluate_golden, fold, load_golden, passage_matches
from nets_search.evaluate.metrics import (mrr_at_k, ndcg_at_k, part_of, ranked_doc_ids, recall_at_k, share_interval,
                                  split_parts)
from nets_search.types import Passage, Result, SearchResponse

from ..conftest import SEED_CORPUS, SHARED

GOLDEN = SEED_CORPUS / "golden-questions.jsonl"
SHARED_DEV = SHARED / "data" / "nets-dev-questions.jsonl"

# --------------------------------------------------------------------------- metrics
#
# One query, graded judgements: a is highly relevant (2), b and d relevant (1), c judged not relevant (0).
# The retriever ranks x (unjudged) first, then b, a, d.
QRELS = {"q": {"a": 2, "b": 1, "c": 0, "d": 1}}
RESULTS = {"q": {"x": 0.9, "b": 0.8, "a": 0.7, "d": 0.1}}
# Ideal gains, best first: [2, 1, 1]; IDCG@3 = 2/log2(2) + 1/log2(3) + 1/log2(4) = 2 + 0.63093 + 0.5 = 3.13093


@pytest.mark.parametrize(
    "k, expected",
    [
        # top 1 = [x]: DCG = 0 -> 0
        (1, 0.0),
        # top 2 = [x, b]: DCG = 0 + 1/log2(3) = 0.63093; IDCG@2 = 2 + 1/log2(3) = 2.63093; 0.63093/2.63093
        (2, 0.239813),
        # top 3 = [x, b, a]: DCG = 0 + 1/log2(3) + 2/log2(4) = 1.63093; / 3.13093
        (3, 0.520909),
        # top 5 = [x, b, a, d]: DCG = 1.63093 + 1/log2(5) = 1.63093 + 0.43068 = 2.06161 / 3.13093; IDCG@5 = IDCG@3 (3 relevant)
        (5, 0.658465),
    ],
)
def test_ndcg_uses_graded_gains_and_a_log2_discount(k, expected):
    assert ndcg_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected, abs=1e-6)


def test_ndcg_hand_arithmetic_matches_the_decimal_figures():
    """The decimals above, written out as arithmetic, so a reader can check them."""
    assert (1 / log2(3) + 2 / log2(4)) / (2 + 1 / log2(3) + 1 / log2(4)) == pytest.approx(0.520909, abs=1e-6)
    assert (1 / log2(3) + 2 / log2(4) + 1 / log2(5)) / (2 + 1 / log2(3) + 1 / log2(4)) == pytest.approx(0.658465, abs=1e-6)


@pytest.mark.parametrize(
    "results, expected",
    [
        ({"q": {"a": 3, "b": 2, "d": 1}}, 1.0),  # the ideal order itself
        ({"q": {"d": 3, "b": 2, "a": 1}}, (1 + 1 / log2(3) + 2 / log2(4)) / (2 + 1 / log2(3) + 1 / log2(4))),  # 0.84030
        ({"q": {"c": 1.0, "x": 0.5}}, 0.0),  # only a judged-irrelevant and an unjudged document
        ({}, 0.0),  # the retriever returned nothing for a judged query: it scores 0, it is not skipped
    ],
)
def test_ndcg_edge_rankings(results, expected):
    score = ndcg_at_k(results, QRELS, 10)
    assert score.mean == pytest.approx(expected, abs=1e-9) and score.evaluated == 1


@pytest.mark.parametrize(
    "k, expected",
    [
        (1, 0.0),  # [x]: nothing relevant
        (2, 0.5),  # [x, b]: first relevant at rank 2 -> 1/2
        (10, 0.5),  # deeper lists do not change the first relevant rank
    ],
)
def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document(k, expected):
    assert mrr_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected)


@pytest.mark.parametrize(
    "k, expected",
    [
        (1, 0.0),  # [x] holds none of {a, b, d}
        (2, 1 / 3),  # [x, b] holds b: 1 of 3
        (3, 2 / 3),  # [x, b, a] holds a and b: 2 of 3 (grades do not matter for recall)
        (100, 1.0),  # all four returned: 3 of 3
    ],
)
def test_recall_is_the_share_of_relevant_documents_found(k, expected):
    assert recall_at_k(RESULTS, QRELS, k).mean == pytest.approx(expected)


def test_queries_without_relevant_documents_are_skipped_and_counted():
    qrels = {"q1": {"a": 1}, "q2": {"b": 0}, "q3": {"c": 1}}
    results = {"q1": {"a": 1.0}, "q2": {"b": 1.0}, "q4": {"z": 1.0}}
    score = mrr_at_k(results, qrels, 10)
    # q1: a at rank 1 -> 1; q3 judged but not retrieved -> 0; q2 (only a 0 grade) and q4 (unjudged) skipped.
    assert score.mean == pytest.approx((1 + 0) / 2)
    assert score.per_query == {"q1": 1.0, "q3": 0.0}
    assert score.skipped == ("q2", "q4")


def test_a_mean_over_several_queries():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}}
    results = {"q1": {"a": 0.9, "x": 0.1}, "q2": {"x": 0.9, "y": 0.5, "b": 0.1}, "q3": {"x": 0.9}}
    # reciprocal ranks 1, 1/3, 0 -> (1 + 0.33333 + 0) / 3 = 0.44444
    assert mrr_at_k(results, qrels, 10).mean == pytest.approx(4 / 9)
    # recall@2: 1, 0 (b is third), 0 -> 1/3
    assert recall_at_k(results, qrels, 2).mean == pytest.approx(1 / 3)


@pytest.mark.parametrize("k, expected", [(1, 0.0), (2, 0.0), (3, 1 / 3)])
def test_equal_scores_are_ordered_by_doc_id(k, expected):
    results = {"q": {"c": 0.5, "b": 0.5, "a": 0.5}}  # a tie: the order is a, b, c whatever the dict order
    assert ranked_doc_ids(results["q"], 3) == ["a", "b", "c"]
    assert mrr_at_k(results, {"q": {"c": 1}}, k).mean == pytest.approx(expected)


def test_metrics_do_not_modify_their_inputs():
    results, qrels = copy.deepcopy(RESULTS), copy.deepcopy(QRELS)
    for metric in (ndcg_at_k, mrr_at_k, recall_at_k):
        metric(results, qrels, 2)
    assert results == RESULTS and qrels == QRELS


def test_k_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        ndcg_at_k(RESULTS, QRELS, 0)


# --------------------------------------------------------------------------- phrase matching


@pytest.mark.parametrize(
    "text, expect, matches",
    [
        ("depending upon the tumour’s location", [["tumour's location"]], True),  # curly apostrophe in the text
        ("thought they were ‘cancer-like’ (benign)", [["'cancer-like'"]], True),
        ("“Facial flushing is where”", [['"facial flushing is']], True),  # curly double quotes, case
        ("Flushing of the\nskin", [["flushing of  the skin"]], True),  # whitespace runs compare as one space
        ("diarrhoea and flushing", [["diarrhoea", "wheezing"]], False),  # every phrase of an alternative
        ("diarrhoea and flushing", [["wheezing"], ["FLUSHING"]], True),  # any alternative
        ("diarrhoea", [["diarrhea"]], False),  # phrases are verbatim: no spelling folding
    ],
)
def test_passage_matches(text, expect, matches):
    assert passage_matches(text, expect) is matches


def test_fold_is_idempotent():
    text = "The  Tumour’s “Location”"
    assert fold(fold(text)) == fold(text) == "the tumour's \"location\""


# --------------------------------------------------------------------------- golden files


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = '{"id": "a", "question": "what is a NET", "expect": [["NETs"], ["neuroendocrine", "tumour"]]}'


def test_load_golden_reads_in_scope_and_out_of_scope_questions(tmp_path):
    path = write(tmp_path / "g.jsonl", GOOD, "", '{"id": 7, "question": "cake recipe", "out_of_scope": true, "note": "food"}')
    assert load_golden(path) == [
        GoldenQuestion("a", "what is a NET", (("NETs",), ("neuroendocrine", "tumour")), False, 1),
        GoldenQuestion("7", "cake recipe", (), True, 3),
    ]


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("{not json", "not valid JSON"),
        ('["a", "b"]', "must be a JSON object"),
        ('{"question": "q", "expect": [["x"]]}', "needs an 'id'"),
        ('{"id": "b", "question": "  ", "expect": [["x"]]}', "needs a non-empty 'question'"),
        ('{"id": "b", "question": "q"}', "needs 'expect'"),
        ('{"id": "b", "question": "q", "expect": ["x"]}', "'expect' must be a list of alternatives"),
        ('{"id": "b", "question": "q", "expect": [[]]}', "'expect' must be a list of alternatives"),
        ('{"id": "b", "question": "q", "expect": [["x", ""]]}', "every phrase in 'expect' must be a non-empty string"),
        ('{"id": "b", "question": "q", "out_of_scope": "yes"}', "'out_of_scope' must be true or false"),
        ('{"id": "b", "question": "q", "out_of_scope": true, "expect": [["x"]]}', "not both"),
        ('{"id": "b", "question": "q", "expects": [["x"]]}', "unknown key 'expects'"),
        ('{"id": "a", "question": "q", "expect": [["x"]]}', "id 'a' is already used on line 1"),
    ],
)
def test_malformed_golden_lines_name_the_file_and_line(tmp_path, bad_line, message):
    path = write(tmp_path / "g.jsonl", GOOD, bad_line)
    with pytest.raises(EvaluationError) as caught:
        load_golden(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:2: ") and message in text and "\n" not in text
    assert isinstance(caught.value, NetsSearchError)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.jsonl", "file not found"),
        (lambda tmp: write(tmp / "empty.jsonl", "", "  "), "no questions in the file"),
        (lambda tmp: tmp, "is a folder"),
    ],
)
def test_unreadable_golden_files(tmp_path, make, message):
    with pytest.raises(EvaluationError, match=message):
        load_golden(make(tmp_path))


def test_the_projects_golden_file_is_well_formed_and_its_phrases_are_verbatim():
    questions = load_golden(GOLDEN)
    in_scope = [q for q in questions if not q.out_of_scope]
    assert len(in_scope) >= 25 and len(questions) - len(in_scope) >= 12
    corpus_text = fold("\n".join(p.read_text(encoding="utf-8") for p in SEED_CORPUS.glob("*.md")))
    for q in in_scope:
        for phrase in (phrase for alternative in q.expect for phrase in alternative):
            assert fold(phrase) in corpus_text, f"{q.id}: '{phrase}' is not in the corpus"


def test_no_question_is_asked_twice_across_the_labelled_sets():
    """A question in two files can be dealt into tune and test (or be in tuning and in a held-out set): its test
    figure would then be measured on data a choice has seen."""
    repo = SEED_CORPUS.parent
    files = [*SEED_CORPUS.glob("*.jsonl"), *repo.glob("examples/*/*.jsonl"), *repo.glob("benchmarks/held-out/*.jsonl")]
    seen: dict[str, str] = {}
    for path in sorted(files):
        for q in load_golden(path):
            text = " ".join(fold(q.question).split())
            assert text not in seen, f"'{q.question}' is in {seen.get(text)} and {path.name} ({q.id})"
            seen[text] = f"{path.name} ({q.id})"
    assert len(seen) > 500


# --------------------------------------------------------------------------- golden evaluation


def passage(text: str, n: int) -> Passage:
    return Passage(passage_id=f"p{n}", doc_id="page", title="Page", section="", text=text, position=n, section_index=0)


def response(question: str, texts: list[str], flagged: bool = False) -> SearchResponse:
    results = tuple(Result(rank=i, score=1.0 / i, passage=passage(t, i)) for i, t in enumerate(texts, 1))
    return SearchResponse(query=question, results=results, no_good_match=flagged)


def test_evaluate_golden_scores_ranks_and_flags():
    answers = {
        "first": response("first", ["alpha here", "other", "other"]),
        "third": response("third", ["other", "noise", "beta here"], flagged=True),
        "never": response("never", ["other", "noise"]),
        "cake": response("cake", ["other"], flagged=True),
        "trains": response("trains", ["other"]),
    }
    questions = [
        GoldenQuestion("q1", "first", (("alpha",),)),
        GoldenQuestion("q2", "third", (("beta",),)),
        GoldenQuestion("q3", "never", (("gamma",),)),
        GoldenQuestion("o1", "cake", out_of_scope=True),
        GoldenQuestion("o2", "trains", out_of_scope=True),
    ]
    report = evaluate_golden(answers.__getitem__, questions)
    assert (report.in_scope, report.out_of_scope) == (3, 2)
    assert report.hit_at_1 == pytest.approx(1 / 3)  # only q1 at rank 1
    assert report.hit_at_3 == pytest.approx(2 / 3)  # q1 and q2 (rank 3)
    assert report.mrr_at_5 == pytest.approx((1 + 1 / 3 + 0) / 3)  # 0.44444
    assert (report.out_of_scope_flagged, report.in_scope_flagged) == (1, 1)
    assert [(m.id, m.rank, m.winner.text) for m in report.misses] == [("q2", 3, "other"), ("q3", None, "other")]
    assert report.to_dict()["questions"]["o1"] == {"rank": None, "flagged": True, "out_of_scope": True}


def test_only_the_first_five_passages_count():
    texts = ["x"] * 5 + ["the answer"]
    report = evaluate_golden(lambda q: response(q, texts), [GoldenQuestion("q", "?", (("answer",),))])
    assert report.mrr_at_5 == 0.0 and report.misses[0].rank is None


def test_golden_questions_with_the_real_searcher(seed_searcher):
    """The project's golden file against an index of corpus/ built in a temporary folder, on the real model."""
    questions = load_golden(GOLDEN)
    report = evaluate_golden(lambda q: seed_searcher.search(q, k=5), questions)
    in_scope = sum(not q.out_of_scope for q in questions)
    assert report.in_scope == in_scope and report.out_of_scope == len(questions) - in_scope
    assert report.hit_at_1 <= report.hit_at_3 and report.hit_at_1 <= report.mrr_at_5 <= report.hit_at_3 + 1e-9
    assert report.hit_at_3 >= 0.8, [m.to_dict() for m in report.misses]
    assert len(report.misses) == in_scope - round(report.hit_at_1 * in_scope)
    for miss in report.misses:  # what "won instead" really lacks the answer
        assert miss.winner is not None and not passage_matches(miss.winner.text, miss.expect)


def test_every_expected_answer_exists_in_some_indexed_passage(seed_searcher):
    """A golden question whose phrases no single passage holds could never pass: catch it when pages change."""
    for q in load_golden(GOLDEN):
        if not q.out_of_scope:
            assert any(passage_matches(p.text, q.expect) for p in seed_searcher.passages), q.id


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="../shared/data/nets-dev-questions.jsonl is absent (no shared checkout)")
def test_the_shared_dev_questions_evaluate(seed_searcher):
    questions = load_golden(SHARED_DEV)
    report = evaluate_golden(lambda q: seed_searcher.search(q, k=5), questions)
    assert report.in_scope + report.out_of_scope == len(questions) and report.hit_at_3 > 0


# --------------------------------------------------------------------------- BEIR

TINY_DOCS = [
    ("d1", "Sourdough bread", "Sourdough bread is leavened with a starter of wild yeast and lactic acid bacteria."),
    ("d2", "Asthma", "Asthma narrows the airways of the lungs and causes wheezing and shortness of breath."),
    ("d3", "Gout", "Gout is a painful swelling of the big toe joint caused by uric acid crystals."),
    ("d4", "Hay fever", "Hay fever is an allergy to pollen that causes sneezing and itchy, watery eyes."),
]
TINY_QUERIES = [
    ("t1", "why do I wheeze when I breathe"),
    ("t2", "painful big toe joint"),
    ("t3", "pollen allergy sneezing"),
    ("t9", "a query judged only in the test split"),
]


@pytest.fixture
def tiny_beir(tmp_path) -> Path:
    """A BEIR folder: 4 documents, 3 judged dev queries (one with a graded 2), one test-split query."""
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    lines = [json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in TINY_DOCS]
    write(folder / "corpus.jsonl", *lines)
    write(folder / "queries.jsonl", *(json.dumps({"_id": i, "text": t}) for i, t in TINY_QUERIES))
    write(folder / "qrels" / "dev.tsv", "query-id\tcorpus-id\tscore", "t1\td2\t2", "t2\td3\t1", "t3\td4\t1", "t3\td2\t0")
    write(folder / "qrels" / "test.tsv", "query-id\tcorpus-id\tscore", "t9\td1\t1")
    return folder


def test_load_beir_picks_the_first_split_and_its_queries(tiny_beir):
    data = load_beir(tiny_beir)
    assert (data.name, data.split, data.corpus) == ("tiny", "dev", tiny_beir / "corpus.jsonl")
    assert list(data.queries) == ["t1", "t2", "t3"]  # t9 is judged in test only
    assert data.qrels["t3"] == {"d4": 1, "d2": 0} and data.qrels["t1"] == {"d2": 2}
    assert list(load_beir(tiny_beir, "test").queries) == ["t9"]


@pytest.mark.parametrize(
    "split, damage, message",
    [
        ("train", lambda f: None, "no qrels/train.tsv (splits available: dev, test)"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t1 d1 1"), "train.tsv:1: expected 3 tab-separated columns"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t1\td1\tyes"), "train.tsv:1: the score 'yes' is not a whole number"),
        ("train", lambda f: write(f / "qrels" / "train.tsv", "t7\td1\t1"), "query 't7' is not in queries.jsonl"),
        ("dev", lambda f: (f / "queries.jsonl").write_text('{"_id": "t1"}\n'), "queries.jsonl:1: each line needs '_id' and 'text'"),
        (None, lambda f: (f / "corpus.jsonl").unlink(), "no corpus.jsonl in the BEIR folder"),
    ],
)
def test_malformed_beir_folders(tiny_beir, split, damage, message):
    damage(tiny_beir)
    with pytest.raises(EvaluationError) as caught:
        load_beir(tiny_beir, split)
    assert message in str(caught.value)


def test_a_document_scores_as_its_best_passage():
    results = (
        Result(1, 0.9, Passage("p1", "A", "A", "", "a1", 0, 0)),
        Result(2, 0.7, Passage("p2", "B", "B", "", "b1", 0, 0)),
        Result(3, 0.5, Passage("p3", "A", "A", "", "a2", 1, 0)),
    )
    assert doc_scores(SearchResponse("q", results)) == {"A": 0.9, "B": 0.7}


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


@pytest.mark.parametrize("seed", ["nets-search-2026", "another seed"])
def test_the_split_is_fixed_by_its_seed_and_deals_about_half_each(seed):
    ids = [f"q{i}" for i in range(400)]
    first = [part_of(i, seed) for i in ids]
    assert first == [part_of(i, seed) for i in ids]  # the same every time, whatever else is asked
    assert 150 < first.count("tune") < 250
    assert first != [part_of(i, seed + "!") for i in ids]  # the seed decides it


def test_split_parts_keeps_every_item_once():
    items = [{"id": f"x{i}"} for i in range(50)]
    parts = split_parts(items, key=lambda item: item["id"])
    assert sorted(i["id"] for p in parts.values() for i in p) == sorted(i["id"] for i in items)
    assert set(parts) == {"tune", "test"}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "--golden", "{tmp}/none.jsonl"], "none.jsonl: file not found"),
        (["eval", "--golden", "{tmp}/bad.jsonl"], "bad.jsonl:1: not valid JSON"),
        (["eval", "--modes", "hybrid,fuzzy", "--golden", "{tmp}/none.jsonl"], "unknown mode 'fuzzy'"),
        (["eval", "--no-golden"], "nothing to evaluate"),
        (["eval", "--no-golden", "--beir", "{tmp}/nowhere"], "BEIR folder not found"),
    ],
)
def test_eval_errors_are_one_line_messages(tmp_path, capsys, argv, message):
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    code = cli.main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.count("\n") == 1


def test_eval_has_help_for_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["eval", "--help"])
    out, _ = capsys.readouterr()
    assert done.value.code == 0
    for option in ("--golden", "--no-golden", "--beir", "--split", "--index", "--beir-index", "--modes", "--limit", "--out"):
        assert option in out


@pytest.mark.parametrize("count, total, expected", [
    (8, 10, (0.4902, 0.9433)),  # the Wilson interval's textbook example
    (0, 44, (0.0, 0.0803)),
    (44, 44, (0.9197, 1.0)),
    (0, 0, (0.0, 1.0)),  # nothing measured: anything is possible
])
def test_a_share_comes_with_its_wilson_interval(count, total, expected):
    assert share_interval(count, total) == pytest.approx(expected, abs=1e-4)


@given(st.integers(1, 400), st.data())
def test_a_share_lies_inside_its_interval_and_more_questions_narrow_it(total, data):
    count = data.draw(st.integers(0, total))
    low, high = share_interval(count, total)
    assert 0.0 <= low <= count / total <= high <= 1.0
    wider = share_interval(count, total)
    narrower = share_interval(4 * count, 4 * total)
    assert narrower[1] - narrower[0] < wider[1] - wider[0]


def test_a_count_outside_its_total_is_refused():
    with pytest.raises(ValueError, match="between 0 and the total"):
        share_interval(5, 4)


def test_the_golden_report_gives_each_shares_interval_in_its_table_and_json():
    from nets_search.evaluate.runs import GoldenReport, format_golden_table

    report = GoldenReport(in_scope=10, hit_at_1=0.8, hit_at_3=1.0, mrr_at_5=0.9, out_of_scope=4,
                          out_of_scope_flagged=4, in_scope_flagged=0, misses=(), best_sentence_hits=6,
                          best_sentence_asked=8)
    assert report.counts()["hit@1"] == (8, 10) and report.counts()["best_sentence"] == (6, 8)
    assert report.to_dict()["intervals_95"]["hit@1"] == [0.4902, 0.9433]
    assert "hit@1 0.49-0.94" in format_golden_table("test", {"hybrid": report})


def test_the_golden_table_shows_off_topic_questions_called_strong_or_good():
    from nets_search.evaluate.runs import GoldenReport, format_golden_table

    report = GoldenReport(in_scope=3, hit_at_1=1.0, hit_at_3=1.0, mrr_at_5=1.0, out_of_scope=2,
                          out_of_scope_flagged=1, in_scope_flagged=0, misses=(), out_of_scope_labelled_sure=1)
    header, row = format_golden_table("test", {"hybrid": report}).splitlines()[1:3]
    assert "off-topic called strong/good" in header and row.rstrip().endswith("1/2")


def test_golden_evaluation_counts_first_passages_labelled_strong_or_good_by_scope():
    from nets_search.evaluate.runs import GoldenQuestion, evaluate_golden
    from nets_search.types import Passage, Result, SearchResponse

    def result(dense_rank):
        passage = Passage("p", "d", "T", "S", "flushing happens", 0, 0)
        return Result(rank=1, score=0.5, passage=passage, retriever_ranks=(("dense", dense_rank), ("lexical", 1)))

    answers = {
        "sure off-topic": SearchResponse("q", (result(1),)),
        "tentative off-topic": SearchResponse("q", (result(1),), tentative=True),
        "flagged off-topic": SearchResponse("q", (result(1),), no_good_match=True),
        "nothing found": SearchResponse("q", ()),
        "related in scope": SearchResponse("q", (result(30),)),
        "sure in scope": SearchResponse("q", (result(3),)),
    }
    outside = {text for text in answers if "off-topic" in text or "nothing" in text}
    questions = [GoldenQuestion(f"id{i}", text, expect=() if text in outside else (("flushing",),),
                                out_of_scope=text in outside) for i, text in enumerate(answers)]
    report = evaluate_golden(lambda text: answers[text], questions)
    assert (report.out_of_scope_labelled_sure, report.in_scope_labelled_sure) == (1, 1)
