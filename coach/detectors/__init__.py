"""Detectors: small pure functions over a call's shared spaCy docs, one per rubric detector type.

`coach.detectors.catalog` imports every detector module (registering them);
this package itself stays import-light because the rubric schema imports
`coach.detectors.params`.
"""
