"""Reading exchange rates from a CSV file: the page's upload and ``import-rates`` share it.

Two layouts are recognised by their first line:

- the plain one, ``date,currency,rate``: one rate a line, ``rate`` in base units per
  unit of ``currency`` (what ``rates.record`` takes);
- the European Central Bank's historical reference rates as published
  (``eurofxref-hist.csv``): ``Date,USD,JPY,…,`` with one row per day, newest first,
  every rate in units of the currency per euro, ``N/A`` where the currency was not
  quoted, and a comma at the end of every line.

The ECB's rates are per euro, so they are turned into rates to the installation's base
whatever it is: with the base EUR, ``rate(c) = 1 / ecb[c]``; with another base B,
``rate(c) = ecb[B] / ecb[c]`` and ``rate(EUR) = ecb[B]``, each rounded half-up to the
nine decimals a rate keeps. Columns of currencies that are not enabled are skipped, as
are ``N/A`` cells, and a day on which the base itself is ``N/A`` (nothing can be
converted that day).

Every line is checked before anything is stored: a file with any wrong line is refused
whole, each problem named by its line number (the header is line 1). Storing goes
through ``rates.record``, which audits each rate.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from werkzeug.datastructures import FileStorage

from .. import access, currencies, rates
from ..errors import ValidationError
from ..imports import ImportRefused, Problem
from ..models import User

PLAIN_HEADER = ["date", "currency", "rate"]
NOT_QUOTED = {"N/A", ""}
RATE_UNIT = Decimal(1).scaleb(-rates.RATE_PLACES)
EURO = "EUR"


@dataclasses.dataclass(frozen=True)
class Row:
    """One rate to store, and the line of the file it came from."""

    line: int
    currency: str
    day: dt.date
    rate: Decimal


@dataclasses.dataclass(frozen=True)
class Summary:
    """What an import stored, in the words ``import-rates`` prints."""

    count: int
    currencies: tuple[str, ...]
    first: dt.date
    last: dt.date

    def __str__(self) -> str:
        rates_word = "rate" if self.count == 1 else "rates"
        currency_word = "currency" if len(self.currencies) == 1 else "currencies"
        return (
            f"imported {self.count} {rates_word} ({len(self.currencies)} {currency_word}, "
            f"{self.first.isoformat()} to {self.last.isoformat()})"
        )


class _Problems:
    """Problems by line, in the order of the file."""

    def __init__(self) -> None:
        self.by_line: dict[int, list[str]] = {}

    def add(self, line: int, message: str) -> None:
        self.by_line.setdefault(line, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_line:
            raise ImportRefused(
                [Problem(line, messages) for line, messages in sorted(self.by_line.items())]
            )


# Reading the file -------------------------------------------------------------------------


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError.field(
            "file", "The file is not UTF-8 text: save it as CSV (UTF-8) and try again."
        ) from None


def _lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells without trailing empty ones) of each non-blank record."""
    reader = csv.reader(io.StringIO(text))
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            yield line, [cell.strip() for cell in cells]


def _day(text: str) -> dt.date:
    """An ISO date (2026-12-04); ValueError otherwise."""
    if len(text) != 10:
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def _number(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite():
        raise ValueError(text)
    return number


def parse(text: str) -> list[Row]:
    """Every rate of the file, checked; ``ImportRefused`` naming each wrong line."""
    lines = list(_lines(text))
    if not lines:
        raise ValidationError.field("file", "The file is empty.")
    line, header = lines[0]
    names = [cell.lower() for cell in header]
    if names == PLAIN_HEADER:
        rows = _parse_plain(lines[1:])
    elif names and names[0] == "date" and len(names) > 1:
        rows = _parse_ecb(header, lines[1:])
    else:
        raise ImportRefused(
            [
                Problem(
                    line,
                    [
                        "the first line must be the header date,currency,rate, or the ECB "
                        "file's Date,USD,JPY,…"
                    ],
                )
            ]
        )
    if not rows:
        raise ValidationError.field(
            "file", "The file holds no rate of a currency enabled here: nothing to import."
        )
    return rows


def _parse_plain(lines: list[tuple[int, list[str]]]) -> list[Row]:
    problems = _Problems()
    rows: list[Row] = []
    seen: dict[tuple[str, dt.date], int] = {}
    for line, cells in lines:
        if len(cells) != len(PLAIN_HEADER):
            problems.add(line, f"expected 3 values (date, currency, rate), found {len(cells)}")
            continue
        row = _plain_row(line, cells, problems)
        if row is None:
            continue
        first = seen.setdefault((row.currency, row.day), line)
        if first != line:
            problems.add(
                line,
                f"a second {row.currency} rate for {row.day.isoformat()} (first on line {first})",
            )
            continue
        rows.append(row)
    problems.raise_if_any()
    return rows


def _plain_row(line: int, cells: list[str], problems: _Problems) -> Row | None:
    day_text, code_text, rate_text = cells
    day = code = rate = None
    try:
        day = _day(day_text)
    except ValueError:
        problems.add(line, f"date: {day_text[:20]!r} is not a date (YYYY-MM-DD)")
    try:
        code = _foreign(code_text)
    except ValidationError as exc:
        problems.add(line, f"currency: {exc.message}")
    try:
        rate = rates.parse_rate(rate_text)
    except ValidationError as exc:
        problems.add(line, f"rate: {exc.message}")
    if day is None or code is None or rate is None:
        return None
    return Row(line, code, day, rate)


def _foreign(code: str) -> str:
    """An enabled currency that is not the base: one that has a rate to record."""
    found = currencies.require_enabled(code)
    if found == currencies.base():
        raise ValidationError.field("currency", f"{found} is the base currency: its rate is 1.")
    return found


# The ECB's file ---------------------------------------------------------------------------


def _parse_ecb(header: list[str], lines: list[tuple[int, list[str]]]) -> list[Row]:
    base = currencies.base()
    columns = [cell.upper() for cell in header[1:]]
    if base != EURO and base not in columns:
        raise ImportRefused(
            [
                Problem(
                    1,
                    [
                        f"the file has no {base} column: its rates per euro cannot be "
                        f"converted to {base}"
                    ],
                )
            ]
        )
    wanted = [code for code in currencies.enabled() if code != base]
    problems = _Problems()
    rows: list[Row] = []
    seen: dict[dt.date, int] = {}
    for line, cells in lines:
        try:
            day = _day(cells[0])
        except ValueError:
            problems.add(line, f"Date: {cells[0][:20]!r} is not a date (YYYY-MM-DD)")
            continue
        first = seen.setdefault(day, line)
        if first != line:
            problems.add(line, f"{day.isoformat()} again (first on line {first})")
            continue
        per_euro = _ecb_values(
            line, dict(zip(columns, cells[1:], strict=False)), wanted + [base], problems
        )
        rows.extend(_converted(line, day, per_euro, wanted, base, problems))
    problems.raise_if_any()
    return rows


def _ecb_values(
    line: int, cells: dict[str, str], codes: list[str], problems: _Problems
) -> dict[str, Decimal]:
    """Units per euro of the ``codes`` quoted on this line (``N/A`` and absent: left out)."""
    found: dict[str, Decimal] = {}
    for code in codes:
        text = cells.get(code, "N/A").strip()
        if text.upper() in NOT_QUOTED:
            continue
        try:
            value = _number(text)
        except ValueError:
            problems.add(line, f"{code}: {text[:20]!r} is not a number")
            continue
        if value <= 0:
            problems.add(line, f"{code}: a rate must be greater than zero")
            continue
        found[code] = value
    return found


def _converted(
    line: int,
    day: dt.date,
    per_euro: dict[str, Decimal],
    wanted: list[str],
    base: str,
    problems: _Problems,
) -> Iterator[Row]:
    """The rates to ``base`` of the wanted currencies quoted on this day."""
    base_per_euro = Decimal(1) if base == EURO else per_euro.get(base)
    if base_per_euro is None:
        return  # the base was not quoted that day: nothing converts
    for code in wanted:
        if code == EURO:
            exact = base_per_euro
        elif code in per_euro:
            exact = base_per_euro / per_euro[code]
        else:
            continue
        try:
            rate = rates.parse_rate(exact.quantize(RATE_UNIT, rounding=ROUND_HALF_UP))
        except ValidationError as exc:
            problems.add(line, f"{code}: {exc.message}")
            continue
        yield Row(line, code, day, rate)


# Storing ----------------------------------------------------------------------------------


def store(
    rows: list[Row], *, actor: User | None, progress: Callable[[], None] | None = None
) -> Summary:
    """Record every row (``rates.record``: replaces a day's rate, audits). The caller
    commits, or rolls back on any error: all or nothing."""
    for row in rows:
        rates.record(row.currency, row.day, row.rate, actor=actor)
        if progress is not None:
            progress()
    days = [row.day for row in rows]
    return Summary(len(rows), tuple(sorted({row.currency for row in rows})), min(days), max(days))


def import_text(text: str, *, actor: User | None) -> Summary:
    """Check the whole file, then store it (finance or admin; None: the command line)."""
    if actor is not None:
        access.require(actor, "record_rates", action="import exchange rates")
    return store(parse(text), actor=actor)


def import_upload(upload: FileStorage | None, *, actor: User) -> Summary:
    """Import an uploaded file of at most ``MAX_UPLOAD_BYTES``."""
    access.require(actor, "record_rates", action="import exchange rates")
    if upload is None or not upload.filename:
        raise ValidationError.field("file", "Choose the CSV file to import.")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError.field(
            "file", f"The file is larger than {limit // (1024 * 1024)} MB."
        )
    return import_text(decode(data), actor=actor)
