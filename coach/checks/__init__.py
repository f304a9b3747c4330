"""General check types: data shapes any number of rubric items can use.

Unlike the bespoke detectors in `coach.detectors` (one per bundled item), a
general check reads its matches through its OWN item's lexicon keys
(`<item id>.<group>`), so two items of one type never read each other's
patterns. `ITEM_CHECKS` maps a check type to a function of (context, item).
"""

from coach.checks.phrase import ITEM_CHECKS

__all__ = ["ITEM_CHECKS"]
