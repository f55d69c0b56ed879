"""The embedding cache (index/cache/embeddings.sqlite): vectors by (model key, hash of the embedded text), shared
by every build of an index folder, so only new or changed text is ever embedded."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)



def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Not a database, a malformed one, or another schema (our own check, no code): damage to set aside. A full
    disk, a read-only folder or a lock is not damage, and moving the file aside would not help."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is None or (code & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class EmbeddingCache:
    """Vectors keyed by (model key, hash of the embedded text). Written batch by batch, so an interrupted
    build keeps what it embedded."""

    def __init__(self, index_dir: Path) -> None:
        folder = Path(index_dir) / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "embeddings.sqlite"
        self.warnings: list[str] = []
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not _is_damage(exc):
                raise
            aside = self.path.with_name(f"embeddings.damaged-{time.strftime('%Y%m%dT%H%M%S')}.sqlite")
            for suffix in ("", "-wal", "-shm"):
                source = Path(f"{self.path}{suffix}")
                if source.exists():
                    os.replace(source, Path(f"{aside}{suffix}"))
            self.warnings.append(f"the embedding cache was damaged ({exc}); moved aside to {aside.name} "
                                 "and started anew (passages are embedded again)")
            log.warning(self.warnings[-1])
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        """Open and check the cache: a file that is not SQLite, is truncated or has another schema raises."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS embeddings ("
                "model TEXT NOT NULL, key TEXT NOT NULL, tokens INTEGER, vector BLOB NOT NULL, PRIMARY KEY (model, key))"
            )
            columns = [row[1] for row in db.execute("PRAGMA table_info(embeddings)")]
            if columns != ["model", "key", "tokens", "vector"]:
                raise sqlite3.DatabaseError(f"unexpected columns {columns}")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get(self, model: str, keys: list[str]) -> dict[str, tuple[np.ndarray, int]]:
        found: dict[str, tuple[np.ndarray, int]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 900):
            chunk = unique[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for key, tokens, blob in self._db.execute(
                f"SELECT key, tokens, vector FROM embeddings WHERE model = ? AND key IN ({marks})", [model, *chunk]
            ):
                found[key] = (np.frombuffer(blob, dtype=np.float32), tokens)
        return found

    def put(self, model: str, keys: list[str], vectors: np.ndarray, tokens: list[int]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)",
                [(model, k, t, np.asarray(v, dtype=np.float32).tobytes()) for k, v, t in zip(keys, vectors, tokens)],
            )

    def close(self) -> None:
        self._db.close()
