"""``flask --app wsgi issue-scim-token``: a token for the directory, on stdout alone,
so that a provisioning script can take it straight into the identity provider."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import write_intent
from ..extensions import db
from . import tokens


@click.command("issue-scim-token")
@with_appcontext
@click.option("--name", default="issued on the command line", help="Which directory it is for.")
def issue_scim_token_command(name: str) -> None:
    """Print a new SCIM bearer token on stdout, nothing else."""
    with write_intent():
        _token, secret = tokens.issue(name, actor=None)
        db.session.commit()
    click.echo(secret)
