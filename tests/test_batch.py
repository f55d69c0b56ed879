"""A batch answers every line with exactly one JSON line, whatever the line holds."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets_search import cli
from nets_search.batch import MAX_DEPTH, MAX_NUMBER_DIGITS, answer_lines, to_json_line

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


INDEXES = pytest.mark.parametrize("index_name", ["seed_index", "library_index"])  # the seed page; the 31-page library


@INDEXES
def test_a_hostile_batch_gives_one_json_line_per_line_and_exit_2(tmp_path, request, index_name, capsys, monkeypatch,
                                                                  encoder):
    seed_index = request.getfixturevalue(index_name)
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


LATER = b'{"id": "later", "question": "what foods should I avoid?"}'


@pytest.mark.parametrize(
    "bad, reason",
    [
        (b"[" * 100_000 + b"]" * 100_000, f"arrays or objects nested more than {MAX_DEPTH} deep"),
        (b'{"id": ' + b"7" * 5_000 + b', "question": "flushing"}', f"a number of more than {MAX_NUMBER_DIGITS} digits"),
    ],
    ids=["100000-deep", "5000-digit-id"],
)
@INDEXES
def test_a_deep_or_huge_number_line_is_its_own_error_and_later_lines_are_answered(
    tmp_path, request, index_name, capsys, monkeypatch, encoder, bad, reason
):
    seed_index = request.getfixturevalue(index_name)
    monkeypatch.setattr("nets_search.encode.Encoder", lambda *a, **k: encoder)
    batch = tmp_path / "bad.jsonl"
    batch.write_bytes(b"\n".join([LATER, bad, LATER]) + b"\n")
    code = cli.main(["search", "--batch", str(batch), "--index", str(seed_index), "-k", "2"])
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 2 and len(records) == 3
    assert records[1] == {"id": None, "error": f"line 2: {reason}"}
    assert records[2]["id"] == "later" and "tryptophan" in records[2]["results"][0]["text"]


_BRACKETS = {"array": (b"[", b"]"), "object": (b'{"k": ', b"}")}


def _nested_line(depth: int, kind: str) -> tuple[bytes, bool]:
    """A line whose 'extra' field nests `depth` deep (the line itself one more), and whether it is within limits."""
    opening, closing = _BRACKETS[kind]
    line = b'{"id": "n", "question": "q", "extra": ' + opening * depth + b"0" + closing * depth + b"}"
    return line, depth + 1 <= MAX_DEPTH


def _number_line(digits: int) -> tuple[bytes, bool]:
    return b'{"id": -' + b"9" * digits + b', "question": "q"}', digits <= MAX_NUMBER_DIGITS


def _depth(value) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(_depth, children), default=0)


def _json_line(value) -> tuple[bytes, bool]:
    """Any JSON value (strings full of brackets and quotes among them) as a line's 'extra' field."""
    line = json.dumps({"id": "r", "question": "q", "extra": value}).encode("utf-8")
    return line, 1 + _depth(value) <= MAX_DEPTH


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet='[]{}"\\a'),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=200,
)
_LIMIT_LINES = st.one_of(
    st.builds(_nested_line, st.integers(0, 2 * MAX_DEPTH) | st.integers(0, 20_000), st.sampled_from(sorted(_BRACKETS))),
    st.builds(_number_line, st.integers(1, 2 * MAX_NUMBER_DIGITS) | st.integers(1, 20_000)),
    st.builds(_json_line, _JSON_VALUES),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LIMIT_LINES, max_size=6))
def test_nesting_and_long_numbers_are_answered_within_the_limits_and_one_error_beyond(cases):
    lines = [line for line, _ in cases] + [LATER]
    out = list(answer_lines(_fake_search, lines))
    assert len(out) == len(lines) and out[-1][1]
    for number, ((_, within_limits), (record, answered)) in enumerate(zip(cases, out), 1):
        assert answered == within_limits
        assert answered or record["error"].startswith(f"line {number}: ")
        json.loads(to_json_line(record))
