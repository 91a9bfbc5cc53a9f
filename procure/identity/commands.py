"""``flask --app wsgi sync-directory [--dry-run]``: accounts from the LDAP directory."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import write_intent
from ..extensions import db
from . import ldap, sync


@click.command("sync-directory")
@click.option("--dry-run", is_flag=True, help="Print what would change, and change nothing.")
@with_appcontext
def sync_directory_command(dry_run: bool) -> None:
    """Create, update and deactivate accounts from the LDAP directory.

    Prints one line per change and a summary (created, updated, deactivated,
    unchanged). Exits 1, changing nothing, when the directory cannot be read; exits 0
    without doing anything while another run (another machine's cron) holds the lock."""
    if not ldap.configured():
        raise click.ClickException("PROCURE_LDAP_URL is not set: there is no directory to sync.")
    # BEGIN IMMEDIATE on SQLite: a second run waits for this one's write lock.
    with write_intent():
        try:
            report = sync.sync(dry_run=dry_run)
        except (ldap.DirectoryUnavailable, sync.SyncRefused) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except BaseException:
            db.session.rollback()
            raise
        for line in report.lines:
            click.echo(line)
        if dry_run or report.busy:
            db.session.rollback()
        else:
            db.session.commit()
    click.echo(report.summary)
