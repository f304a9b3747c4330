"""A practice scenario built from a real call's misses.

    scenario = from_scorecard(card)

The base is the bundled scenario closest to the call (its trigger, an
escalation or a "send me information" it fumbled, its motion). The rep brief
then names what the call missed, with the call's own words as evidence: the
signal it skipped, the discovery questions it never asked, the asks it
repeated, the brush-off it let stand. Where the real customer's soft answer or
brush-off was fumbled, the practice customer says it in those same words.
"""

from __future__ import annotations

import re

from coach.errors import RubricError
from coach.roleplay.scenario import Scenario, load_scenarios, parse_scenario, party_wording
from coach.scorecard import Evidence, Motion, PartyFact, Scorecard, Trigger, Verdict
from coach.transcript import Role

QUESTIONS = {
    1: "how the team handles the workflow today (owner, tools, cycle time)",
    2: "where it hurts and what it cost",
    3: "the one fix for the next two quarters and who feels it first",
}
BASE_BY_TRIGGER = {
    Trigger.usage_threshold: "usage_threshold_upsell",
    Trigger.exec_sponsor_change: "exec_sponsor_change",
    Trigger.renewal_window: "renewal_window",
}


def _failed(card: Scorecard, item_id: str) -> bool:
    try:
        return card.item(item_id).verdict is Verdict.fail
    except KeyError:
        return False


def _quote(evidence: Evidence) -> str:
    return f'turn {evidence.turn}, {evidence.speaker}: "{evidence.quote}"'


def base_for(card: Scorecard) -> str:
    if _failed(card, "escalation_guard"):
        return "escalation_back_off"
    if _failed(card, "soft_no_reopen"):
        return "send_me_information"
    if card.trigger in BASE_BY_TRIGGER:
        return BASE_BY_TRIGGER[card.trigger]
    if card.motion is Motion.cross_sell:
        return "cross_sell_adjacent_pain"
    return "usage_threshold_upsell"


def misses(card: Scorecard) -> list[str]:
    """One practice note per failed item, with the call's evidence."""
    notes: list[str] = []
    for item in card.items:
        if item.verdict is not Verdict.fail:
            continue
        first = item.evidence[0] if item.evidence else None
        if item.id == "signal_first_opening":
            trigger = card.trigger.value.replace("_", " ")
            signal = f" The call had a {trigger} trigger to open on." if card.trigger is not Trigger.none else ""
            notes.append(f"Your call opened on the product, not the signal{f' ({_quote(first)})' if first else ''}.{signal} Open on the signal.")
        elif item.id == "discovery_questions":
            asked = set(item.details.get("asked", []))
            missing = [n for n in (1, 2, 3) if n not in asked]
            if missing:
                listed = "; ".join(f"Q{n}: {QUESTIONS[n]}" for n in missing)
                notes.append(f"Your call never asked {listed}. Ask all three, in order.")
            else:
                notes.append("Your call asked the three questions out of order or after a demo. Ask them first, in order.")
        elif item.id == "ask_once":
            asks = [e for e in item.evidence if e.note in ("first commercial ask", "asked again")]
            said = " then ".join(_quote(e) for e in asks[:2])
            notes.append(f"Your call asked twice after a soft answer ({said}). This customer will answer softly: ask once.")
        elif item.id == "soft_no_reopen":
            notes.append(f"Your call let \"send me information\" stand{f' ({_quote(first)})' if first else ''}. Re-open discovery.")
        elif item.id == "never_say" and first:
            notes.append(f"Your call used a never-say phrase ({_quote(first)}).")
        elif item.id == "no_demo_before_discovery" and first:
            notes.append(f"Your call demoed before the three questions ({_quote(first)}).")
        elif item.id == "escalation_guard":
            notes.append("Your call pushed the cross-sell during an escalation or a live renewal. Back off this time.")
        elif item.id == "exec_sponsor":
            notes.append("Your call never mapped the executive sponsor. Ask who signs.")
        elif item.id == "next_step":
            notes.append("Your call ended without a dated next step. Leave with a day, a time and the attendees.")
    return notes


def from_scorecard(card: Scorecard, scenarios: dict[str, Scenario] | None = None) -> Scenario:
    scenarios = scenarios if scenarios is not None else load_scenarios()
    base_id = base_for(card)
    if base_id not in scenarios:
        raise RubricError(f"the practice base scenario {base_id!r} is missing", source="scenarios")
    base = scenarios[base_id]
    data = base.model_dump(mode="json")
    # The call's people first, on the stock text only: what follows quotes the call verbatim.
    _keep_the_calls_people(card, base, data)
    focus = misses(card)
    call = card.call.source or card.call.id or "your call"
    data["id"] = f"practice_{base.id}"
    data["title"] = f"Practice from {call}: {data['title']}"
    data["focus"] = focus
    if focus:
        data["rep_brief"] += "\n\nWhat to practise, from " + call + ":\n" + "\n".join(f"- {n}" for n in focus)
    # The objection the call fumbled comes back in the real customer's own words (first among the variants).
    for item_id, note, line_key in (("ask_once", "soft answer", "soft_no"), ("soft_no_reopen", "soft no: send me information", "info_request")):
        if _failed(card, item_id):
            words = [e.quote for e in card.item(item_id).evidence if e.note == note]
            if words:
                data["lines"][line_key] = [words[0], f"As I said: {words[0]}"]
    _signal_in_the_calls_words(card, data)
    if _failed(card, "soft_no_reopen"):
        data["info_request_on_meeting_ask"] = True
    return parse_scenario(data, source=f"practice scenario from {call}")


# Where each piece of a scenario is read: by the rep (neutral words for "them") or by the customer ("us").
_REP_FIELDS = ("title", "rep_brief", "good_outcome")
_CUSTOMER_FIELDS = ("situation", "workflow")


def _swap(text: str, spellings: list[str], value: str) -> str:
    """Every whole-word spelling (longest first) replaced by `value`, capitalised where a sentence starts."""
    for spelling in sorted(spellings, key=len, reverse=True):
        first = re.escape(spelling[:1])
        pattern = re.compile(rf"(?<![\w'])(?i:{first}){re.escape(spelling[1:])}(?!\w)")

        def put(match: re.Match[str], text: str = text) -> str:
            if match.group(0) == text:
                return value  # a bare name field ("company"), not a sentence
            before = text[: match.start()].rstrip()
            starts = not before or before[-1] in ".?!:\n\"" or match.group(0)[:1].isupper() and spelling[:1].islower()
            return value[:1].upper() + value[1:] if starts else value

        text = pattern.sub(put, text)
    return text


def _product_phrase(fact: PartyFact) -> str:
    """A named product as named ("Signalroom Ads"); a description with its article ("the webinar module")."""
    return fact.value if fact.value.split()[-1][:1].isupper() else f"the {fact.value}"


def _party_values(card: Scorecard) -> dict[str, tuple[str | None, str | None]]:
    """Per stock party: what the rep's text and the customer's text say instead (None: keep the scenario's words)."""
    parties = card.parties
    neutral = party_wording().neutral
    real = {
        "customer_company": parties.customer_company.value if parties.customer_company else None,
        "product": _product_phrase(parties.products[0]) if parties.products else None,
        "seller_company": parties.seller_company.value if parties.seller_company else None,
    }
    values: dict[str, tuple[str | None, str | None]] = {}
    for party, value in real.items():
        if value is not None:
            values[party] = (value, value)
        elif party in neutral:
            values[party] = (neutral[party].rep, neutral[party].customer)  # type: ignore[index]
        else:
            values[party] = (None, None)
    return values


def _rewrite(data: dict, change) -> None:  # type: ignore[no-untyped-def]
    """Apply `change(text, reader)` to every piece of prose in the scenario data; reader is "rep" or "customer"."""
    for key in _REP_FIELDS:
        data[key] = change(data[key], "rep")
    for key in _CUSTOMER_FIELDS:
        data[key] = change(data[key], "customer")
    persona = data["persona"]
    persona["company"] = change(persona["company"], "customer")
    persona["temperament"] = change(persona["temperament"], "customer")
    for fact in data["facts"]:
        fact["says"] = change(fact["says"], "customer")
    for objection in data["objections"]:
        objection["says"] = [change(line, "customer") for line in objection["says"]]
    data["lines"] = {key: [change(line, "customer") for line in lines] for key, lines in data["lines"].items()}


def _customer_name(card: Scorecard) -> str | None:
    if card.parties.customer_person is not None:
        return card.parties.customer_person.value
    # Scorecards saved before parties were read: the first customer-side speaker.
    return next((sp.name for sp in card.call.speakers if sp.role is Role.customer), None)


def _keep_the_calls_people(card: Scorecard, base: Scenario, data: dict) -> None:
    """The real customer's name, their company, the seller's company and product as the call names
    them (`card.parties`), the trigger it rested on and its signal in the call's own words replace the
    stock ones, so the rep practises the conversation they actually had. A party the call never named
    gives way to neutral wording, never to the stock name."""
    customer = _customer_name(card)
    if customer:
        stock = base.persona.name
        data["persona"]["name"] = customer
        _rewrite(data, lambda text, _reader: _swap(_swap(text, [stock], customer), [stock.split()[0]], customer.split()[0]))
    values = _party_values(card)
    for party, spellings in base.names.model_dump().items():
        rep_value, customer_value = values[party]
        if spellings and rep_value is not None and customer_value is not None:
            _rewrite(data, lambda text, reader, s=spellings, r=rep_value, c=customer_value: _swap(text, s, r if reader == "rep" else c))
    data["names"] = {}  # swapped: the practice scenario's text names the call's parties, not stock ones
    if card.trigger is not Trigger.none:
        data["trigger"] = card.trigger.value


def _signal_in_the_calls_words(card: Scorecard, data: dict) -> None:
    sellers = {sp.name for sp in card.call.speakers if sp.role is Role.seller}
    # Without a trigger sentence: the seller's earliest line any item cites, the nearest to how the call opened.
    earliest = sorted((e for item in card.items for e in item.evidence if e.speaker in sellers), key=lambda e: e.turn)
    seller_words = [e.quote for e in card.trigger_evidence] or [e.quote for e in earliest[:1]]
    if seller_words:
        what = "The signal in your call" if card.trigger_evidence else "How your call opened"
        data["rep_brief"] += f'\n\n{what}: "{seller_words[0]}"'
