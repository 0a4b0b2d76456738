import os
from importlib.metadata import version

# scikit-learn's array API dispatch (tests/test_array_api.py and the array API
# estimator checks) needs scipy >= 1.14 with its own array API support on,
# which must be switched on before scipy is first imported. With an older
# scipy the variable stays unset and those tests are skipped.
if tuple(int(part) for part in version("scipy").split(".")[:2]) >= (1, 14):
    os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    # Small matrices: BLAS threads cost more than they save, and two cores are
    # shared between test processes. benchmarks/kernel_sweep.py sets
    # REVNET_TEST_BLAS_THREADS to measure the tolerances with more threads.
    with threadpool_limits(limits=int(os.environ.get("REVNET_TEST_BLAS_THREADS", "1"))):
        yield
