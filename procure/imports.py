"""A file imported all or nothing (vendors, exchange rates): when some of its lines are
wrong, nothing is stored and the refusal names each line (the header is line 1) and
what is wrong with it, beside the file field on a page or on stderr for a command."""

from __future__ import annotations

import dataclasses

from .errors import ValidationError


@dataclasses.dataclass
class Problem:
    line: int
    messages: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: " + "; ".join(self.messages)


class ImportRefused(ValidationError):
    """The file is refused; ``problems`` says which lines are wrong and why."""

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"Nothing was imported: {count} line{'s need' if count != 1 else ' needs'} "
            "correcting first.",
            fields={"file": [str(problem) for problem in problems]},
        )
        self.problems = problems
