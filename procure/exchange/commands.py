"""``flask --app wsgi import-rates FILE``: exchange rates from a CSV file, all or none."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..db import write_intent
from ..errors import ValidationError
from ..extensions import db
from . import import_csv


@click.command("import-rates")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_rates_command(file) -> None:  # type: ignore[no-untyped-def]
    """Import exchange rates from FILE: a plain CSV with the header date,currency,rate,
    or the European Central Bank's historical file (eurofxref-hist.csv) as published.

    Every line is checked before any rate is stored: when one is wrong, each wrong line
    is listed with its number (the header is line 1), nothing is stored and the exit
    status is 1. A rate for a day that already has one replaces it."""
    try:
        rows = import_csv.parse(import_csv.decode(file.read()))
    except import_csv.ImportRefused as exc:
        _refuse(exc)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    with write_intent():
        try:
            with click.progressbar(length=len(rows), label="Importing rates", file=None) as bar:
                summary = import_csv.store(rows, actor=None, progress=lambda: bar.update(1))
        except ValidationError as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
    click.echo(str(summary))


def _refuse(exc: import_csv.ImportRefused) -> None:
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    raise click.ClickException(exc.message)
