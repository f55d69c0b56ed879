"""What a version is built with (model, backend, splitter, retrieval settings, format, vector engine), as a dict of
its manifest's fields, and whether the version in use was built so: if not, even an unchanged corpus is built
again, from the embedding cache."""

from __future__ import annotations

import dataclasses

from nets_search.corpus.passages import SplitSettings
from nets_search.encode import encoder as encode
from nets_search.index.layout import FORMAT_VERSION
from nets_search.index.lexical import BM25_SETTINGS
from nets_search.index.vectors import engine_for_build, engine_of, index_type_of
from nets_search.types import Manifest


def version_config(split: SplitSettings, backend: str, previous: Manifest | None = None) -> dict:
    """The settings a build writes into its version's manifest (a Qdrant or FAISS index keeps the engine of the
    version in use unless NETS_SEARCH_VECTORS says otherwise: vectors.engine_for_build)."""
    return {
        "model": encode.MODEL_NAME,
        "model_hash": encode.model_hash(),
        "backend": encode.model_key(backend).rsplit("/", 1)[-1],
        "splitter": split.as_dict(),
        "retrieval": retrieval_settings(),
        "format_version": FORMAT_VERSION,
        "vector_engine": engine_for_build(in_use=previous.vector_engine if previous else ""),
    }


def retrieval_settings() -> dict:
    """BM25's settings, the searcher's fusion settings and the no-good-match signals: the version's calibration was
    fitted with all three, so a change of any (a new release) builds a new version, from the cache, with a
    calibration that matches."""
    from nets_search.search.confidence import SIGNALS_VERSION
    from nets_search.search.fusion import FusionSettings

    return {**dataclasses.asdict(BM25_SETTINGS), "fusion": dataclasses.asdict(FusionSettings()),
            "signals": SIGNALS_VERSION}


def built_with(manifest: Manifest, config: dict) -> bool:
    """The version of `manifest` was built with `config` (`version_config`)."""
    built = {
        "model": manifest.model,
        "model_hash": manifest.model_hash,
        "backend": manifest.backend,
        "splitter": manifest.splitter,
        "retrieval": manifest.retrieval,
        "format_version": manifest.format_version,
        "vector_engine": engine_of(manifest.vector_engine),
    }
    return built == config


def vectors_stored_as_today(manifest: Manifest) -> bool:
    """A version's passage vectors are stored as this release stores that many (exact, or an HNSW graph past
    faiss_vectors.HNSW_THRESHOLD): if not, even an unchanged corpus is built again, from the embedding cache."""
    return manifest.index_type == index_type_of(engine_of(manifest.vector_engine), manifest.passages)
