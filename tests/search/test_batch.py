"""A batch answers every line with exactly one JSON line, whatever the line holds."""

import io
import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nets_search.search.searcher  # noqa: F401 (imported before any memory is measured)
from nets_search.cli import main as cli
from nets_search import jsonl
from nets_search.jsonl import MAX_DEPTH, MAX_LINE_BYTES, MAX_NUMBER_DIGITS, read_lines
from nets_search.search.batch import answer_lines, to_json_line
from ..test_jsonl import JSON_VALUES
from nets_search.errors import IndexCorruptError, IndexMismatchError, IndexMissingError

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


@pytest.mark.usefixtures("one_model")
@INDEXES
def test_a_hostile_batch_gives_one_json_line_per_line_and_exit_2(tmp_path, request, index_name, capsys, monkeypatch,
                                                                  encoder):
    seed_index = request.getfixturevalue(index_name)
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
    from nets_search.search.query import prepare_question
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


def _question_line(size: int) -> bytes:
    """A valid batch line of exactly `size` bytes."""
    head, tail = b'{"id": "x", "question": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


_OVER_LIMIT = MAX_LINE_BYTES + (1 << 20)  # 17 MiB


@pytest.mark.usefixtures("one_model")
@pytest.mark.parametrize(
    "bad, reason",
    [
        (b"[" * 100_000 + b"]" * 100_000, f"arrays or objects nested more than {MAX_DEPTH} deep"),
        (b'{"id": ' + b"7" * 5_000 + b', "question": "flushing"}', f"a number of more than {MAX_NUMBER_DIGITS} digits"),
        (_question_line(_OVER_LIMIT), f"longer than {MAX_LINE_BYTES:,} bytes ({_OVER_LIMIT:,})"),
    ],
    ids=["100000-deep", "5000-digit-id", "17-MiB"],
)
@INDEXES
def test_a_deep_or_huge_number_line_is_its_own_error_and_later_lines_are_answered(
    tmp_path, request, index_name, capsys, monkeypatch, encoder, bad, reason
):
    seed_index = request.getfixturevalue(index_name)
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


_LIMIT_LINES = st.one_of(
    st.builds(_nested_line, st.integers(0, 2 * MAX_DEPTH) | st.integers(0, 20_000), st.sampled_from(sorted(_BRACKETS))),
    st.builds(_number_line, st.integers(1, 2 * MAX_NUMBER_DIGITS) | st.integers(1, 20_000)),
    st.builds(_json_line, JSON_VALUES),
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


# --------------------------------------------------------------------------- lines read within bounds


@pytest.mark.parametrize(
    "line, reason",
    [  # a regular expression for strings backtracked over these for hours; each is now one pass
        (b"[" * 65 + b'"' + b'\\"' * 2_000_000, f"arrays or objects nested more than {MAX_DEPTH} deep"),
        (b"[" * 60 + b'"' + b'\\"[' * 2_000_000, "not valid JSON (Unterminated string starting at)"),
        (b'{"id": "x", "question": "' + b'\\"{' * 2_000_000 + b"\\", "not valid JSON (Unterminated string starting at)"),
    ],
    ids=["65-deep-then-escaped-quotes", "brackets-inside-the-unterminated-string", "ends-in-a-lone-backslash"],
)
def test_an_unterminated_string_of_escaped_quotes_is_one_pass_and_one_error(line, reason):
    """Brackets inside the unterminated string do not count: only those before it (60 is within the limit)."""
    out = list(answer_lines(_fake_search, [line, LATER]))
    assert out[0] == ({"id": None, "error": f"line 1: {reason}"}, False)
    assert out[1][1] and out[1][0]["id"] == "later"


_CONTENT = st.one_of(
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
    st.integers(27, 40).map(_question_line),  # around the limit of 32 set below
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_CONTENT, st.sampled_from([b"\n", b"\r\n"]))), _CONTENT.filter(bool) | st.just(b""))
def test_lines_read_within_the_limit_are_answered_as_whole_lines_are(lines, last):
    """read_lines (never more than the limit of a line held, the rest read past in chunks) gives the same answer
    for every line as reading each line whole: the same records, a line over the limit refused with its size."""
    whole = [content + ending for content, ending in lines] + ([last] if last else [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonl, "MAX_LINE_BYTES", 32)
        patch.setattr(jsonl, "SKIP_CHUNK", 3)  # a "\r\n" split between chunks, too
        bounded = list(answer_lines(_fake_search, read_lines(io.BytesIO(b"".join(whole)))))
        assert bounded == list(answer_lines(_fake_search, whole))


@pytest.mark.parametrize("ending", [b"\n" + LATER + b"\n", b""], ids=["then-a-good-line", "to-the-end-of-the-file"])
def test_a_line_far_over_the_limit_is_never_held_in_memory(tmp_path, monkeypatch, capsys, ending):
    """A 64 MiB line with no newline and a limit of 4 KiB: the batch holds a chunk of it at a time (a file of
    gigabytes with no newline would otherwise end in a MemoryError), and answers the line after it."""
    limit, size = 4096, 64 << 20
    path = tmp_path / "long.jsonl"
    with path.open("wb") as out:
        for _ in range(size >> 20):
            out.write(b"a" * (1 << 20))
        out.write(ending)
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", limit)
    monkeypatch.setattr("nets_search.search.searcher.Searcher", lambda index: _Answers(_fake_search))
    tracemalloc.start()
    try:
        code = cli.main(["search", "--batch", str(path), "--index", str(tmp_path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 2 and peak < 8 << 20, f"{peak:,} bytes held"
    assert records[0] == {"id": None, "error": f"line 1: longer than {limit:,} bytes ({size:,})"}
    assert [(r["id"], "error" in r) for r in records[1:]] == ([("later", False)] if ending else [])


# --------------------------------------------------------------------------- failures while answering


class _Answers:
    """A searcher whose search is `search` (the real seed searcher's, or one that fails for one question)."""

    def __init__(self, search):
        self.search = search


def _failing_on(searcher, question: str, error: Exception):
    def search(text, **options):
        if text == question:
            raise error
        return searcher.search(text, **options)

    return _Answers(search)


FAILING = b'{"id": "f", "question": "how is a NET staged?"}'


def _run_batch(tmp_path, monkeypatch, capsys, searcher) -> tuple[int, list[dict], str]:
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join([LATER, FAILING, LATER]) + b"\n")
    monkeypatch.setattr("nets_search.search.searcher.Searcher", lambda index: searcher)
    code = cli.main(["search", "--batch", str(path), "--index", str(tmp_path), "-k", "2"])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


@pytest.mark.parametrize(
    "error",
    [ValueError("a value\nover two lines"), RecursionError("maximum recursion depth exceeded"),
     UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), ZeroDivisionError(), MemoryError()],
    ids=lambda e: type(e).__name__,
)
def test_a_failure_answering_one_question_is_that_lines_error_and_the_batch_goes_on(
        tmp_path, monkeypatch, capsys, seed_searcher, error):
    code, records, err = _run_batch(tmp_path, monkeypatch, capsys, _failing_on(seed_searcher, "how is a NET staged?", error))
    assert code == 2 and err == "" and len(records) == 3
    assert records[1] == {"id": "f", "query": "how is a NET staged?",
                          "error": f"line 2: could not be answered ({type(error).__name__})"}
    for record in (records[0], records[2]):
        assert record["id"] == "later" and "tryptophan" in record["results"][0]["text"]


@pytest.mark.parametrize(
    "error",
    [IndexMissingError("no index in index; run: nets-search build"),
     IndexCorruptError("index/versions/v1/passages.sqlite: index file is corrupted; run: nets-search build"),
     IndexMismatchError("the index was built with model m@0123456789abcdef; run: nets-search build")],
    ids=lambda e: type(e).__name__,
)
def test_a_failure_of_the_index_stops_the_batch_in_one_line(tmp_path, monkeypatch, capsys, seed_searcher, error):
    """Every later line would fail the same way: the batch stops there, with the lines before it answered."""
    code, records, err = _run_batch(tmp_path, monkeypatch, capsys, _failing_on(seed_searcher, "how is a NET staged?", error))
    assert code == 2 and len(records) == 1 and records[0]["id"] == "later" and records[0]["results"]
    assert err == f"nets-search: error: batch stopped at line 2: {error}\n"
