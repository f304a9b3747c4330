"""The API's sub-commands of `coach` (`serve`, `worker`, `admin ...`).

They live with the API because they import it; the core CLI mounts them through the
`coach.cli` entry point group (see `coach.cli.plugins`) when it builds its command tree,
so importing `coach` never imports `api`.
"""

from __future__ import annotations

import click
import typer.main

from api.cli.admin_cmd import admin
from api.cli.serve_cmd import serve
from api.cli.worker_cmd import worker


def commands() -> dict[str, click.Command]:
    """The click commands to add to `coach`'s root group, by name."""
    found = dict(typer.main.get_group(serve).commands)
    found.update(typer.main.get_group(worker).commands)
    group = typer.main.get_command(admin)
    group.name = "admin"  # a typer app built on its own has no name; help lists commands by it
    found["admin"] = group
    return found
