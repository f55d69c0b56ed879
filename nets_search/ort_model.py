"""A lean runner for the exported ONNX model: the `tokenizers` library, ONNX Runtime, mean pooling.

It gives the vectors sentence-transformers gives for the same ONNX file, without importing torch or transformers
(seconds of start-up and hundreds of MB per page process). The export itself still goes through
sentence-transformers, once (onnx_export.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

BATCH_SESSION_FROM = 8  # texts in one call from which the all-cores session encodes them (a build, not a question)


class OrtSentenceModel:
    """The subset of SentenceTransformer that Encoder uses: encode(), tokenizer(), max_seq_length."""

    def __init__(self, folder: Path, onnx_file: str, session_options, batch_options=None) -> None:
        """`session_options` for questions (a few texts); `batch_options` (made on first use) for a build's
        batches, which want every core where a question wants one."""
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._path = str(folder / onnx_file)
        self._session = self._open(session_options)
        self._batch_options = batch_options
        self._batch_session = None
        self._batch_lock = threading.Lock()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.max_seq_length = 256

    def _open(self, options):
        import onnxruntime

        return onnxruntime.InferenceSession(self._path, sess_options=options, providers=["CPUExecutionProvider"])

    def _session_for(self, count: int):
        if count < BATCH_SESSION_FROM or self._batch_options is None:
            return self._session
        with self._batch_lock:
            if self._batch_session is None:
                self._batch_session = self._open(self._batch_options())
        return self._batch_session

    def tokenizer(self, texts: list[str], add_special_tokens: bool = True, truncation: bool = False) -> dict:
        """Word-piece ids, untruncated: what token_counts() needs."""
        return {"input_ids": [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=add_special_tokens)]}

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True, **_) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths together: less padding
        out = np.zeros((len(texts), 384), dtype=np.float32)
        session = self._session_for(len(texts))
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._embed([texts[i] for i in rows], session)
        if normalize_embeddings:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _embed(self, texts: list[str], session) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        length = min(max(len(e.ids) for e in encodings), self.max_seq_length)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            pieces = encoding.ids[:length]
            if len(encoding.ids) > length:  # truncated: keep [CLS] ... and end with [SEP], as the model was trained
                pieces = pieces[:-1] + [encoding.ids[-1]]
            ids[row, : len(pieces)] = pieces
            mask[row, : len(pieces)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
