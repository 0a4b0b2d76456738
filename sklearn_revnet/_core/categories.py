"""Which of the classifier's inputs encode categories, and their codes.

A pipeline's encoder (``OneHotEncoder``, ``OrdinalEncoder``) turns each
categorical column into one or more of the classifier's inputs, and each
category into fixed values there: its **code** (a one-hot row, an ordinal
number, or whatever the later steps make of them). :class:`Categories` lists,
for each categorical column, the inputs it becomes and the code of each of
its categories; the other inputs are continuous. The reverse direction then
treats a categorical column as discrete: only its codes are inputs.
"""

import numpy as np

_MATCH = 1e-9  # a row's block equals a code to this much, relative to the codes' size


class Categories:
    """The categorical blocks of the classifier's inputs.

    Parameters
    ----------
    n_features : int
        The classifier's number of inputs.
    blocks : list of (columns, codes)
        For each categorical column: the indices of the inputs it becomes
        (an int array of length ``m``) and the codes of its categories (a
        float array of shape ``(n_categories, m)``, one distinct row each).
    """

    def __init__(self, n_features, blocks):
        self.n_features = int(n_features)
        self.blocks = [
            (np.asarray(columns, dtype=np.intp), np.asarray(codes, dtype=np.float64))
            for columns, codes in blocks
        ]
        used = np.zeros(self.n_features, dtype=bool)
        for columns, _ in self.blocks:
            used[columns] = True
        self.continuous = np.flatnonzero(~used)
        self.sizes = [len(codes) for _, codes in self.blocks]
        # the offset of each block's categories in one row of indicators
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)
        # every category's code over all the categorical inputs, and which are its block's
        columns = self.categorical
        self._codes = np.zeros((self.offsets[-1], len(columns)))
        self._mine = np.zeros((self.offsets[-1], len(columns)), dtype=bool)
        self._tolerance = np.zeros(self.offsets[-1])
        self._local = np.zeros(self.offsets[-1], dtype=np.intp)  # category number in its block
        start = 0
        for b, (block_columns, codes) in enumerate(self.blocks):
            rows = slice(self.offsets[b], self.offsets[b + 1])
            place = slice(start, start + len(block_columns))
            self._codes[rows, place], self._mine[rows, place] = codes, True
            self._tolerance[rows] = _MATCH * max(1.0, np.abs(codes).max())
            self._local[rows] = np.arange(len(codes))
            start += len(block_columns)

    def __eq__(self, other):
        return isinstance(other, Categories) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def key(self):
        """A hashable description (the same blocks and codes give the same key)."""
        return (
            self.n_features,
            tuple((tuple(c.tolist()), codes.tobytes(), codes.shape) for c, codes in self.blocks),
        )

    @property
    def categorical(self):
        """The indices of every categorical input."""
        if not self.blocks:
            return np.empty(0, dtype=np.intp)
        return np.concatenate([columns for columns, _ in self.blocks])

    def index(self, X):
        """The category of each block in each row: shape ``(n_rows, n_blocks)``, -1 for none.

        A row's block is category ``j`` when it equals code ``j`` (to within
        1e-9 of the codes' size).
        """
        matches = self.matches(X)
        if not self.blocks:
            return np.empty((len(matches), 0), dtype=np.intp)
        found = np.add.reduceat(matches * (self._local + 1), self.offsets[:-1], axis=1)
        return found - 1

    def matches(self, X):
        """Whether each row's block equals each category's code: shape ``(n_rows, sum(sizes))``.

        One-hot indicators of the rows' categories where every block holds
        a code (the codes of a block are distinct, so at most one matches).
        """
        X = np.asarray(X, dtype=np.float64)
        gaps = np.abs(X[:, None, self.categorical] - self._codes[None])
        gaps = np.where(self._mine[None], gaps, 0.0).max(axis=2, initial=0.0)
        return gaps <= self._tolerance

    def put(self, X, block, category):
        """``X`` (changed in place) with ``block`` set to the code of ``category``.

        ``category`` is one int, or one per row.
        """
        columns, codes = self.blocks[block]
        X[:, columns] = codes[category]
        return X

    def codes_of(self, index):
        """Rows of the categorical inputs only, from their categories (others at 0)."""
        X = np.zeros((len(index), self.n_features))
        for b in range(len(self.blocks)):
            self.put(X, b, index[:, b])
        return X
