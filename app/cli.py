"""Flask commands: `flask --app wsgi seed-demo` and friends."""

from __future__ import annotations

import click
from flask import Flask

from app.services import demo


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if there is data.")
    def seed_demo_command(if_empty: bool) -> None:
        """Fill an empty database with a demo team and print the logins."""
        if not demo.database_is_empty():
            if if_empty:
                click.echo("The database already has data: demo not seeded.")
                return
            raise click.ClickException(
                "The database is not empty: seed-demo only fills an empty one."
            )
        logins = demo.seed_demo()
        click.echo("Demo data ready. Log in at /login with any of these:")
        for login in logins:
            click.echo(f"  {login.role:<34} {login.email}")
        click.echo(f"  Password for every demo account: {demo.DEMO_PASSWORD}")
