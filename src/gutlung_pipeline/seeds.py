"""One seed reaches every random step.

One seed reaches every random step: the config's ``seed``, and numbered
sub-streams of it.

A step that needs several independent random streams draws stream ``k`` from
``numpy.random.default_rng(substream(random_state, k))``: numpy's SeedSequence
makes each sub-stream independent of the parent stream and of every other
``k``, where ``seed + k`` would overlap the stream of another seed.
"""

from __future__ import annotations

from collections.abc import Sequence

#: A seed: the config's integer, or a sub-stream's list of integers (what
#: ``numpy.random.default_rng`` takes).
Seed = int | Sequence[int]


def substream(random_state: Seed, *k: int) -> list[int]:
    """Return the seed of sub-stream ``k`` of ``random_state`` (streams nest).

    Examples
    --------
    >>> substream(42, 1)
    [42, 1]
    >>> substream([42, 1], 0)
    [42, 1, 0]
    """
    if isinstance(random_state, Sequence) and not isinstance(random_state, str):
        base = [int(v) for v in random_state]
    else:
        base = [int(random_state)]
    return [*base, *(int(v) for v in k)]
