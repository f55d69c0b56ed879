"""What the page process keeps for its whole life, where no browser can reach it.

Streamlit empties `st.cache_resource` and `st.cache_data` for every session when any browser session sends its
"clear cache" message (a BackMsg anyone connected to the websocket can send; the menu is only one way). So what must
survive that lives here instead: the loaded model and searchers (`Kept`: dropping them costs every reader a reload)
and the counters behind the editor token's pause and the feedback limits (`Limit`: resetting them undoes the limit).
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    """A function's result per positional arguments, built on first use and kept until `clear()` (a stand-in for
    `st.cache_resource` that no browser can clear). With `max_entries`, a new entry first drops the others."""

    def __init__(self, build: Callable[..., T], max_entries: int | None = None) -> None:
        self._build = build
        self._max_entries = max_entries
        self._lock = threading.Lock()  # held while building: a second caller waits for the first one's model
        self._values: dict[tuple, T] = {}
        functools.update_wrapper(self, build)

    def __call__(self, *args: Hashable) -> T:
        with self._lock:
            if args not in self._values:
                if self._max_entries is not None and len(self._values) >= self._max_entries:
                    self._values.clear()
                self._values[args] = self._build(*args)
            return self._values[args]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def kept(max_entries: int | None = None) -> Callable[[Callable[..., T]], Kept[T]]:
    """Decorator form of `Kept`."""
    return lambda build: Kept(build, max_entries)


class Limit:
    """At most `most` events per key in a window of `seconds` that opens at the key's first counted event; until it
    closes, the key is refused. Thread-safe. Memory is bounded: past `max_keys` keys, closed windows are dropped, and
    while none can be, a new key is refused (a flood from many addresses is refused, never remembered without end)."""

    def __init__(self, most: int, seconds: float, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.most, self.seconds, self.max_keys, self._clock = most, seconds, max_keys, clock
        self._lock = threading.Lock()
        self._windows: dict[Hashable, tuple[float, int]] = {}  # key -> (window opened at, events counted in it)

    def count(self, *keys: Hashable) -> bool:
        """Count one event against every key, unless any of them is at its limit (then nothing is counted).
        Returns whether the event was counted, i.e. allowed."""
        now = self._clock()
        with self._lock:
            windows = [self._window(key, now) for key in keys]
            if any(events >= self.most for _, events in windows) or not self._room_for(keys, now):
                return False
            for key, (opened, events) in zip(keys, windows):
                self._windows[key] = (opened, events + 1)
            return True

    def _window(self, key: Hashable, now: float) -> tuple[float, int]:
        opened, events = self._windows.get(key, (now, 0))
        return (opened, events) if now - opened < self.seconds else (now, 0)

    def _room_for(self, keys: tuple[Hashable, ...], now: float) -> bool:
        new = len({key for key in keys if key not in self._windows})
        if len(self._windows) + new > self.max_keys:
            self._windows = {key: w for key, w in self._windows.items() if now - w[0] < self.seconds}
        return len(self._windows) + new <= self.max_keys

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
