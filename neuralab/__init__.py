"""neuralab: build, train, verify and see neural networks.

Two engines share one API: ``neuralab.scratch`` (NumPy, from scratch) and PyTorch.
See ``neuralab.engines.get``.
"""

__version__ = "0.1.0"
