"""Who is on the call (`Scorecard.parties`): the customer, both companies and the seller's products,
each read from the call file itself with where it came from, or absent. Never a made-up name."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from coach.errors import RubricError
from coach.parties import find_parties, load_party_cues
from coach.readers import read_bytes, read_path
from coach.scorecard import PartySource
from coach.scoring import score_transcript
from coach.transcript import Role, Transcript
from tests.scoring.conftest import snippet

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "fixtures" / "formats"
LABELLED = ROOT / "fixtures" / "labelled"


def _gong(doc: dict, name: str = "call.json") -> Transcript:
    return read_bytes(json.dumps(doc).encode(), name=name)


def test_a_gong_party_s_crm_account_and_the_call_title_are_read() -> None:
    doc = json.loads((FORMATS / "gong_ms.json").read_text())
    doc["calls"] = [{"metaData": {"title": "Northwind Foods <> Ledgerly | QBR"}}]
    marcus = next(p for p in doc["parties"] if p["name"] == "Marcus Lee")
    marcus["context"] = [{"system": "Salesforce", "objects": [
        {"objectType": "Contact", "fields": [{"name": "Name", "value": "Marcus Lee"}]},
        {"objectType": "Account", "fields": [{"name": "Industry", "value": "Food"}, {"name": "Name", "value": "Northwind Foods"}]},
    ]}]  # fmt: skip
    transcript = _gong(doc)
    assert transcript.title == "Northwind Foods <> Ledgerly | QBR"
    assert transcript.speaker_map["7100000023757071271"].company == "Northwind Foods"
    parties = find_parties(transcript)
    assert parties.customer_company is not None
    assert (parties.customer_company.value, parties.customer_company.source) == ("Northwind Foods", PartySource.metadata)
    assert "Marcus Lee" in parties.customer_company.detail
    assert parties.seller_company is not None and parties.seller_company.value == "Ledgerly"
    assert parties.customer_person is not None and parties.customer_person.value == "Marcus Lee"


def test_an_odd_crm_context_never_costs_a_party_its_name() -> None:
    doc = json.loads((FORMATS / "gong_ms.json").read_text())
    for party in doc["parties"]:
        party["context"] = ["not an object", {"objects": "nor a list"}]
    transcript = _gong(doc)
    assert {s.name for s in transcript.speakers} == {"Priya Shah", "Dan Ortiz", "Marcus Lee", "Dana Whitfield"}
    assert all(s.company is None for s in transcript.speakers)


def test_e_mail_domains_name_the_companies_as_the_call_spells_them() -> None:
    parties = find_parties(read_path(LABELLED / "24_gong_signalroom_feature_list_reask.json"))
    customer, seller = parties.customer_company, parties.seller_company
    assert customer is not None and seller is not None
    # ashgrove-analytics.com is never said in the call: the domain's own words
    assert (customer.value, customer.source, customer.evidence) == ("Ashgrove Analytics", PartySource.email, None)
    assert "ashgrove-analytics.com" in customer.detail
    # signalroom.io is: the call's spelling, with the turn that says it
    assert (seller.value, seller.source) == ("Signalroom", PartySource.email)
    assert seller.evidence is not None and "Signalroom" in seller.evidence.quote
    assert [p.value for p in parties.products] == ["webinar module"]
    assert parties.products[0].evidence is not None and parties.products[0].evidence.speaker == "Kelsey Morrow"


def test_a_run_together_domain_with_no_spelling_in_the_call_stays_absent() -> None:
    # maplecreditunion.org and corvidsecurity.com: no way to know where the words break
    parties = find_parties(read_path(LABELLED / "12_gong_corvid_escalation_deferred.json"))
    assert parties.customer_company is None and parties.seller_company is None
    assert parties.customer_person is not None and parties.customer_person.value == "Tamsin Hale"


def test_self_introductions_and_named_products_with_their_turns() -> None:
    transcript = read_path(LABELLED / "08_teams_signalroom_new_product_send_deck.vtt")
    parties = find_parties(transcript)
    assert parties.customer_person is not None and parties.customer_person.value == "Nadia Sorensen"
    assert parties.customer_company is None  # the call never names Nadia's company
    seller = parties.seller_company
    assert seller is not None and (seller.value, seller.source) == ("Signalroom", PartySource.introduction)
    assert seller.evidence is not None and (seller.evidence.turn, seller.evidence.quote) == (0, "Hi Nadia, Trevor from Signalroom.")
    assert [p.value for p in parties.products] == ["Signalroom Ads"]
    assert parties.products[0].evidence is not None
    assert parties.products[0].evidence.quote == "So I wanted to tell you about our new product, Signalroom Ads."


def test_someone_else_from_a_company_is_no_introduction() -> None:
    transcript = snippet("""
AE: Hi Lena, thanks for joining. Kurt from Finance Ops is on too.
Lena: Hi. I'm calling from the airport, so bear with me.
AE: No problem. I'll check with Dana at Brightline later.
""", sellers=["AE"])
    parties = find_parties(transcript)
    assert parties.seller_company is None and parties.customer_company is None


def test_the_title_places_both_companies_once_one_side_is_known() -> None:
    call = """
Trevor Lang: Hi Nadia, Trevor here from Signalroom. Thanks for the time.
Nadia Sorensen: Hi Trevor. Sure.
Trevor Lang: Here at Signalroom we've been working on our reporting add-on.
"""
    transcript = read_bytes(call.strip().encode(), name="call.txt", sellers=["Trevor Lang"])
    transcript.title = "Acme Freight <> Signalroom - weekly sync"
    parties = find_parties(transcript)
    assert parties.customer_company is not None
    assert (parties.customer_company.value, parties.customer_company.source) == ("Acme Freight", PartySource.title)
    assert "Acme Freight <> Signalroom" in parties.customer_company.detail
    assert parties.seller_company is not None and parties.seller_company.source is PartySource.introduction
    assert [p.value for p in parties.products] == ["reporting add-on"]
    # without anything placing either side, a title says nothing about who is who
    transcript.turns = transcript.turns[1:2]
    assert find_parties(transcript).customer_company is None


def test_a_customer_side_introduction_names_the_customer_s_company() -> None:
    transcript = snippet("""
AE: Thanks for making time today.
Ines Duarte: Of course. Here at Halden Logistics we plan routes by hand, so I'm curious.
""", sellers=["AE"])
    parties = find_parties(transcript)
    assert parties.customer_company is not None and parties.customer_company.value == "Halden Logistics"
    assert parties.customer_company.evidence is not None and parties.customer_company.evidence.speaker == "Ines Duarte"


def test_personal_mail_one_company_on_both_sides_and_placeholder_speakers() -> None:
    doc = json.loads((FORMATS / "gong_ms.json").read_text())
    for party in doc["parties"]:
        if party.get("affiliation") == "External":
            party["emailAddress"] = party["emailAddress"].split("@")[0] + "@gmail.com"
    parties = find_parties(_gong(doc))
    assert parties.customer_company is None and parties.seller_company is not None

    same = copy.deepcopy(doc)
    for party in same["parties"]:
        party["emailAddress"] = party["emailAddress"].split("@")[0] + "@ledgerly.io"
    parties = find_parties(_gong(same))
    assert parties.customer_company is None  # both sides at one company: neither is the customer's

    placeholder = snippet("AE: Hi, thanks for joining.\nSpeaker 2: Hello, happy to.\nAE: How is the rollout going?", sellers=["AE"])
    placeholder.speaker_map["speaker_2"].role = Role.customer
    assert find_parties(placeholder).customer_person is None


def _call_text(transcript: Transcript) -> str:
    return "\n".join([t.text for t in transcript.turns] + [transcript.title or ""])


@pytest.mark.parametrize("path", sorted([*LABELLED.glob("*.json"), *LABELLED.glob("*.vtt"), *LABELLED.glob("*.srt"),
                                          *LABELLED.glob("*.txt"), *FORMATS.glob("gong_*.json")]), ids=lambda p: p.name)  # fmt: skip
def test_every_value_is_in_the_call_file(path: Path) -> None:
    """The property the practice scenarios rely on: a name is the call's, or it is absent."""
    transcript = read_path(path)
    parties = score_transcript(transcript).parties
    text = _call_text(transcript)
    facts = [f for f in (parties.customer_person, parties.customer_company, parties.seller_company) if f] + parties.products
    for fact in facts:
        if fact.evidence is not None:
            turn = next(t for t in transcript.turns if t.index == fact.evidence.turn)
            assert fact.evidence.quote in turn.text and fact.value.lower() in fact.evidence.quote.lower(), fact
        if fact.source is PartySource.speakers:
            assert fact.value in {s.name for s in transcript.speakers if s.role is Role.customer}
        elif fact.source is PartySource.metadata:
            assert fact.value in {s.company for s in transcript.speakers}
        elif fact.source is PartySource.email:
            domains = {s.email.rsplit("@", 1)[1] for s in transcript.speakers if s.email}
            assert any(re.sub(r"[^a-z0-9]", "", fact.value.lower()) in re.sub(r"[^a-z0-9]", "", d) for d in domains), fact
        else:
            assert fact.value in text, fact


def test_a_broken_cue_file_names_the_field(tmp_path: Path) -> None:
    data = (ROOT / "rubrics" / "parties.yaml").read_text()
    broken = tmp_path / "parties.yaml"
    broken.write_text(data.replace("(?P<company>{name})\"\n    reason: introduces", "({name})\"\n    reason: introduces"))
    with pytest.raises(RubricError, match=r"introductions\[0\]\.pattern: has no \(\?P<company>"):
        load_party_cues(broken)
    broken.write_text(data.replace("longest_domain_word: 10", "longest_domain_word: 1"))
    with pytest.raises(RubricError, match="longest_domain_word"):
        load_party_cues(broken)


def test_the_scorecard_json_carries_the_parties() -> None:
    card = score_transcript(read_path(LABELLED / "08_teams_signalroom_new_product_send_deck.vtt"))
    doc = json.loads(card.model_dump_json())
    assert doc["parties"]["seller_company"]["value"] == "Signalroom"
    assert doc["parties"]["customer_company"] is None
