"""Timing for the linear-time tests: sizes are compared within one run, never against a clock."""
import time
from typing import Any, Callable


def median_time(function: Callable[[Any], object], argument: Any, repeats: int = 5) -> float:
    """The median wall time of `function(argument)` over `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(argument)
        times.append(time.perf_counter() - start)
    return sorted(times)[repeats // 2]
