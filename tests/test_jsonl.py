"""JSON Lines read within limits: nesting counted as a parser reads it, numbers and lines bounded, errors in words."""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets_search import jsonl
from nets_search.errors import EvaluationError
from nets_search.jsonl import MAX_DEPTH, MAX_NUMBER_DIGITS, LongLine, json_line, json_lines, read_lines

JSON_VALUES = st.recursive(  # any JSON value, strings full of brackets, quotes and backslashes among them
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(alphabet='[]{}"\\a'),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=200,
)


def _reference_depth(raw: bytes) -> int:
    """How deep a JSON parser reading `raw` nests, byte by byte: escapes only inside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if escaped:
            escaped = False
        elif in_string:
            escaped, in_string = byte == ord("\\"), byte != ord('"')
        elif byte == ord('"'):
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


@settings(max_examples=1000, deadline=None)
@given(JSON_VALUES.map(json.dumps), st.floats(0, 1), st.lists(st.sampled_from(list('[]{}"\\a,')), max_size=8))
def test_nesting_is_counted_as_a_json_parser_reads_it(text, cut, junk):
    """JSON (strings full of brackets, quotes and backslashes) is counted as deep as it nests; cut short and
    followed by junk, never shallower than what json.loads reads of it (up to its error: past that the count may
    differ). A limit of 2 and pieces of 3 bytes put the limit and the piece boundaries everywhere."""
    broken = (text[: round(len(text) * cut)] + "".join(junk)).encode()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonl, "MAX_DEPTH", 2)
        patch.setattr(jsonl, "_PIECE", 3)
        assert jsonl.nests_too_deep(text.encode()) == (_reference_depth(text.encode()) > 2)
        too_deep = jsonl.nests_too_deep(broken)
    try:
        json.loads(broken)
    except json.JSONDecodeError as exc:
        assert too_deep or _reference_depth(broken[: exc.pos + 1]) <= 2
    else:
        assert too_deep == (_reference_depth(broken) > 2)


@pytest.mark.parametrize(
    "line, reason",
    [
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"arrays or objects nested more than {MAX_DEPTH} deep"),
        ("1" * (MAX_NUMBER_DIGITS + 1), f"a number of more than {MAX_NUMBER_DIGITS} digits"),
        ("-" + "1" * (MAX_NUMBER_DIGITS + 1), f"a number of more than {MAX_NUMBER_DIGITS} digits"),
        ('{"id": 1,', "not valid JSON (Expecting property name enclosed in double quotes)"),
    ],
    ids=["too-deep", "too-many-digits", "too-many-digits-negative", "not-json"],
)
def test_a_line_beyond_the_limits_is_refused_in_words(line, reason):
    with pytest.raises(ValueError) as refused:
        json_line(line)
    assert str(refused.value) == reason


def test_a_line_at_the_limits_is_read():
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert json_line(deep) == json.loads(deep)
    assert json_line("-" + "9" * MAX_NUMBER_DIGITS) == -int("9" * MAX_NUMBER_DIGITS)


def test_json_lines_number_the_lines_skip_blank_ones_and_name_the_bad_one(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"a": 1}\n\n  \n[2]\n', encoding="utf-8")
    assert list(json_lines(path)) == [(1, {"a": 1}), (4, [2])]
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"q\.jsonl:2: not valid JSON"):
        list(json_lines(path))


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "file not found"),
    (lambda p: p.mkdir(), "is a folder, not a JSONL file"),
    (lambda p: p.write_bytes(b"\xff\n"), "not valid UTF-8 text"),
], ids=["missing", "folder", "not-utf8"])
def test_json_lines_name_a_file_that_cannot_be_read(tmp_path, make, reason):
    path = tmp_path / "q.jsonl"
    make(path)
    with pytest.raises(EvaluationError) as refused:
        json_lines(path)
    assert str(refused.value) == f"{path}: {reason}"


def test_a_line_over_the_limit_comes_out_as_its_size_and_the_next_line_is_read(monkeypatch):
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 8)
    monkeypatch.setattr(jsonl, "SKIP_CHUNK", 3)
    stream = io.BytesIO(b"short\n" + b"x" * 50 + b"\r\n" + b"last")
    assert list(read_lines(stream)) == [b"short\n", LongLine(50), b"last"]
