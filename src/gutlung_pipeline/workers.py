"""Worker processes forked for a job's independent parts.

A job that has several independent parts (a batch's samples, the beta
metrics) runs them in worker processes forked rather than started: a worker
starts in milliseconds with the modules already imported (scikit-bio alone
takes about a second a process). With one worker the parts run here, one
after the other, with the same interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, wait


def forked_pool(workers: int, *, preload: Sequence[str] | None = None):
    """Return ``workers`` forked processes as an executor, or :class:`Here` for one.

    Without ``preload`` the workers are forked from this process and inherit
    what it imported (import what the parts need first), its logging and
    its settings. With ``preload`` (module names) they are forked from a
    fresh server process that imported those modules and ran nothing else
    (multiprocessing's ``forkserver``): for parts whose libraries use OpenMP,
    whose thread pool does not survive a fork of a process that has used it
    (scikit-bio's distance checks hang in the child). Their arguments are
    then pickled: pass paths, not large objects.
    """
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        if preload is not None and "forkserver" in methods:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(preload))
        else:
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
        return ProcessPoolExecutor(max_workers=workers, mp_context=context)
    return Here()


#: What :func:`forked_map` hands to its workers: they inherit it with the fork.
_INHERITED: dict = {}


def forked_map(fn: Callable, items: Sequence, workers: int) -> list:
    """``[fn(item) for item in items]``, ``workers`` at a time in forked processes.

    The workers are plain forks of this process (:func:`forked_pool` without
    ``preload``) and inherit ``fn`` and ``items``: nothing is pickled on the
    way in, so ``fn`` may be a closure and an item a large table; only each
    result comes back pickled. The results are in ``items``' order; the
    first failure (in that order) is raised, as :func:`results` does. Only
    for work that runs no OpenMP code in this process before the fork.
    """
    workers = max(1, min(workers, len(items)))
    if workers == 1:
        return [fn(item) for item in items]
    _INHERITED.update(fn=fn, items=items)
    try:
        with forked_pool(workers) as pool:
            return results([pool.submit(_inherited_call, i) for i in range(len(items))])
    finally:
        _INHERITED.clear()


def _inherited_call(i: int):
    """Item ``i`` of :func:`forked_map`, in a worker."""
    return _INHERITED["fn"](_INHERITED["items"][i])


def results(futures: Sequence[Future]) -> list:
    """Return the futures' results in order, or raise the first failure.

    Waits until all are done or one has failed; then the failure first in
    ``futures``' order is raised, after the parts not started are cancelled
    (they never run).
    """
    wait(futures, return_when=FIRST_EXCEPTION)
    failed = [f for f in futures if f.done() and not f.cancelled() and f.exception()]
    if failed:
        for future in futures:
            future.cancel()
        raise failed[0].exception()
    return [future.result() for future in futures]


class Here:
    """The one-worker pool of :func:`forked_pool`: runs each call at once, here.

    After a call fails, the later ones are not started (their futures are
    cancelled), as a process pool's are when the job stops.
    """

    def __init__(self) -> None:
        self.failed = False

    def __enter__(self):
        """Enter as an executor does."""
        return self

    def __exit__(self, *exc):
        """Leave as an executor does: nothing is left running."""
        return False

    def submit(self, fn, *args):
        """Run ``fn(*args)`` now; return its finished (or cancelled) future."""
        future: Future = Future()
        if self.failed:
            future.cancel()
            return future
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # the part's own error, raised by the job
            future.set_exception(exc)
            self.failed = True
        return future
