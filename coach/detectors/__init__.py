"""Bespoke detectors: small pure functions over a call's shared analysis, one per
rubric detector type that no general check expresses.

They sit above `coach.checks` (they use its call context, result type and
helpers; the checks never import them). `coach.detectors.catalog` imports every
detector module, registering them.
"""
