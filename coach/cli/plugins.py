"""Sub-commands other packages add to `coach` (the API's `serve` and `admin`).

A package registers a function returning `{name: click.Command}` under the `coach.cli`
entry point group; the root group mounts them when it is built, not when `coach` is
imported, so the core package never imports the web app. An install whose metadata
predates the group still gets the bundled API commands, and a core-only install without
the API's dependencies simply lacks them.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

import click
from typer.core import TyperGroup

GROUP = "coach.cli"
# The API ships in the same distribution; named here as data for installs made before
# pyproject declared the entry point.
BUNDLED = (EntryPoint(name="api", value="api.cli:commands", group=GROUP),)


def _sources() -> tuple[EntryPoint, ...]:
    return tuple(entry_points(group=GROUP)) or BUNDLED


def plugin_commands() -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for point in _sources():
        try:
            load: Callable[[], dict[str, click.Command]] = point.load()
        except ModuleNotFoundError:
            continue  # the package's own dependencies (fastapi, sqlalchemy) are not installed
        found.update(load())
    return found


class MountingGroup(TyperGroup):
    """The root group: typer's group plus the commands of installed plugins."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name, command in plugin_commands().items():
            self.add_command(command, name)
