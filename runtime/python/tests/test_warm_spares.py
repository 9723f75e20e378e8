"""When a warm parent makes its next spare (crewship_runtime.warm._SpareSlot): not while the run that
took the last one is starting, but once that run ends or REPLACE_AFTER_SECONDS later, and at once
for a run that finds none. The parent's clock is a fake one here."""
import pytest

from crewship_runtime import warm


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(warm.time, "monotonic", fake)
    return fake


class Spares:
    """Stands in for _Spare.fork: numbered spares."""

    def __init__(self):
        self.made = []

    def __call__(self):
        self.made.append(f"spare-{len(self.made) + 1}")
        return Spare(self.made[-1])


class Spare:
    def __init__(self, name):
        self.name = name
        self.pid = name


def test_the_next_spare_is_made_only_when_due_after_a_run_took_one(clock):
    made = Spares()
    slot = warm._SpareSlot(made)
    assert made.made == ["spare-1"] and slot.timeout() is None  # one is ready: nothing to wait for

    assert slot.take().name == "spare-1"
    assert slot.pids() == []
    assert slot.timeout() == pytest.approx(warm._SpareSlot.REPLACE_AFTER_SECONDS)

    clock.now += warm._SpareSlot.REPLACE_AFTER_SECONDS / 2
    slot.make_when_due()
    assert made.made == ["spare-1"], "made while the run that took the last spare is starting"
    assert slot.timeout() == pytest.approx(warm._SpareSlot.REPLACE_AFTER_SECONDS / 2)

    clock.now += warm._SpareSlot.REPLACE_AFTER_SECONDS / 2
    assert slot.timeout() == 0
    slot.make_when_due()
    assert made.made == ["spare-1", "spare-2"] and slot.pids() == ["spare-2"] and slot.timeout() is None


def test_a_run_that_ends_or_a_run_that_finds_none_gets_the_next_spare_made_at_once(clock):
    made = Spares()
    slot = warm._SpareSlot(made)
    slot.take()

    slot.make()  # the run ended before the spare was due
    assert made.made == ["spare-1", "spare-2"]
    slot.make()
    assert made.made == ["spare-1", "spare-2"], "a spare is ready: making another would waste one"

    assert slot.take().name == "spare-2"
    assert slot.take().name == "spare-3", "a run asked for while there is no spare gets one made on the spot"
    assert slot.timeout() == pytest.approx(warm._SpareSlot.REPLACE_AFTER_SECONDS)
