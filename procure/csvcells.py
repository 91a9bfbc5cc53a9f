"""CSV cells a spreadsheet shows as text and never runs as a formula (OWASP "CSV
injection"): every CSV this application writes passes its cells through
:func:`neutralise`. A foundation, so that any area may write a safe CSV.

The neutralisation is reversible: a value that begins with a formula character *or
with an apostrophe* gets one leading apostrophe, and :func:`unneutralise` takes
exactly one off (API.md, "Vendors CSV").
"""

from __future__ import annotations

# What a spreadsheet reads as the start of a formula, with the tab and carriage
# return that some of them skip first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What gets a leading apostrophe: the above, and the apostrophe itself, so that an
# import can always take one off.
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def neutralise(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula; a value that
    begins with an apostrophe gets one more, so that :func:`unneutralise` is exact."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(ESCAPED_STARTS) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise`: exactly one leading apostrophe comes off."""
    return text[1:] if text.startswith("'") else text
