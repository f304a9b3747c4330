"""Slots in a rubric's advice: `{customer}`, `{trigger}`, `{workflow}`, filled with the call's own facts.

Rubric advice is written once for every call. A slot lets it point at this
call instead: "Open with what you observed, in their words: {trigger}" shows the
signal the call itself contained. Each slot is filled from evidence the
scorecard carries (never from a model's text), and when the call has no such
fact, from the rubric's fallback wording for that slot (`advice_slots:` in the
rubric file), so no output ever shows a raw slot. The rubric is validated on
load: a slot that is not one of `SLOTS`, a slot without fallback wording, or a
stray brace is an error naming the item and the advice field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from coach.scorecard import Evidence, Scorecard, SpeakerInfo
from coach.transcript import Role

SLOT = re.compile(r"\{([^{}]*)\}")

# Slot name -> where its value comes from (shown in errors and documented in rubrics/README.md).
SLOTS: dict[str, str] = {
    "customer": "the customer's first name, from the speakers of the customer side",
    "trigger": "the signal the call rests on, quoted from the call (the scorecard's trigger evidence)",
    "workflow": "what the customer said about how the work is done today, quoted (the scorecard's workflow evidence)",
}

# Speaker labels that are a role or a diarisation number, not a name a rep would say.
_NOT_A_NAME = re.compile(
    r"^(the )?(speaker|spk|customer|client|prospect|buyer|participant|guest|unknown|caller|attendee|user|"
    r"other|them|remote)\b|\d",
    re.IGNORECASE,
)
_END_PUNCTUATION = ".,;:!? "


def slots_in(text: str) -> list[str]:
    return SLOT.findall(text)


def slot_problem(text: str) -> str | None:
    """Why `text` is not valid advice notation, or None."""
    unknown = [name for name in slots_in(text) if name not in SLOTS]
    if unknown:
        return f"unknown slot {{{unknown[0]}}} (known slots: {', '.join('{' + s + '}' for s in SLOTS)})"
    rest = SLOT.sub("", text)
    if "{" in rest or "}" in rest:
        return "a brace outside a slot: slots are written {name}, and advice has no other braces"
    return None


def customer_name(speakers: Sequence[SpeakerInfo]) -> str:
    """The first customer-side speaker's first name ("Marcus" for "Marcus Lee"); "" when none has a real name."""
    for speaker in speakers:
        name = " ".join(speaker.name.split())
        if speaker.role is not Role.customer or not name or _NOT_A_NAME.search(name):
            continue
        first = name.split()[0]
        # "Dr. Okafor" reads wrong as "Dr.": keep the whole name when the first word is a title.
        return name if first.endswith(".") else first
    return ""


def quoted(evidence: Sequence[Evidence]) -> str:
    """The first evidence's quote in double quotes, its closing punctuation left to the advice's sentence."""
    if not evidence:
        return ""
    quote = evidence[0].quote.strip().rstrip(_END_PUNCTUATION).strip()
    return f'"{quote}"' if quote else ""


def slot_values(card: Scorecard) -> dict[str, str]:
    """This call's value for each slot it has evidence for."""
    values = {
        "customer": customer_name(card.call.speakers),
        "trigger": quoted(card.trigger_evidence),
        "workflow": quoted(card.workflow_evidence),
    }
    return {name: value for name, value in values.items() if value}


def fill(text: str, values: Mapping[str, str], fallbacks: Mapping[str, str]) -> str:
    """`text` with each slot replaced by the call's value, else the rubric's fallback wording."""
    if "{" not in text:
        return text
    return SLOT.sub(lambda m: values.get(m[1]) or fallbacks.get(m[1]) or m[1].replace("_", " "), text)


def generic(text: str, fallbacks: Mapping[str, str]) -> str:
    """`text` as it reads for no call in particular: every slot in its fallback wording."""
    return fill(text, {}, fallbacks)


def fill_card(card: Scorecard, fallbacks: Mapping[str, str]) -> Scorecard:
    """The scorecard with every item's advice filled with this call's facts."""
    values = slot_values(card)
    items = [
        item.model_copy(update={"advice": fill(item.advice, values, fallbacks)}) if "{" in item.advice else item
        for item in card.items
    ]
    return card.model_copy(update={"items": items})
