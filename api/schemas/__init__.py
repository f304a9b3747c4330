"""Request and response bodies, kept apart (`XCreate` in, `XPublic` out)."""
