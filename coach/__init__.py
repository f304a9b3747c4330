"""Expansion-call coach: read a sales call, score it against the expansion playbook, coach the rep."""

__version__ = "0.1.0"
