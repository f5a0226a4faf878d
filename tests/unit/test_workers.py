"""Forked workers: results in order, inherited (not pickled) inputs, the first
failure raised."""

from __future__ import annotations

import os

import pytest

from gutlung_pipeline.workers import forked_map


def test_forked_map_in_order_with_a_closure_on_forked_workers():
    parent = os.getpid()
    offset = 100  # a closure over a local: it could not be pickled

    def work(i):
        return i + offset, os.getpid()

    items = list(range(9))
    here = forked_map(work, items, 1)
    assert [r for r, _ in here] == [i + 100 for i in items]
    assert {pid for _, pid in here} == {parent}
    forked = forked_map(work, items, 3)
    assert [r for r, _ in forked] == [i + 100 for i in items]
    assert parent not in {pid for _, pid in forked}
    assert forked_map(work, [], 4) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_forked_map_raises_the_first_failure(workers):
    def work(i):
        if i >= 2:
            raise ValueError(f"part {i} failed")
        return i

    with pytest.raises(ValueError, match="part 2 failed"):
        forked_map(work, [0, 1, 2, 3], workers)
