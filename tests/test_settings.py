"""The engine's settings: read from the environment in one place, a bad value named in one line."""

from __future__ import annotations

import pytest

from nets_search.errors import NetsSearchError
from nets_search.settings import EngineSettings, engine_settings


def test_defaults_when_nothing_is_set():
    assert engine_settings({}) == EngineSettings()


def test_values_are_read_and_typed():
    settings = engine_settings({"NETS_SEARCH_BACKEND": "onnx", "NETS_SEARCH_QUERY_CACHE": "0",
                                "NETS_SEARCH_ORT_THREADS": "2", "NETS_SEARCH_ORT_SPINNING": "yes",
                                "NETS_SEARCH_ORT_SOLO": "0", "NETS_SEARCH_FEEDBACK_DAYS": "30",
                                "NETS_SEARCH_VECTORS": " Qdrant ", "NETS_SEARCH_QDRANT_URL": "http://q:6333",
                                "NETS_SEARCH_QDRANT_API_KEY": "k", "NETS_SEARCH_QDRANT_PREFIX": "nets-site-a"})
    assert settings == EngineSettings(backend="onnx", query_cache=0, ort_threads=2, ort_spinning=True, ort_solo=False,
                                      feedback_days=30, vector_engine="qdrant", qdrant_url="http://q:6333",
                                      qdrant_api_key="k", qdrant_prefix="nets-site-a")


@pytest.mark.parametrize(("name", "value"), [("NETS_SEARCH_QUERY_CACHE", "lots"), ("NETS_SEARCH_ORT_THREADS", "0"),
                                             ("NETS_SEARCH_FEEDBACK_DAYS", "-5"), ("NETS_SEARCH_QUERY_CACHE", "2.5")])
def test_a_bad_value_is_named_in_one_line(name, value):
    with pytest.raises(NetsSearchError) as caught:
        engine_settings({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r}") and "\n" not in message


def test_the_cli_turns_a_bad_setting_into_its_one_line_message(capsys, monkeypatch, seed_index):
    from nets_search.cli import main as cli

    monkeypatch.setenv("NETS_SEARCH_QUERY_CACHE", "lots")
    code = cli.main(["search", "what is carcinoid syndrome", "--index", str(seed_index)])
    err = capsys.readouterr().err
    assert code != 0 and "NETS_SEARCH_QUERY_CACHE='lots': give a whole number" in err and "Traceback" not in err
