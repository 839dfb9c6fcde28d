"""Porchlight fleet simulator: realistic homes, injected faults with ground truth, reports on the wire."""

__version__ = "0.1.0"
