"""Detectors: small pure functions over a call's shared spaCy docs, one per rubric detector type."""
