import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True, scope="session")
def _single_blas_thread():
    # Small matrices: BLAS threads cost more than they save, and two cores are
    # shared between test processes.
    with threadpool_limits(limits=1):
        yield
