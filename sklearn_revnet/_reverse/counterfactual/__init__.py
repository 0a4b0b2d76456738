"""Counterfactuals: the least change to an input that makes the network say another label."""
