import argparse
import json
import subprocess
import sys

import pytest

from nets_search.cli import main as cli

from ..conftest import REPO, SEED_CORPUS

SHARED_DEV = REPO.parent / "shared" / "data" / "nets-dev-questions.jsonl"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_search_prints_readable_answers(capsys, seed_index):
    code, out, _ = run(capsys, "search", "which foods should I avoid?", "--index", seed_index, "-k", "2")
    assert code == 0
    assert out.startswith("1. NETs: key facts › Symptoms of carcinoid syndrome")
    assert "tryptophan" in out.split("\n2. ")[0]


@pytest.mark.parametrize(("no_good_match", "tentative", "first_line"), [
    (True, False, "Our NETs information does not seem to cover this. The nearest passages:"),
    (False, True, "Our NETs information may not answer this exactly. The nearest passages:"),
    (False, False, "1. T › S  [0.500]"),
])
def test_readable_answers_say_how_sure_the_engine_is(no_good_match, tentative, first_line):
    from nets_search.types import Passage, Result, SearchResponse

    result = Result(rank=1, score=0.5, passage=Passage("p", "d", "T", "S", "text", 0, 0))
    response = SearchResponse("q", (result,), no_good_match=no_good_match, tentative=tentative)
    assert cli.format_response(response).splitlines()[0] == first_line


def test_search_json_has_the_documented_shape(capsys, seed_index):
    code, out, _ = run(capsys, "search", "what is carcinoid syndrome", "--index", seed_index, "--json", "-k", "3")
    data = json.loads(out)
    assert code == 0 and data["query"] == "what is carcinoid syndrome" and data["no_good_match"] in (True, False)
    assert len(data["results"]) == 3
    first = data["results"][0]
    assert {"rank", "score", "doc_id", "passage_id", "title", "section", "text", "source"} <= set(first)
    assert first["rank"] == 1 and first["doc_id"] == "nets-key-facts"


def test_batch_answers_one_json_line_per_question(capsys, seed_index, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "flushing"}\n\n{"_id": "b", "text": "tryptophan foods"}\n{"id": "c", "question": " "}\n')
    code, out, _ = run(capsys, "search", "--batch", batch, "--index", seed_index, "-k", "1")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and [x["id"] for x in lines] == ["a", None, "b", "c"]  # one line out per line in
    assert "tryptophan" in lines[2]["results"][0]["text"]
    assert "empty line" in lines[1]["error"] and "empty" in lines[3]["error"] and "results" not in lines[3]


@pytest.mark.skipif(not SHARED_DEV.exists(), reason="../shared/data/nets-dev-questions.jsonl is absent")
def test_batch_answers_the_dev_questions_in_one_process(capsys, seed_index):
    code, out, _ = run(capsys, "search", "--batch", SHARED_DEV, "--index", seed_index)
    assert code == 0 and len(out.splitlines()) == len(SHARED_DEV.read_text().splitlines())


@pytest.mark.parametrize(
    "argv, message",
    [
        (["build", "--corpus", "{tmp}/none"], "corpus not found"),
        (["build", "--corpus", "{tmp}/empty"], "the corpus has no pages with text"),
        (["build", "--corpus", "{tmp}/latin1"], "bad.md: not valid UTF-8"),
        (["search", "hello", "--index", "{tmp}/no-index"], "run: nets-search build"),
        (["search", "   ", "--index", "{tmp}/no-index"], "the question is empty"),
        (["search", "--batch", "{tmp}/missing.jsonl", "--index", "{seed}"], "missing.jsonl: file not found"),
    ],
)
def test_bad_input_gives_one_line_and_a_nonzero_exit(capsys, tmp_path, seed_index, argv, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin1").mkdir()
    (tmp_path / "latin1" / "bad.md").write_bytes("Caf\xe9".encode("latin-1"))
    argv = [a.format(tmp=tmp_path, seed=seed_index) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("nets-search: error: ") and message in err and err.count("\n") == 1


@pytest.mark.usefixtures("one_model")
def test_build_reports_what_changed(capsys, tmp_path, encoder, monkeypatch):
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    code, out, _ = run(capsys, "build", "--corpus", corpus, "--index", tmp_path / "index", "--quiet")
    assert code == 0 and "1 added, 0 changed, 0 removed" in out and "embedded" in out
    assert "glossary.yaml" in out and "(glossary or labelled questions)" in out  # not counted as a page
    code, out, _ = run(capsys, "build", "--corpus", corpus, "--index", tmp_path / "index")
    assert out.startswith("Nothing changed")


def test_embed_py_is_nets_search_build(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPO / "embed.py"), "--corpus", str(tmp_path / "missing")],
        capture_output=True, text=True, cwd=REPO,
    )
    assert out.returncode == 2 and "corpus not found" in out.stderr


def _commands() -> dict[str, argparse.ArgumentParser]:
    """{name: parser} of every command the CLI's own parser knows."""
    parser = cli.make_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_command_has_help_naming_each_of_its_options(capsys, command):
    """Each command, a new one too, answers --help with its usage and a described line for every option."""
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith(f"usage: nets-search {command}")
    for action in _commands()[command]._actions:
        if action.option_strings:
            assert action.help and action.option_strings[-1] in out, f"{command} {action.option_strings}"


@pytest.mark.usefixtures("one_model")
def test_build_warns_when_a_golden_question_stops_being_answered(capsys, tmp_path, encoder, monkeypatch):
    from ..conftest import page

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "diet.md").write_text(page("Diet", ("Foods", "Foods rich in tryptophan such as cheese can trigger flushing. " * 3)))
    (corpus / "sleep.md").write_text(page("Sleep", ("Rest", "Short naps help with tiredness and fatigue. " * 3)))
    (corpus / "golden-questions.jsonl").write_text(
        '{"id": "g1", "question": "which foods contain tryptophan", "expect": [["tryptophan"]]}\n'
        '{"id": "g2", "question": "how do I renew my passport", "out_of_scope": true}\n'
    )
    index = tmp_path / "index"
    code, out, _ = run(capsys, "build", "--corpus", corpus, "--index", index, "--quiet")
    assert code == 0 and "now answered by" not in out
    (corpus / "diet.md").write_text(page("Diet", ("Foods", "Eat regular small meals and drink water. " * 3)))
    code, out, _ = run(capsys, "build", "--corpus", corpus, "--index", index, "--quiet")
    assert code == 0
    assert ("warning: the question 'which foods contain tryptophan' is still answered by 'Diet › Foods', but that "
            "passage no longer holds the expected answer") in out
    (corpus / "diet.md").unlink()
    (corpus / "sleep.md").write_text(page("Sleep", ("Rest", "Short naps help with tiredness. " * 3)))
    (corpus / "food.md").write_text(page("Food", ("Tryptophan", "Foods rich in tryptophan such as cheese. " * 3)))
    run(capsys, "build", "--corpus", corpus, "--index", index, "--quiet")  # answered first again
    (corpus / "food.md").unlink()
    code, out, _ = run(capsys, "build", "--corpus", corpus, "--index", index, "--quiet")
    assert ("warning: the question 'which foods contain tryptophan' is now answered by 'Sleep › Rest' instead of "
            "'Food › Tryptophan'") in out


def test_an_unknown_backend_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["build", "--backend", "gpu"])
    assert done.value.code == 2 and "invalid choice: 'gpu'" in capsys.readouterr().err


@pytest.mark.parametrize(("life_threatening", "first_line"), [
    (True, "Call 999 now: this may be an emergency (trouble breathing)."),
    (False, "Get help now: call 111 or your care team's 24-hour line (a high temperature)."),
])
@pytest.mark.parametrize(("no_good_match", "tentative"), [(True, False), (False, True), (False, False)])
def test_an_urgent_question_is_told_whom_to_call_before_anything_else(life_threatening, first_line, no_good_match,
                                                                      tentative):
    from nets_search.types import Passage, Result, SearchResponse, Urgency

    reason = "trouble breathing" if life_threatening else "a high temperature"
    urgency = Urgency(urgent=True, flag="x", reason=reason, life_threatening=life_threatening)
    result = Result(rank=1, score=0.5, passage=Passage("p", "d", "T", "S", "text", 0, 0))
    response = SearchResponse("q", (result,), no_good_match=no_good_match, tentative=tentative, urgency=urgency,
                              truncated=True, searched_text="q")
    text = cli.format_response(response)
    assert text.splitlines()[0] == first_line and "different words" not in text
    data = response.to_dict()
    assert (data["urgent"], data["urgent_reason"], data["call"]) == (True, reason, urgency.call)


def test_a_question_that_is_not_urgent_says_so_in_json_and_names_no_number():
    from nets_search.types import SearchResponse

    data = SearchResponse("q", ()).to_dict()
    assert data["urgent"] is False and "call" not in data and "urgent_reason" not in data


def test_an_emergency_described_is_urgent_in_json_with_999_and_names_no_everyday_word(capsys, seed_index):
    question = "my dad is flushing and cant breathe properly"
    code, out, _ = run(capsys, "search", question, "--index", seed_index, "--json")
    data = json.loads(out)
    assert code == 0 and data["urgent"] is True and data["call"] == "999" and data["urgent_reason"]
    assert not {"properly", "breathe"} & set(data.get("missing_terms", []))
    labels = [r["label"] for r in data["results"]]
    assert labels and set(labels) <= {"strong", "good", "related", "weak"}
    code, out, _ = run(capsys, "search", question, "--index", seed_index)
    assert out.startswith("Call 999 now") and "properly" not in out.split("\n1. ")[0]


def test_json_answers_carry_urgent_and_labels_in_batch_lines_too(capsys, seed_index, tmp_path):
    batch = tmp_path / "q.jsonl"
    batch.write_text('{"id": "a", "question": "which foods should I avoid?"}\n'
                     '{"id": "b", "question": "he collapsed and is not waking up"}\n')
    code, out, _ = run(capsys, "search", "--batch", batch, "--index", seed_index, "-k", "3")
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 0 and first["urgent"] is False and second["urgent"] is True and second["call"] == "999"
    assert all("label" in r for r in first["results"] + second["results"])
