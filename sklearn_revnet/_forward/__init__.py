"""The forward direction: fitting the weights with scipy's L-BFGS.

One fit skeleton (:mod:`.fit`) for every place the data live: in memory
(numpy and sparse), on a dask cluster (:mod:`.dask`) and in another array
API namespace (:mod:`.array_api`).
"""
