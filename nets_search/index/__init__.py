"""An index on disk: versions and their manifest, the passage store, the embedding cache, BM25 and the vector engines."""
