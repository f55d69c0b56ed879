"""embedding_cache.py: vectors and token counts kept by (model key, text key) across builds."""

import numpy as np

from nets_search.index import embedding_cache


def test_embedding_cache_round_trips_vectors(tmp_path):
    cache = embedding_cache.EmbeddingCache(tmp_path)
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
    cache.put("model-a", ["k1", "k2"], vectors, [5, 7])
    found = cache.get("model-a", ["k1", "k2", "k3"])
    assert set(found) == {"k1", "k2"} and found["k2"][1] == 7
    assert np.array_equal(found["k2"][0], vectors[1])
    assert cache.get("model-b", ["k1"]) == {}
    cache.close()
