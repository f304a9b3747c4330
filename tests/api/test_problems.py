"""Every error is a problem-details JSON document, never HTML or a bare 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.support import World

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_KEYS <= body.keys()
    assert body["status"] == status
    return body


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["title"] == "Not Found"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    body = assert_problem(client.put("/healthz"), 405)
    assert body["title"] == "Method Not Allowed"


def test_bad_query_parameter_is_a_422_problem_naming_the_field(client: TestClient, world: World) -> None:
    body = assert_problem(client.get("/v1/scorecards?limit=zero", headers=world.a1.auth), 422)
    assert body["detail"].startswith("query.limit:")
    assert body["errors"][0]["loc"] == ["query", "limit"]


def test_unexpected_exception_is_a_500_problem_without_traceback(client: TestClient) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    body = assert_problem(client.get("/boom"), 500)
    assert "secret internals" not in body["detail"]
    assert "reference" in body["detail"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    if client.app.state.db.is_sqlite:  # type: ignore[attr-defined]
        assert body == {"status": "ready", "database": "ok", "workers": 2, "queue": "in-process"}
    else:  # this server's own Procrastinate worker beats in the shared queue
        assert {k: body[k] for k in ("status", "database", "workers", "queue", "queue_waiting")} == {
            "status": "ready", "database": "ok", "workers": 2, "queue": "procrastinate", "queue_waiting": 0}
        assert body["queue_workers"] >= 1


def test_openapi_docs_are_served_and_every_reference_resolves(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/v1/calls" in schema["paths"]
    assert "/v1/teams/{team_id}/rollup" in schema["paths"]
    assert client.get("/docs").status_code == 200
    refs: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.add(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    components = schema["components"]["schemas"]
    assert "#/components/schemas/CallCreate" in refs
    missing = [r for r in refs if r.removeprefix("#/components/schemas/") not in components]
    assert missing == []
