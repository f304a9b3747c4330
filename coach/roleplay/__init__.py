"""Role-play: practise an expansion call against a simulated customer, with a facilitator.

- `scenario`: scenarios as data (`rubrics/scenarios/*.yaml`)
- `director`: deterministic customer moves from the scorer's per-line detectors
- `facilitator`: the three interruptions of the training's live role-play
- `actor`: voices a move through the LLM client, falls back to the scripted line
- `session`: serialisable state, turns, the canonical transcript and its scorecard
- `practice`: a practice scenario built from a real call's scorecard
"""
