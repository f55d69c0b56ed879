"""Qdrant behind the `VectorIndex` protocol, through qdrant-client: its local mode (embedded in this process, no
server) or a Qdrant server or cluster at NETS_SEARCH_QDRANT_URL.

Local mode: the version folder holds the vectors as a NumPy file (read with `allow_pickle=False`) and a searcher
serves them from Qdrant's in-memory local mode. Qdrant's own on-disk local storage is not used: it pickles every
point (and an index file is never unpickled here), and it locks its folder to one client per process, which a page
that searches a version while a rebuild reads it cannot live with.

Server: one collection per version, named in a small JSON file inside the version folder, so a searcher opens the
collection of the version CURRENT names and a version switch (build or rollback) stays the one atomic rename it is
for FAISS. After a switch the aliases `<prefix>-passage-vectors` and `<prefix>-sentence-vectors` are moved to the
new version's collections in one alias update (atomic in Qdrant), for other clients of the server; the collections
of pruned and failed versions are deleted.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np

from nets_search.index import npy_files
from nets_search.errors import NetsSearchError
from nets_search.settings import engine_settings

LOCAL, SERVER = "qdrant-local", "qdrant-server"
INDEX_TYPES = {LOCAL: "qdrant-exact", SERVER: "qdrant-hnsw"}  # what a manifest records for each mode
UPLOAD_BATCH = 1024
SCROLL_BATCH = 4096


class QdrantVectors:
    """One Qdrant collection of normalised vectors, point id = row. On a server every call's failure is one
    NetsSearchError line; in local mode the matrix it was filled from is kept, so reading it back costs nothing."""

    def __init__(self, client, collection: str, dimensions: int, matrix: np.ndarray | None = None) -> None:
        self._client = client
        self._collection = collection
        self._dimensions = dimensions
        self._matrix = matrix

    @classmethod
    def in_memory(cls, matrix: np.ndarray) -> "QdrantVectors":
        """A local-mode collection holding `matrix` (what a searcher opens for a qdrant-local version)."""
        client = _client_module().QdrantClient(":memory:")
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        vectors = cls(client, "vectors", int(matrix.shape[1]), matrix)
        vectors._create_and_fill(matrix)
        return vectors

    def _errors(self):
        """A server's failures as one line; local mode (which holds its matrix) has none to translate."""
        return contextlib.nullcontext() if self._matrix is not None else server_errors("search")

    def count(self) -> int:
        with self._errors():
            return int(self._client.count(self._collection, exact=True).count)

    def vectors(self) -> np.ndarray:
        if self._matrix is not None:
            return self._matrix
        with self._errors():
            return self._scroll_all()

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        with self._errors():
            found = self._client.query_points(
                self._collection, query=np.asarray(query, dtype=np.float32).ravel().tolist(), limit=k,
                with_payload=False,
            )
        return [(int(p.id), float(p.score)) for p in found.points]

    def save(self, path: Path) -> None:
        save_local(self.vectors(), path)

    def for_candidates(self) -> "QdrantVectors":
        return self

    def _scroll_all(self) -> np.ndarray:
        """Every point's vector, into one float32 matrix by row, a batch at a time."""
        total = self.count()
        matrix = np.zeros((total, self._dimensions), dtype=np.float32)
        seen = np.zeros(total, dtype=bool)
        offset = None
        while True:
            points, offset = self._client.scroll(
                self._collection, limit=SCROLL_BATCH, offset=offset, with_vectors=True, with_payload=False
            )
            for point in points:
                row = int(point.id)
                if not 0 <= row < total:
                    raise NetsSearchError(f"Qdrant collection {self._collection}: point {row} is not a row 0..{total - 1}")
                matrix[row], seen[row] = point.vector, True
            if offset is None:
                break
        if not seen.all():
            raise NetsSearchError(f"Qdrant collection {self._collection}: rows are missing")
        return matrix

    def _create_and_fill(self, matrix: np.ndarray) -> None:
        models = _client_module().models
        self._client.create_collection(
            self._collection,
            vectors_config=models.VectorParams(size=self._dimensions, distance=models.Distance.DOT),
        )
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        for start in range(0, len(matrix), UPLOAD_BATCH):
            batch = matrix[start : start + UPLOAD_BATCH]
            ids = list(range(start, start + len(batch)))
            self._client.upsert(self._collection, points=models.Batch(ids=ids, vectors=batch.tolist()), wait=True)


def _client_module():
    """qdrant-client, an optional dependency (`pip install 'nets-search[qdrant]'`)."""
    try:
        import qdrant_client
    except ImportError:
        raise NetsSearchError("the Qdrant engine needs qdrant-client: pip install 'nets-search[qdrant]'") from None
    return qdrant_client


# --------------------------------------------------------------------------- local mode


def save_local(matrix: np.ndarray, path: Path, index_type: str | None = None) -> None:
    """Serialised by NumPy (no pickle), written in one call, so a failed write keeps its OSError and errno. (Local
    mode always searches exactly: `index_type` is not asked for.)"""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
    Path(path).write_bytes(buffer.getvalue())


def open_local(path: Path) -> QdrantVectors:
    with npy_files.READ_LOCK:
        matrix = np.load(path, allow_pickle=False)
    if matrix.ndim != 2 or matrix.dtype != np.float32:
        raise NetsSearchError(f"{path}: not a matrix of vectors")
    return QdrantVectors.in_memory(matrix)


# --------------------------------------------------------------------------- server


def connect():
    """A client of the Qdrant server at NETS_SEARCH_QDRANT_URL (NETS_SEARCH_QDRANT_API_KEY when it needs one)."""
    settings = engine_settings()
    if not settings.qdrant_url:
        raise NetsSearchError("this index keeps its vectors on a Qdrant server: set NETS_SEARCH_QDRANT_URL")
    return _client_module().QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key or None, timeout=30)


@contextlib.contextmanager
def _connection():
    """A client for one piece of work, closed after it (its sockets with it)."""
    client = connect()
    try:
        yield client
    finally:
        client.close()


def collection_name(path: Path) -> str:
    """`<prefix>-<version>-<file>`: a version's own collection (the staging folder's name carries the version)."""
    version = path.parent.name.removeprefix(".tmp-")
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{engine_settings().qdrant_prefix}-{version}-{path.name}")


def alias_name(path: Path) -> str:
    return f"{engine_settings().qdrant_prefix}-{path.name}"


def save_server(matrix: np.ndarray, path: Path, index_type: str | None = None) -> None:
    name, dimensions = collection_name(path), int(matrix.shape[1])
    pointer = {"engine": SERVER, "collection": name, "count": int(len(matrix)), "dimensions": dimensions}
    Path(path).write_text(json.dumps(pointer), encoding="utf-8")  # first: a failed upload is still found and deleted
    with server_errors("write the vectors to"), _connection() as client:
        if client.collection_exists(name):
            client.delete_collection(name)
        QdrantVectors(client, name, dimensions)._create_and_fill(matrix)


def _read_pointer(path: Path) -> dict:
    try:
        pointer = json.loads(Path(path).read_text(encoding="utf-8"))
        return {"collection": str(pointer["collection"]), "count": int(pointer["count"]),
                "dimensions": int(pointer["dimensions"])}
    except (ValueError, KeyError, TypeError):
        raise NetsSearchError(f"{path}: not a Qdrant collection pointer") from None


def open_server(path: Path) -> QdrantVectors:
    pointer = _read_pointer(path)
    with server_errors("read the vectors from"):
        client = connect()  # kept open: the searcher asks it for every question's candidates
        if not client.collection_exists(pointer["collection"]):
            raise NetsSearchError(f"{path}: the Qdrant collection {pointer['collection']} is missing on the server")
        vectors = QdrantVectors(client, pointer["collection"], pointer["dimensions"])
        if vectors.count() != pointer["count"]:
            raise NetsSearchError(f"{path}: the Qdrant collection {pointer['collection']} does not hold this "
                                  "version's vectors")
    return vectors


def point_aliases(paths: list[Path]) -> None:
    """Move each file's alias to this version's collection, all in one alias update."""
    models = _client_module().models
    wanted = {alias_name(path): _read_pointer(path)["collection"] for path in paths}
    with _connection() as client:
        existing = {a.alias_name for a in client.get_aliases().aliases}
        operations = [models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
                      for alias in wanted if alias in existing]
        operations += [models.CreateAliasOperation(create_alias=models.CreateAlias(collection_name=name, alias_name=alias))
                       for alias, name in wanted.items()]
        client.update_collection_aliases(change_aliases_operations=operations)


def collections_named(paths: list[Path]) -> set[str]:
    return {_read_pointer(path)["collection"] for path in paths if is_server_pointer(path)}


def drop(paths: list[Path], still_used: set[str]) -> None:
    """Delete the collections these pointer files name (a pruned or failed version's), except those another
    version still names (a recalibrated version shares its vectors with the one it was copied from)."""
    with _connection() as client:
        for name in collections_named(paths) - still_used:
            if client.collection_exists(name):
                client.delete_collection(name)


def is_server_pointer(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.startswith(b"{") and f'"engine": "{SERVER}"'.encode() in head


def switched_to(files: list[Path]) -> None:
    """A version whose vectors are on the server was switched in: the aliases move to its collections."""
    with server_errors("move the aliases on"):
        point_aliases(files)


def release(files: list[Path], other_files: list[Path]) -> None:
    """A version whose vectors are on the server is being deleted: its collections go, unless `other_files` (the
    other versions' vector files) still name them (a recalibrated version shares its vectors with the version it
    was copied from)."""
    with server_errors("delete old collections on"):
        drop(files, collections_named(other_files))


# --------------------------------------------------------------------------- either mode


@contextlib.contextmanager
def server_errors(doing: str):
    """The client's own exceptions (connection refused, HTTP errors, timeouts) as one NetsSearchError line."""
    try:
        yield
    except NetsSearchError:
        raise
    except Exception as exc:  # noqa: BLE001 - qdrant-client raises several unrelated types; all mean the same here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NetsSearchError(f"could not {doing} Qdrant at {engine_settings().qdrant_url} ({reason})") from None
