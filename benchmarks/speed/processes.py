"""How sections start fresh processes: the installed `nets-search` command and the environment children get."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .files import REPO


def nets_search_command() -> list[str]:
    """The installed console script beside this Python (not a shell shim, which adds its own start-up)."""
    script = Path(sys.executable).parent / "nets-search"
    if script.is_file():
        return [str(script)]
    found = shutil.which("nets-search")
    return [found] if found else [sys.executable, "-c", "import sys; from nets_search.cli.main import main; sys.exit(main())"]


def child_env() -> dict[str, str]:
    """This process's environment, offline, with this working tree first on the path (the tree being measured)."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO)}
