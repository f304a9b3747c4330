"""General check types: data shapes any number of rubric items can use, one module each.

Unlike the bespoke detectors in `coach.detectors` (one per bundled item), a
general check reads its matches through its OWN item's lexicon keys
(`<item id>.<group>`), so two items of one type never read each other's
patterns. `coach.checks.registry.ITEM_CHECKS` maps a check type to a function
of (context, item); `coach.rubric.shapes` holds the data shapes. The call
context (`context`) and the result type (`result`) live here too, so the general
checks and the bespoke detectors above them share them without a cycle.
"""
