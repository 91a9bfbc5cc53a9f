"""Fast draws from a seeded ``random.Random``: the generator makes tens of millions of
them, and ``choices`` with weights rebuilds its cumulative table at every call."""

from __future__ import annotations

import bisect
import math
import random
import statistics
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items drawn in proportion to their weights."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """One of ``items``, uniformly."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, both included."""
    return low + int(rng.random() * (high - low + 1))


def uniform(rng: random.Random, low: float, high: float) -> float:
    return low + (high - low) * rng.random()


# The standard normal distribution at 4,096 evenly spaced quantiles: a draw is one
# random() and an index, where ``Random.normalvariate`` loops and takes logarithms.
_NORMAL = [statistics.NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096)]


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A log-normal draw with the given median and shape."""
    return median * math.exp(sigma * _NORMAL[int(rng.random() * 4096)])
