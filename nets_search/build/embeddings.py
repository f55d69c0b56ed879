"""A build's vectors: every text's vector and token count, reused from the version in use, then from the embedding
cache, the encoder (loaded only if needed) embedding what both lack."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from nets_search.encode import encoder as encode
from nets_search.index import embedding_cache
from nets_search.text import sha256_text
from nets_search.types import Passage

ProgressFn = Callable[[int, int], None]
EMBED_BATCH = 64


def embedding_key(passage: Passage) -> str:
    return sha256_text(passage.embedding_text)


def text_key(text: str) -> str:
    """The embedding cache key of a text (a passage's or a sentence's embedded text)."""
    return sha256_text(text)


def embeddings(
    texts: list[str],
    index_dir: Path,
    backend: str,
    encoder: "encode.Encoder | None",
    progress: ProgressFn | None,
    known: dict[str, tuple[np.ndarray, int]],
    warnings: list[str],
) -> tuple[np.ndarray, list[int], set[str], str]:
    """Vectors and token counts for every text (passages, then sentences): reused (`known`, by key), then from the
    cache, embedding only what both lack (whose keys are returned), and the backend they are of."""
    keys = [text_key(t) for t in texts]
    cache = embedding_cache.EmbeddingCache(index_dir)
    warnings.extend(cache.warnings)
    try:
        model_key = encoder.key if encoder else encode.model_key(backend)
        unique_keys = list(dict.fromkeys(keys))
        found = dict(known)
        found.update(cache.get(model_key, [k for k in unique_keys if k not in known]))
        missing = [i for i, k in enumerate(unique_keys) if k not in found]
        if missing:
            encoder = encode.loaded_encoder(encoder, backend, Path(index_dir) / "cache")
            if encoder.key != model_key:  # the backend fell back: look again under the key that applies
                model_key = encoder.key
                found = cache.get(model_key, unique_keys)  # vectors of the version in use are of the old backend
                missing = [i for i, k in enumerate(unique_keys) if k not in found]
            text_of = dict(zip(keys, texts))
            _embed_missing([unique_keys[i] for i in missing], text_of, encoder, cache, model_key, found, progress)
        used_backend = model_key.rsplit("/", 1)[-1]
    finally:
        cache.close()
    vectors = np.stack([found[k][0] for k in keys]) if keys else np.zeros((0, encode.DIMENSIONS), np.float32)
    return vectors, [found[k][1] for k in keys], {unique_keys[i] for i in missing}, used_backend


def _embed_missing(keys, text_of, encoder, cache, model_key, found, progress) -> None:
    total = len(keys)
    for start in range(0, total, EMBED_BATCH):
        batch = keys[start : start + EMBED_BATCH]
        texts = [text_of[k] for k in batch]
        vectors = encoder.encode_passages(texts)
        tokens = encoder.token_counts(texts)
        cache.put(model_key, batch, vectors, tokens)
        found.update({k: (v, t) for k, v, t in zip(batch, vectors, tokens)})
        if progress:
            progress(min(start + EMBED_BATCH, total), total)
