"""The `hayek` command line: one module per command group; errors become one-line messages."""

from __future__ import annotations

import sys

import click

from protocol.errors import HayekError


class HayekGroup(click.Group):
    """Maps every HayekError to a clear one-line message and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except HayekError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=HayekGroup)
@click.version_option(package_name="hayek")
def main() -> None:
    """Hayek: prediction markets that train machine-learning models.

    Start a devnet, deploy the contracts, and play rounds of the game."""


def _register() -> None:
    from community_node import cli as member_cmds
    from operator_node import cli as operator_cmds
    from protocol.cli import chain_cmds, demo_cmds

    main.add_command(chain_cmds.devnet)
    main.add_command(chain_cmds.deploy)
    main.add_command(chain_cmds.status)
    main.add_command(chain_cmds.round_)
    main.add_command(demo_cmds.demo)
    main.add_command(member_cmds.member)
    main.add_command(member_cmds.store)
    main.add_command(operator_cmds.operator)
    main.add_command(operator_cmds.srs)
    main.add_command(operator_cmds.infer)


_register()
