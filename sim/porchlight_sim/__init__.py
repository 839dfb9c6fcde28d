"""Porchlight fleet simulator: realistic homes, injected faults with ground truth, reports on the wire.

The public surface for scoring and tests::

    from porchlight_sim import load_ground_truth, GroundTruth, FAULT_KINDS, BENIGN_KINDS
    from porchlight_sim import RunConfig, build_world, messages

See docs/simulator.md for the command line (``porchlight-sim``) and the ground-truth format.
"""

from .generator import RunConfig, World, build_world, messages
from .ground_truth import BENIGN_KINDS, FAULT_KINDS, KINDS, GroundTruth, load_ground_truth, write_ground_truth

__version__ = "0.1.0"

__all__ = [
    "BENIGN_KINDS", "FAULT_KINDS", "KINDS", "GroundTruth", "RunConfig", "World", "build_world", "load_ground_truth",
    "messages", "write_ground_truth",
]
