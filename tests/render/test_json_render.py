import json

import pytest

from coach.errors import CoachError
from coach.render.json import parse_json, render_json

CONTRACT_TOP = ["schema_version", "call", "rubric", "motion", "trigger", "items", "metrics", "score"]
CONTRACT_ITEM = ["id", "verdict", "source", "confidence", "evidence", "advice", "details"]
CONTRACT_EVIDENCE = ["turn", "speaker", "start_s", "quote", "note"]


def test_json_has_the_contract_shape_in_order(card):
    doc = json.loads(render_json(card))
    assert list(doc)[: len(CONTRACT_TOP)] == CONTRACT_TOP
    assert doc["schema_version"] == 1
    assert set(doc["call"]) >= {"id", "source", "format", "duration_s", "speakers"}
    assert set(doc["call"]["speakers"][0]) >= {"id", "name", "role", "role_confidence"}
    assert doc["rubric"] == {"id": "expansion_call", "version": "1.0.0"}
    assert doc["motion"] == "cross_sell" and doc["trigger"] == "usage_threshold"
    for item in doc["items"]:
        assert list(item)[: len(CONTRACT_ITEM)] == CONTRACT_ITEM
        assert item["verdict"] in {"pass", "fail", "not_applicable"}
        for evidence in item["evidence"]:
            assert list(evidence) == CONTRACT_EVIDENCE
    assert 0 <= doc["score"] <= 100


def test_discovery_details_and_verbatim_evidence_survive(card, call):
    doc = json.loads(render_json(card))
    discovery = next(i for i in doc["items"] if i["id"] == "discovery_questions")
    assert discovery["details"] == {"asked": [1], "in_order": None}
    for item in doc["items"]:
        for evidence in item["evidence"]:
            assert evidence["quote"] in call.turns[evidence["turn"]].text


def test_json_round_trips(card):
    again = parse_json(render_json(card))
    assert again == card
    assert render_json(again) == render_json(card)


def test_a_broken_scorecard_is_one_line_naming_the_field(card):
    doc = json.loads(render_json(card))
    doc["items"][0]["verdict"] = "maybe"
    with pytest.raises(CoachError) as caught:
        parse_json(json.dumps(doc), source="card.json")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("card.json: ")
    assert "items.0.verdict" in message
