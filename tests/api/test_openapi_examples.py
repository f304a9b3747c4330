"""The OpenAPI document shows an example for every request body and every response body,
so a reader of /docs sees what goes in and what comes out without calling anything."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _has_example(doc: dict[str, Any], media: dict[str, Any]) -> bool:
    if "example" in media or "examples" in media:
        return True
    schema = media.get("schema")
    if not schema:
        return False
    schema = _resolve(doc, schema)
    if schema.get("type") == "array" and "items" in schema:
        schema = _resolve(doc, schema["items"])
    return bool(schema.get("examples") or schema.get("example"))


def test_every_request_and_response_body_has_an_example(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    missing = []
    checked = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            bodies = [("request", operation["requestBody"])] if "requestBody" in operation else []
            bodies += [(f"response {code}", r) for code, r in operation.get("responses", {}).items() if code != "204"]
            for where, body in bodies:
                for media_type, media in body.get("content", {}).items():
                    checked += 1
                    if not _has_example(doc, media):
                        missing.append(f"{method.upper()} {path} {where} {media_type}")
    assert checked > 60
    assert not missing, "no example for:\n" + "\n".join(missing)


def test_every_reference_in_the_document_resolves_and_errors_are_problems(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    text = str(doc)
    import re

    refs = set(re.findall(r"#/components/schemas/([A-Za-z0-9_.-]+)", text))
    assert refs and refs <= set(doc["components"]["schemas"]), refs - set(doc["components"]["schemas"])
    # 422s are documented as the problem details the API really sends
    listing = doc["paths"]["/v1/calls"]["get"]["responses"]["422"]["content"]
    assert all(m["schema"] == {"$ref": "#/components/schemas/Problem"} for m in listing.values())
