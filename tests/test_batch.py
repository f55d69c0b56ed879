"""A batch answers every line with exactly one JSON line, whatever the line holds."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nets_search import cli
from nets_search.batch import answer_lines, to_json_line

HOSTILE = [
    b'{"id": "h1", "question": "what foods should I avoid?"}',
    b'{"id":"h11","question":"\\ud800"}',
    b'{"id": "h2", "question": "flushing \\ud83d after wine"}',
    b"not json at all",
    b'["a", "list"]',
    b'{"id": "h4"}',
    b'{"id": "h5", "question": 42}',
    b'{"id": "h6", "question": "nul \\u0000 in the middle"}',
    b'\xef\xbb\xbf{"id": "h7", "question": "bom on a later line"}',
    b'{"id": "h8", "question": "crlf line"}\r',
    b"\xff\xfe invalid utf-8",
    b"",
    b'{"id": "h13", "question": "' + b"diarrhoea " * 1_000_000 + b'"}',
]


def test_a_hostile_batch_gives_one_json_line_per_line_and_exit_2(tmp_path, seed_index, capsys, monkeypatch, encoder):
    monkeypatch.setattr("nets_search.encode.Encoder", lambda *a, **k: encoder)
    batch = tmp_path / "hostile.jsonl"
    batch.write_bytes(b"\n".join(HOSTILE) + b"\n")
    code = cli.main(["search", "--batch", str(batch), "--index", str(seed_index), "-k", "2"])
    out = capsys.readouterr().out
    lines = out.encode("utf-8").splitlines()
    assert code == 2 and len(lines) == len(HOSTILE)
    records = [json.loads(line) for line in lines]
    assert records[0]["id"] == "h1" and "tryptophan" in records[0]["results"][0]["text"]
    assert records[1]["id"] == "h11" and "empty" in records[1]["error"]
    assert records[2]["results"] and "\ufffd" in records[2]["query"]  # the lone surrogate is replaced, not fatal
    assert all("error" in records[i] for i in (3, 4, 5, 6, 10, 11))
    assert records[9]["id"] == "h8" and records[9]["results"]
    assert records[12]["id"] == "h13" and records[12].get("truncated")


def _fake_search(question, k=5, mode="hybrid"):
    from nets_search.search import prepare_question
    from nets_search.types import SearchResponse

    text, truncated = prepare_question(question)  # raises QueryError on an empty question, as the searcher does
    return SearchResponse(query=question, results=(), searched_text=text, truncated=truncated)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_any_bytes_give_exactly_one_valid_utf8_json_line_each(lines):
    lines = [line.replace(b"\n", b" ") for line in lines]
    out = [to_json_line(record) for record, _ in answer_lines(_fake_search, lines)]
    assert len(out) == len(lines)
    for line in out:
        assert "\n" not in line
        json.loads(line.encode("utf-8").decode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=50))
def test_any_question_text_gives_one_answer_or_one_error(question):
    line = json.dumps({"id": "q", "question": question}).encode("ascii")
    ((record, answered),) = list(answer_lines(_fake_search, [line]))
    assert record["id"] == "q" and answered == ("error" not in record)
    json.loads(to_json_line(record).encode("utf-8"))
