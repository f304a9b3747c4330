"""The text engine: the spaCy pipeline (`nlp`), the per-process token cache, the
whole-call array pass (`callpass`), the matcher (`matching`, `money`), the
rubric's compiled lexicon and per-line analysis (`lines`).

The only package that imports spaCy: the checks and detectors above it read
token arrays and line signals, never spaCy itself (tests/test_import_graph.py).
"""
