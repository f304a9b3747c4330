"""General check types: data shapes any number of rubric items can use.

Unlike the bespoke detectors in `coach.detectors` (one per bundled item), a
general check reads its matches through its OWN item's lexicon keys
(`<item id>.<group>`), so two items of one type never read each other's
patterns. `coach.checks.registry.ITEM_CHECKS` maps a check type to a function
of (context, item); `coach.checks.shapes` holds the data shapes.
"""
