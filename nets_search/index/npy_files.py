"""Reading NumPy's .npy files (BM25's matrices, Qdrant local mode's vectors) when several threads may open an index
version at once.

NumPy parses each file's header with `ast.literal_eval`, and CPython 3.11's AST builder counts its recursion in state
the threads share: two threads parsing at the same moment can fail with "SystemError: AST constructor recursion depth
mismatch" (python/cpython#106905). Eight readers reopening a rolled-back index did so once in a CI run. Opening a
version is rare and quick, so these reads take turns.
"""

from __future__ import annotations

import threading

READ_LOCK = threading.Lock()
