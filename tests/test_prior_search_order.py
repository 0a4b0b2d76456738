"""The order in which ``prior="auto"`` searches its candidates, on scripted scores.

The search is documented step by step (``prior_search``'s docstring): for
each map and covariance type, the regularization of one component, then
the sizes in increasing order until two in a row fail to improve, then the
regularization again at that size and, if it changed, the neighbouring
sizes. Real held-out scores cannot pin each step, so here a search's
``score`` is replaced by a table of scores and the path is checked.
"""

import functools

import numpy as np
import pytest

from sklearn_revnet._core.prior_search import REG_COVARS, SIZES, Search


@functools.cache
def _rows():
    return np.random.RandomState(0).lognormal(size=(90, 2))


def _scripted(scores, default=-100.0):
    """A search of 90 rows (sizes 1 to 30) whose scores are ``scores``, keyed ``(k, reg)``.

    The same table for every map and covariance type; the candidates asked
    for are recorded in ``search.asked``.
    """
    search = Search(_rows(), 0)
    assert search.sizes == list(SIZES)
    search.asked = []

    def score(power, covariance_type, n_components, reg_covar):
        search.asked.append((n_components, reg_covar))
        return scores.get((n_components, reg_covar), default)

    search.score = score
    return search


def _sizes(values, reg):
    return {(k, reg): v for k, v in zip(SIZES, values)}


def test_sizes_increase_until_two_in_a_row_fail_to_improve():
    # at reg 1e-2, the best for one component: 8 components, then 11 ties
    # (no improvement), 16 improves, 22 and 30 fall back
    table = {(1, reg): -10.0 for reg in REG_COVARS} | {(1, 1e-2): 0.0}
    table |= _sizes([0, 1, 2, 3, 4, 5, 5, 6, 2, 1], 1e-2)
    search = _scripted(table)
    _, config = search._best_of(False, "full")
    assert config == (False, "full", 16, 1e-2)
    # every regularization of one component first, then the sizes in order
    # at the best of them
    n = len(REG_COVARS)
    assert search.asked[:n] == [(1, reg) for reg in REG_COVARS]
    assert search.asked[n : n + len(SIZES)] == [(k, 1e-2) for k in SIZES]


def test_a_tie_keeps_the_smaller_size_and_two_failures_stop():
    table = {(1, 1e-2): 0.0} | _sizes([0, 1, 2, 3, 4, 5, 5, 4, 9, 9], 1e-2)
    search = _scripted(table)
    _, config = search._best_of(False, "full")
    # 11 ties with 8 and 16 falls: the search stops before 22, which scores 9
    assert config == (False, "full", 8, 1e-2)
    assert (22, 1e-2) not in search.asked


def test_a_new_regularization_at_the_size_moves_to_the_best_neighbour():
    # One component prefers 1e-2, and the sizes at 1e-2 peak at 8. At 8
    # components 1e-1 is better, and at 1e-1 the neighbours of 8 (6, 8 and
    # 11) are scored again: 11 wins. 4 and 16 would win at 1e-1, but are no
    # neighbours.
    table = {(1, 1e-2): 0.0, (1, 1e-1): -1.0}
    table |= _sizes([0, 1, 2, 3, 4, 5, 4, 3, 2, 1], 1e-2)
    table |= {(4, 1e-1): 20.0, (6, 1e-1): 6.0, (8, 1e-1): 7.0, (11, 1e-1): 9.0, (16, 1e-1): 20.0}
    search = _scripted(table)
    score, config = search._best_of(True, "tied")
    assert config == (True, "tied", 11, 1e-1) and score == 9.0


def test_an_unchanged_regularization_keeps_the_size():
    table = {(1, 1e-2): 0.0} | _sizes([0, 1, 2, 3, 4, 5, 4, 3, 2, 1], 1e-2)
    table |= {(11, 1e-1): 50.0}  # better, but never reached
    _, config = _scripted(table)._best_of(False, "diag")
    assert config == (False, "diag", 8, 1e-2)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag"])
def test_one_component_of_any_type_but_tied_keeps_its_type(covariance_type):
    # One tied component is one full one, and is scored under that key.
    table = {(1, 1e-2): 0.0}  # every size above scores less
    _, config = _scripted(table)._best_of(False, covariance_type)
    expected = "full" if covariance_type == "tied" else covariance_type
    assert config == (False, expected, 1, 1e-2)


def test_best_takes_the_best_map_and_type_and_the_first_of_a_tie(monkeypatch):
    search = Search(_rows(), 0)
    results = {
        (False, "full"): (1.0, (False, "full", 2, 1e-3)),
        (False, "tied"): (3.0, (False, "tied", 3, 1e-3)),
        (False, "diag"): (2.0, (False, "diag", 4, 1e-3)),
        (True, "full"): (3.0, (True, "full", 6, 1e-2)),  # ties the tied one, comes later
        (True, "tied"): (0.0, (True, "tied", 2, 1e-2)),
        (True, "diag"): (-1.0, (True, "diag", 8, 1e-2)),
    }
    monkeypatch.setattr(search, "_best_of", lambda power, kind: results[power, kind])
    assert search.best() == (3.0, (False, "tied", 3, 1e-3))


def test_best_falls_back_to_one_standardized_gaussian_if_every_candidate_fails(monkeypatch):
    search = Search(_rows(), 0)
    monkeypatch.setattr(search, "_best_of", lambda power, kind: (-np.inf, (power, kind, 2, 1.0)))
    assert search.best() == (-np.inf, (False, "full", 1, 1e-6))


def test_a_tied_candidate_is_scored_as_tied_and_one_tied_component_as_full():
    search = Search(_rows(), 0)
    one = search.score(False, "tied", 1, 1e-3)
    assert (False, "full", 1, 1e-3) in search.scores
    assert (False, "tied", 1, 1e-3) not in search.scores
    assert one == search.score(False, "full", 1, 1e-3)
    two = search.score(False, "tied", 2, 1e-3)
    assert (False, "tied", 2, 1e-3) in search.scores
    assert two != search.score(False, "full", 2, 1e-3)


def test_a_constant_feature_takes_no_part_in_the_scores():
    X = _rows()
    with_constant = Search(np.c_[X, np.full(len(X), 7.0)], 0)
    without = Search(X, 0)
    for candidate in [(False, "full", 2, 1e-3), (True, "diag", 3, 1e-2)]:
        assert with_constant.score(*candidate) == without.score(*candidate)
