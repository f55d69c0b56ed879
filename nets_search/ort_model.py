"""A lean runner for the exported ONNX model: the `tokenizers` library, ONNX Runtime, mean pooling.

It gives the vectors sentence-transformers gives for the same ONNX file, without importing torch or transformers
(seconds of start-up and hundreds of MB per page process). The export itself still goes through
sentence-transformers, once (onnx_export.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OrtSentenceModel:
    """The subset of SentenceTransformer that Encoder uses: encode(), tokenizer(), max_seq_length."""

    def __init__(self, folder: Path, onnx_file: str, session_options) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._session = onnxruntime.InferenceSession(
            str(folder / onnx_file), sess_options=session_options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.max_seq_length = 256

    def tokenizer(self, texts: list[str], add_special_tokens: bool = True, truncation: bool = False) -> dict:
        """Word-piece ids, untruncated: what token_counts() needs."""
        return {"input_ids": [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=add_special_tokens)]}

    def encode(self, texts: list[str], batch_size: int = 32, normalize_embeddings: bool = True, **_) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths together: less padding
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._embed([texts[i] for i in rows])
        if normalize_embeddings:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _embed(self, texts: list[str]) -> np.ndarray:
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
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
