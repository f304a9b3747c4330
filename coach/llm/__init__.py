"""LLM grading: one client for any OpenAI-compatible endpoint, an embedded default model,
evidence-checked judgments merged with the heuristic scorecard.

Only `coach.llm.client` imports the `openai` SDK; everything else depends on the
`ChatModel` protocol in `coach.llm.protocol`.
"""
