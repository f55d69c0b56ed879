"""The page's limits per source: a count within a window, several keys at once, a flood of new sources."""

from __future__ import annotations





# --------------------------------------------------------------------------- rate limits (the page's, per source)


class Clock:
    """Time that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_limit_refuses_a_key_past_its_count_until_its_window_closes():
    from nets_search.page.process_state import Limit

    clock = Clock()
    limit = Limit(3, 60, clock=clock)
    assert [limit.count("203.0.113.7") for _ in range(4)] == [True, True, True, False]
    assert limit.count("198.51.100.9")  # another source has its own count
    clock.now += 59
    assert not limit.count("203.0.113.7")
    clock.now += 1
    assert limit.count("203.0.113.7")


def test_an_event_under_several_keys_is_refused_if_any_is_spent_and_then_counts_against_none():
    from nets_search.page.process_state import Limit

    limit = Limit(2, 60)
    assert limit.count("source", "tab 1") and limit.count("source", "tab 2")
    assert not limit.count("source", "tab 3")  # a new session from a spent source
    assert limit.count("elsewhere", "tab 3") and limit.count("elsewhere 2", "tab 3")  # the refusal cost tab 3 nothing
    assert not limit.count("elsewhere 3", "tab 3")


def test_a_flood_of_new_sources_is_refused_rather_than_remembered_without_end():
    from nets_search.page.process_state import Limit

    clock = Clock()
    limit = Limit(1, 60, max_keys=2, clock=clock)
    assert limit.count("a") and limit.count("b")
    assert not limit.count("c")  # full, and every window still open
    clock.now += 60
    assert limit.count("c")  # closed windows are dropped to make room
