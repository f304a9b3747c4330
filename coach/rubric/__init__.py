"""The rubric: its schema and loading (`schema`), the bespoke detectors' parameter
models (`params`) and the general checks' data shapes (`shapes`) it validates
items against, the pattern notation (`patterns`) and the lint (`lint`).

Pure data: nothing here analyses text or scores a call, so every layer above
(the text engine, the checks, scoring) can read a rubric without a cycle.
"""
