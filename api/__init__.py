"""The HTTP API: a thin FastAPI layer over `coach/` for reps and managers.

`api.app.create_app(settings)` builds the application; `coach serve` runs it.
"""
