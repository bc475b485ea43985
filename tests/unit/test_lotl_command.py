"""lotl_command.without_collector: the collector pauses while a chunk's records are read, and
resumes as it was, whatever happens."""
import gc

import pytest

from lotl_command import without_collector


@pytest.fixture
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_while_the_records_are_read_and_resumed_after(collector_enabled):
    seen = []

    def records():
        for number in range(3):
            seen.append(gc.isenabled())
            yield {"n": number}

    assert [record["n"] for record in without_collector(records())] == [0, 1, 2]
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_resumed_when_reading_fails(collector_enabled):
    def records():
        yield {"n": 0}
        raise EOFError("the chunk was cut short")

    reading = without_collector(records())
    assert next(reading) == {"n": 0}
    assert not gc.isenabled()
    with pytest.raises(EOFError):
        next(reading)
    assert gc.isenabled()


def test_resumed_when_the_reader_stops_early(collector_enabled):
    reading = without_collector(iter([{"n": 0}, {"n": 1}]))
    next(reading)
    reading.close()
    assert gc.isenabled()


def test_left_off_when_it_was_off(collector_enabled):
    gc.disable()
    assert list(without_collector(iter([{"n": 0}]))) == [{"n": 0}]
    assert not gc.isenabled()
    gc.enable()
