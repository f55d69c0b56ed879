"""An index folder's files, by name, and the format a version is written in: the one place a build writes a version
from and a reader opens it by (store.py, manifest_file.py, the build, the searcher, calibration).

    index/
      CURRENT                 name of the version that answers queries (replaced atomically)
      build.lock              held (flock) by the one running build
      versions/<version>/     manifest.json, manifest.sha256, passages.sqlite, passage-vectors, sentence-vectors,
                              glossary.json, lexical/, calibration.json (when fitted)
      cache/embeddings.sqlite vectors by (model key, hash of the embedded text): embedding_cache.py
"""

from __future__ import annotations

from pathlib import Path

# 2: passages carry their analysed BM25 terms; 3: sentence vectors and spans; 4: page publisher; 5: the manifest
# is checked against manifest.sha256 and a schema, and every file must be listed (versions of 4 are rebuilt);
# 6: the manifest's BM25, fusion and signal settings are named 'retrieval' (were 'lexical')
FORMAT_VERSION = 6

CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
VERSIONS_DIR = "versions"
STAGING_PREFIX = ".tmp-"  # versions/.tmp-<version>: a version being written, never read

MANIFEST_FILE = "manifest.json"
MANIFEST_SUM_FILE = "manifest.sha256"  # the manifest's own checksum, kept outside it, in sha256sum's format
PASSAGES_DB = "passages.sqlite"
VECTORS_FILE = "passage-vectors"  # written and read by the engine the manifest names (vectors.py)
SENTENCE_VECTORS_FILE = "sentence-vectors"
VECTOR_FILES = (VECTORS_FILE, SENTENCE_VECTORS_FILE)
VERSION_GLOSSARY_FILE = "glossary.json"  # the corpus's glossary (glossary.yaml) as the version was built with it
CALIBRATION_FILE = "calibration.json"  # when fitted: search/confidence.py writes and reads it
LEXICAL_DIR = "lexical"
LEXICAL_FILES = ("params.index.json", "vocab.index.json", "data.csc.index.npy", "indices.csc.index.npy",
                 "indptr.csc.index.npy")  # what bm25s saves (LexicalIndex.save) and loads
REQUIRED_FILES = (PASSAGES_DB, *VECTOR_FILES, VERSION_GLOSSARY_FILE,
                  *(f"{LEXICAL_DIR}/{name}" for name in LEXICAL_FILES))  # every version lists these in its manifest


def version_dir(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / VERSIONS_DIR / version


def staging_path(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / VERSIONS_DIR / f"{STAGING_PREFIX}{version}"
