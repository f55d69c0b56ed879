"""What the commands share: the default folders and the progress bar of an embedding step."""

from __future__ import annotations

from pathlib import Path

DEFAULT_CORPUS = Path("corpus")
DEFAULT_INDEX = Path("index")


class progress_bar:
    """A tqdm bar for the embedding step, shown on a terminal only (tqdm's own tty check)."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self.bar = None

    def __enter__(self):
        return self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="embedding passages", unit="passage", disable=None if not self.disabled else True)
        self.bar.n = done
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
