"""Every detector module, imported so each registers itself in `REGISTRY`."""

from coach.detectors import asks, closing, discovery, framing, never_say, objections, opening  # noqa: F401
from coach.detectors.registry import REGISTRY, WORKS_WITHOUT_SELLER

__all__ = ["REGISTRY", "WORKS_WITHOUT_SELLER"]
