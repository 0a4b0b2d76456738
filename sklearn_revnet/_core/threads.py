"""BLAS threads: one process-wide limit shared by concurrent users."""

import contextlib
import threading

from sklearn.utils.parallel import _get_threadpool_controller

_blas_lock = threading.Lock()
_blas_users = 0
_blas_limit = None


@contextlib.contextmanager
def single_threaded_blas():
    """BLAS runs on the calling thread only, until the last user leaves.

    The limit is process-wide, so concurrent users (fits or reconstructions
    in several threads) share one limit: the first sets it and the last
    restores the original thread counts.
    """
    global _blas_users, _blas_limit
    with _blas_lock:
        if _blas_users == 0:
            _blas_limit = _get_threadpool_controller().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def blas_threads():
    """How many threads BLAS may use now (1 if it cannot be told)."""
    info = _get_threadpool_controller().select(user_api="blas").info()
    return max([module["num_threads"] for module in info], default=1)
