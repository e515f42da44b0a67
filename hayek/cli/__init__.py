"""The `hayek` command line: the chain and demo commands of this package, plus the node
command groups each node package registers under the `hayek.commands` entry point (as ape
loads its plugins' commands). Every HayekError becomes a one-line message and the exit code
of its family (see `protocol.errors.EXIT_CODES`)."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

from protocol.errors import HayekError

ENTRY_POINT_GROUP = "hayek.commands"


class HayekGroup(click.Group):
    """Maps every HayekError to a clear one-line message and its family's exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HayekError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            sys.exit(e.exit_code)


@click.group(cls=HayekGroup)
@click.version_option(package_name="hayek")
def main() -> None:
    """Hayek: prediction markets that train machine-learning models.

    Start a devnet, deploy the contracts, and play rounds of the game."""


def _register() -> None:
    from hayek.cli import chain_cmds, demo_cmds

    for command in (chain_cmds.devnet, chain_cmds.deploy, chain_cmds.status, chain_cmds.round_, demo_cmds.demo):
        main.add_command(command)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        main.add_command(ep.load(), ep.name)


_register()
