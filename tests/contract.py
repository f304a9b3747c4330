"""The rubric item ids fixed by ../shared/RUBRIC.md, in its order.

Written out here, not read from the bundled rubric, so that tests check the
product against the contract rather than against itself.
"""

CORE_ITEMS = ("signal_first_opening", "discovery_questions", "ask_once", "never_say")
EXTENDED_ITEMS = (
    "diagnostic_framing",
    "neutrality_statement",
    "customer_timeline",
    "no_demo_before_discovery",
    "soft_no_reopen",
    "escalation_guard",
    "next_step",
    "exec_sponsor",
)
ALL_ITEMS = frozenset(CORE_ITEMS + EXTENDED_ITEMS)
