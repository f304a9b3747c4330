"""Uploading calls: body shapes, idempotency, bad input, size limit, scoring jobs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.db.models import Call, CallBlob
from coach.errors import TranscriptError
from coach.readers import read_bytes
from coach.scoring import score_transcript
from tests.api.support import SAMPLE, SAMPLE_SELLERS, World, upload, wait_for_status


def count_calls(client: TestClient) -> int:
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        return session.scalar(select(func.count()).select_from(Call)) or 0


def test_multipart_upload_is_stored_then_scored(client: TestClient, world: World) -> None:
    response = upload(client, world.a1, title="QBR with Northwind", occurred_at="2026-03-02T15:00:00+00:00",
                      metadata='{"crm_id": "OPP-7", "seats": 40}')
    assert response.status_code == 201, response.text
    call = response.json()
    assert response.headers["location"] == f"/v1/calls/{call['id']}"
    assert call["rep_id"] == world.a1.id and call["team_id"] == world.team_a1
    assert call["title"] == "QBR with Northwind"
    assert call["metadata"] == {"crm_id": "OPP-7", "seats": 40}
    assert call["sellers"] == SAMPLE_SELLERS
    assert call["occurred_at"] == "2026-03-02T15:00:00Z"
    assert call["size_bytes"] == len(SAMPLE)
    assert call["job"]["status"] in {"queued", "running", "done"}
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        assert session.get(CallBlob, call["id"]).raw == SAMPLE  # the upload as received

    done = wait_for_status(client, world.a1, call["id"], {"scored", "failed"})
    assert done["status"] == "scored" and done["job"]["status"] == "done" and done["error"] is None
    card = client.get(f"/v1/calls/{call['id']}/scorecard", headers=world.a1.auth).json()
    expected = score_transcript(read_bytes(SAMPLE, name="call.txt", sellers=SAMPLE_SELLERS))
    assert card["scorecard"]["items"] == [i.model_dump(mode="json") for i in expected.items]
    assert [i["id"] for i in card["items"]] == [i.id for i in expected.items]
    assert len(card["items"]) == len(expected.items) > 0
    assert all(i["verdict"] == i["machine_verdict"] and i["override"] is None for i in card["items"])
    assert card["score"] == expected.score
    roles = {s["name"]: s["role"] for s in card["scorecard"]["call"]["speakers"]}
    assert roles["Priya Shah"] == "seller" and roles["Marcus Lee"] == "customer"


def test_json_upload_with_content_and_with_canonical_transcript(client: TestClient, world: World) -> None:
    by_content = client.post(
        "/v1/calls", headers=world.a1.auth,
        json={"content": SAMPLE.decode(), "filename": "call.txt", "sellers": SAMPLE_SELLERS},
    )
    assert by_content.status_code == 201, by_content.text
    transcript = read_bytes(SAMPLE, name="call.txt", sellers=SAMPLE_SELLERS)
    by_object = client.post(
        "/v1/calls", headers=world.a1.auth, json={"transcript": transcript.model_dump(mode="json")}
    )
    assert by_object.status_code == 201, by_object.text
    assert by_object.json()["format"] == "canonical" or by_object.json()["format"] == transcript.format
    assert by_object.json()["turns"] == len(transcript.turns)
    for created in (by_content.json(), by_object.json()):
        assert wait_for_status(client, world.a1, created["id"], {"scored", "failed"})["status"] == "scored"


def test_a_canonical_transcript_body_is_adopted_with_its_sellers_not_read_again(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.db.models import CallBlob
    from coach import readers
    from coach.transcript import Transcript

    transcript = read_bytes(SAMPLE, name="call.txt")
    reads: list[str] = []
    real = readers._read_bytes
    monkeypatch.setattr(readers, "_read_bytes", lambda data, name, *rest: reads.append(name) or real(data, name, *rest))
    body = {"transcript": transcript.model_dump(mode="json"), "filename": "call.json", "sellers": ["Marcus Lee"]}
    created = client.post("/v1/calls", headers=world.a1.auth, json=body)
    assert created.status_code == 201, created.text
    assert reads == []  # validated with the request body; never written out and parsed again
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        stored = Transcript.from_json(session.get(CallBlob, created.json()["id"]).transcript_json)
    assert {s.name for s in stored.speakers if s.role.value == "seller"} == {"Marcus Lee"}  # the uploader's word


def test_a_canonical_transcript_body_past_the_bounds_is_a_422_naming_them(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_turns=10)
    world = world_factory(client)
    transcript = read_bytes(SAMPLE, name="call.txt")
    refused = client.post("/v1/calls", headers=world.a1.auth, json={"transcript": transcript.model_dump(mode="json")})
    assert refused.status_code == 422
    assert f"transcript has {len(transcript.turns)} turns, over the 10-turn limit" in refused.json()["detail"]


def test_json_upload_needs_exactly_one_source(client: TestClient, world: World) -> None:
    response = client.post("/v1/calls", headers=world.a1.auth, json={"filename": "x.txt"})
    assert response.status_code == 422
    assert "exactly one of 'content' or 'transcript'" in response.json()["detail"]


def test_manager_uploads_for_a_rep_of_the_team(client: TestClient, world: World) -> None:
    response = upload(client, world.m1, rep_id=world.a1b.id)
    assert response.status_code == 201
    assert response.json()["rep_id"] == world.a1b.id and response.json()["uploaded_by"] == world.m1.id
    assert client.get(f"/v1/calls/{response.json()['id']}", headers=world.a1b.auth).status_code == 200


def test_idempotency_key_makes_retries_safe(client: TestClient, world: World) -> None:
    key = {"Idempotency-Key": "retry-123"}
    first = upload(client, world.a1, headers=key)
    again = upload(client, world.a1, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert count_calls(client) == 1
    # The same key from another user is that user's own key.
    other = upload(client, world.a1b, headers=key)
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    # Reusing a key for a different request is refused, and nothing is stored.
    changed = upload(client, world.a1, SAMPLE + b"\nPriya Shah: one more thing.\n", headers=key)
    assert changed.status_code == 422
    assert changed.json()["type"] == "urn:coach:problem:idempotency-key-reused"
    assert count_calls(client) == 2


def test_malformed_transcript_is_422_with_the_readers_message(client: TestClient, world: World) -> None:
    bad = b"this line has no speaker\nneither does this one\n"
    try:
        read_bytes(bad, name="notes.txt")
    except TranscriptError as exc:
        expected = exc.one_line()
    else:  # pragma: no cover - the reader must refuse this input
        raise AssertionError("reader accepted a malformed transcript")
    response = upload(client, world.a1, bad, name="notes.txt")
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:coach:problem:invalid-transcript"
    assert body["detail"] == expected
    assert count_calls(client) == 0


def test_empty_file_and_missing_file_are_422(client: TestClient, world: World) -> None:
    empty = upload(client, world.a1, b"", name="empty.vtt")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    missing = client.post("/v1/calls", headers=world.a1.auth, data={"title": "no file"}, files={"other": ("x", b"y")})
    assert missing.status_code == 422
    assert missing.json()["detail"] == "multipart upload needs a 'file' field holding the transcript"


def test_bad_form_fields_are_422_naming_the_field(client: TestClient, world: World) -> None:
    for field, value in (("rep_id", "abc"), ("occurred_at", "yesterday"), ("metadata", "[1,2]")):
        response = upload(client, world.a1, **{field: value})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["loc"] == ["body", field]


def test_unsupported_content_type_is_415(client: TestClient, world: World) -> None:
    response = client.post("/v1/calls", headers={**world.a1.auth, "Content-Type": "text/plain"}, content=SAMPLE)
    assert response.status_code == 415
    assert response.headers["content-type"].startswith("application/problem+json")


def test_upload_over_the_size_limit_is_413(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_upload_bytes=4096)
    world = world_factory(client)
    lines = b"".join(b"Priya Shah: line %d of a long call about seats.\n" % i for i in range(400))
    big = lines * 200  # far over the limit, so even the streamed body is cut off
    response = upload(client, world.a1, big)
    assert response.status_code == 413
    assert response.json()["detail"] == "the request body is over the 4096-byte upload limit"
    just_over = upload(client, world.a1, lines[:5000])  # body within framing slack, file over the limit
    assert just_over.status_code == 413
    # A chunked body declares no length: the limit is enforced while it streams in.
    chunked = client.post(
        "/v1/calls",
        headers={**world.a1.auth, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=(lines for _ in range(200)),
    )
    assert chunked.status_code == 413
    assert "content-length" not in chunked.request.headers
    assert upload(client, world.a1, lines[:4000]).status_code == 201
    assert count_calls(client) == 1


def test_failing_job_keeps_its_error_and_the_upload(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    def broken_scorer(transcript):  # type: ignore[no-untyped-def]
        raise ValueError(f"scorer broke on {len(transcript.turns)} turns")

    client = make_client(scorer=broken_scorer, job_max_attempts=2)
    world = world_factory(client)
    call_id = upload(client, world.a1).json()["id"]
    failed = wait_for_status(client, world.a1, call_id, {"failed", "scored"})
    assert failed["status"] == "failed"
    assert failed["error"] == "ValueError: scorer broke on 14 turns"
    assert failed["job"] == {"id": failed["job"]["id"], "kind": "score", "status": "failed", "attempts": 2, "error": failed["error"]}
    assert client.get(f"/v1/calls/{call_id}/scorecard", headers=world.a1.auth).status_code == 404
    with client.app.state.db.reader() as session:
        assert session.get(CallBlob, call_id).raw == SAMPLE


def test_rendered_views_of_a_scored_upload(client: TestClient, world: World) -> None:
    call_id = upload(client, world.a1).json()["id"]
    assert wait_for_status(client, world.a1, call_id, {"scored", "failed"})["status"] == "scored"
    md = client.get(f"/v1/calls/{call_id}/scorecard?format=md", headers=world.m1.auth)
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Scorecard")
    assert "Manager review" not in md.text
    client.put(f"/v1/calls/{call_id}/scorecard/items/next_step/override", headers=world.m1.auth,
               json={"verdict": "fail", "comment": "No date was agreed <really>"})
    page = client.get(f"/v1/calls/{call_id}/scorecard?format=html", headers=world.a1.auth)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.lstrip().lower().startswith("<!doctype html")
    assert "No date was agreed &lt;really&gt;" in page.text  # escaped, inside the review section
    assert page.text.index("Manager review") < page.text.rindex("</body>")


def test_uploads_read_in_child_processes_keep_the_readers_message(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    """The server's default: uploads are read in child processes. A malformed file's error crosses
    the process boundary as the reader wrote it, and a good file is stored as read."""
    client = make_client(read_processes=1)
    world = world_factory(client)
    bad = b"this line has no speaker\nneither does this one\n"
    with_error = upload(client, world.a1, bad, name="notes.txt")
    assert with_error.status_code == 422
    with pytest.raises(TranscriptError) as refused:
        read_bytes(bad, name="notes.txt")
    assert with_error.json()["detail"] == refused.value.one_line()
    good = upload(client, world.a1)
    assert good.status_code == 201, good.text
    assert good.json()["turns"] == len(read_bytes(SAMPLE, name="call.txt", sellers=SAMPLE_SELLERS).turns)
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        stored = session.get(CallBlob, good.json()["id"]).transcript_json
    assert stored == read_bytes(SAMPLE, name="call.txt", sellers=SAMPLE_SELLERS).to_json(indent=None)
    assert wait_for_status(client, world.a1, good.json()["id"], {"scored", "failed"})["status"] == "scored"


def test_the_upload_title_names_the_parties_on_the_scorecard(client: TestClient, world: World) -> None:
    call_text = (b"Trevor Lang: Hi Nadia, Trevor from Signalroom. Thanks for the time.\n"
                 b"Nadia Sorensen: Hi Trevor, sure.\n"
                 b"Trevor Lang: I wanted to tell you about our new product, Signalroom Ads.\n")
    created = upload(client, world.a1, call_text, title="Halden Freight <> Signalroom", sellers="Trevor Lang")
    assert created.status_code == 201, created.text
    call_id = created.json()["id"]
    wait_for_status(client, world.a1, call_id, {"scored"})
    parties = client.get(f"/v1/calls/{call_id}/scorecard", headers=world.a1.auth).json()["scorecard"]["parties"]
    assert parties["customer_person"]["value"] == "Nadia Sorensen"
    assert (parties["customer_company"]["value"], parties["customer_company"]["source"]) == ("Halden Freight", "title")
    assert parties["seller_company"]["value"] == "Signalroom" and parties["seller_company"]["evidence"]["turn"] == 0
    assert [p["value"] for p in parties["products"]] == ["Signalroom Ads"]


NEW_LOGO = b"""Priya Shah: Thanks for calling in. What made you reach out?
Marcus Lee: We've been looking into test automation tools. How much does it cost?
Priya Shah: How does your team run regression tests today?
Marcus Lee: By hand, it takes 3 days every release.
Priya Shah: Could we do Thursday at 10am with your VP?
Marcus Lee: Thursday works.
"""


def test_an_uploaded_new_logo_call_is_scored_with_the_first_call_rubric(client: TestClient, world: World) -> None:
    from coach.rubric.choice import bundled_rubric
    from coach.scoring import score_call, score_items

    response = upload(client, world.a1, NEW_LOGO, name="prospect.txt")
    assert response.status_code == 201, response.text
    call = response.json()["id"]
    assert wait_for_status(client, world.a1, call, {"scored", "failed"})["status"] == "scored"
    public = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    expected = score_call(read_bytes(NEW_LOGO, name="prospect.txt", sellers=SAMPLE_SELLERS))
    rubric = bundled_rubric("first_call_discovery")
    assert public["rubric"] == {"id": rubric.id, "version": rubric.version, "reason": expected.rubric.reason}
    assert public["scorecard"]["call_type"] == "new_logo" and "new_logo" in public["rubric"]["reason"]
    assert [i["id"] for i in public["items"]] == [i.id for i in rubric.items]
    html = client.get(f"/v1/calls/{call}/scorecard?format=html", headers=world.a1.auth).text
    assert f"first_call_discovery v{rubric.version}: the rubric for new_logo calls" in html
    md = client.get(f"/v1/calls/{call}/scorecard?format=md", headers=world.a1.auth).text
    assert "Rubric chosen:" in md and rubric.item("reason_for_calling").title in md  # the first-call rubric's titles
    # a manager's override re-scores with this rubric's weights, not the expansion rubric's
    flipped = next(i for i in expected.items if i.verdict.value == "pass")
    url = f"/v1/calls/{call}/scorecard/items/{flipped.id}/override"
    reviewed = client.put(url, headers=world.m1.auth, json={"verdict": "fail", "comment": "Not really"})
    assert reviewed.status_code == 200, reviewed.text
    items = [i.model_copy(update={"verdict": i.verdict.__class__("fail")}) if i.id == flipped.id else i for i in expected.items]
    assert reviewed.json()["score"] == score_items(rubric, items) < expected.score
