"""Reports as CSV: UTF-8, a header row even when no row follows, and every cell
neutralised against spreadsheet formula injection (as the vendor export does)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from ..vendors.csvio import neutralise


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    return Response(
        csv_text(header, rows).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
