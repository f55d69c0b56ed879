"""A lean runner for the exported ONNX model: the `tokenizers` library, ONNX Runtime, mean pooling.

It gives the vectors sentence-transformers gives for the same ONNX file, without importing torch or transformers
(seconds of start-up and hundreds of MB per page process). The export itself still goes through
sentence-transformers, once (onnx_export.py).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

BATCH_SESSION_FROM = 8  # texts in one call from which the all-cores session encodes them (a build, not a question)


class OrtSentenceModel:
    """The subset of SentenceTransformer that Encoder uses: encode(), tokenizer(), max_seq_length."""

    def __init__(self, folder: Path, onnx_file: str, session_options, batch_options=None, solo_options=None) -> None:
        """`session_options` for questions (a few texts); `batch_options` (made on first use) for a build's
        batches, which want every core where a question wants one; `solo_options` (made on first use) for a
        question encoded while nothing else is (see `_session_for`)."""
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._path = str(folder / onnx_file)
        self._session = self._open(session_options)
        self._batch_options = batch_options
        self._batch_session = None
        self._lock = threading.Lock()  # the in-flight count and opening sessions
        self._solo_options = solo_options
        self._solo_session = None
        self._in_flight = 0  # encodes running now (and reservations by `sharing`)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.max_seq_length = 256

    def _open(self, options):
        import onnxruntime

        return onnxruntime.InferenceSession(self._path, sess_options=options, providers=["CPUExecutionProvider"])

    def _session_for(self, count: int, alone: bool):
        """A build's batch: the all-cores session. A question while no other encode runs in this process: the solo
        session (two threads spinning between layers), which has the machine nearly to itself. Otherwise the
        shared one-thread session, so concurrent questions run side by side. The sessions give bit-identical
        vectors (checked on 300 MedQuAD questions), so which one ran never changes an answer."""
        if count >= BATCH_SESSION_FROM and self._batch_options is not None:
            return self._opened("_batch_session", self._batch_options)
        if alone and self._solo_options is not None:
            return self._opened("_solo_session", self._solo_options)
        return self._session

    def _opened(self, name: str, options):
        """The session kept in attribute `name`, opened on first use."""
        with self._lock:
            if getattr(self, name) is None:
                setattr(self, name, self._open(options()))
            return getattr(self, name)

    @contextmanager
    def _counted(self):
        """Counts an encode (or a `sharing` block) as running; yields whether nothing else was."""
        with self._lock:
            alone = self._in_flight == 0
            self._in_flight += 1
        try:
            yield alone
        finally:
            with self._lock:
                self._in_flight -= 1

    @contextmanager
    def sharing(self):
        """Encodes made inside (a question and its variants, side by side) all use the shared session."""
        with self._counted():
            yield

    def tokenizer(self, texts: list[str], add_special_tokens: bool = True, truncation: bool = False) -> dict:
        """Word-piece ids, untruncated: what token_counts() needs."""
        return {"input_ids": [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=add_special_tokens)]}

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True, **_) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths together: less padding
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with self._counted() as alone:
            session = self._session_for(len(texts), alone)
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
