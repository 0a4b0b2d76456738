"""The reverse direction: from labels back to inputs, by Bayes' rule.

The posterior ``p(x | t) ∝ p(t | x) p(x)`` (:mod:`.posterior`), its samples
(:mod:`.sampling`) and its mode (:mod:`.mode`); the walk back through a
pipeline's earlier steps (:mod:`.pipeline`); the public functions
(:mod:`.functions`) and counterfactuals (:mod:`.counterfactual`).
"""
