"""What the forward and reverse directions share; each formula written once.

The network, its activations and initializers, the input prior's density,
the evaluator that computes both on the host or on a device, and the small
utilities every layer uses (array namespaces, BLAS threads, input checks,
DataFrame output).
"""
