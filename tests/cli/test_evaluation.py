"""`nets-search eval`: every error in one line."""

from __future__ import annotations

import pytest

from nets_search.cli import main as cli


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
