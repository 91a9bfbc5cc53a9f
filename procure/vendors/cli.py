"""``flask --app wsgi import-vendors FILE``: the CSV import on the command line."""

from __future__ import annotations

import click

from ..db import write_intent
from ..errors import ValidationError
from ..extensions import db
from . import bp, csvio


@bp.cli.command("import-vendors")
@click.argument("file", type=click.File("rb"))
def import_vendors_command(file) -> None:  # type: ignore[no-untyped-def]
    """Import vendors from a CSV FILE (UTF-8, header row): all rows, or none.

    Every row is checked before any is stored; when any is wrong, each bad line is
    listed with the reason, nothing is stored, and the exit status is 1."""
    try:
        rows = csvio.parse(csvio.decode(file.read()))
    except csvio.ImportRefused as exc:
        _refuse(exc)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    with write_intent():
        try:
            with click.progressbar(
                length=2 * len(rows), label="Checking and importing vendors", file=None
            ) as bar:
                vendors = csvio.import_vendors(rows, actor=None, progress=lambda: bar.update(1))
        except csvio.ImportRefused as exc:
            db.session.rollback()
            _refuse(exc)
        db.session.commit()
    click.echo(f"Imported {len(vendors)} vendor{'s' if len(vendors) != 1 else ''} as prospects.")


def _refuse(exc: csvio.ImportRefused) -> None:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    raise click.ClickException(exc.message)
