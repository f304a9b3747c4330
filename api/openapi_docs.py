"""Examples in the OpenAPI document where models cannot carry them: the problem body every
error shares, and the non-JSON bodies (multipart upload, Markdown, HTML, CSV, zip)."""

from __future__ import annotations

from typing import Any

PROBLEM_EXAMPLE = {
    "type": "about:blank", "title": "Not Found", "status": 404, "detail": "call 42 not found",
}
_VALIDATION_EXAMPLE = {
    "type": "urn:coach:problem:validation", "title": "Invalid request", "status": 422,
    "detail": "body.comment: String should have at least 1 character",
    "errors": [{"loc": ["body", "comment"], "msg": "String should have at least 1 character"}],
}
_TEXT_EXAMPLES = {
    "text/markdown": "# Scorecard: Acme QBR\n\n**Score:** 100/100\n\n| item | verdict |\n| --- | --- |\n"
    "| Signal-first opening | pass |\n",
    "text/html": "<!doctype html><html lang=\"en\"><head><title>Scorecard: Acme QBR</title></head>"
    "<body><h1>Scorecard: Acme QBR</h1></body></html>",
    "text/csv": "call_id,rep_id,team_id,occurred_at,kind,score,machine_score,signal_first_opening\n"
    "42,3,1,2026-11-30T15:00:00+00:00,upload,100.0,0.0,pass\n",
    "multipart/form-data": {"file": "(the transcript file)", "sellers": "Priya Shah", "title": "Acme QBR",
                            "occurred_at": "2026-11-30T15:00:00Z"},
}


def add_examples(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" in components:
        components["Problem"].setdefault("examples", [PROBLEM_EXAMPLE])
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            bodies = [operation["requestBody"]] if "requestBody" in operation else []
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                # Validation errors leave as problem details (api.problems), not FastAPI's default shape.
                for media in content.values():
                    if media.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                        media["schema"] = dict(problem_ref)
                        media.setdefault("example", _VALIDATION_EXAMPLE)
                if "application/problem+json" in content and not content["application/problem+json"].get("schema"):
                    content["application/problem+json"] = {"schema": dict(problem_ref)}
                for media in content.values():
                    if media.get("schema") == problem_ref and code == "422":
                        media.setdefault("example", _VALIDATION_EXAMPLE)
                bodies.append(response)
            for body in bodies:
                for media_type, media in body.get("content", {}).items():
                    if media_type in _TEXT_EXAMPLES:
                        media.setdefault("example", _TEXT_EXAMPLES[media_type])
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
