"""What seed-bench refuses, in a module of its own: the generator's parts raise it and
the package re-exports it (``benchdata.SeedRefused``)."""


class SeedRefused(Exception):
    """The database is not one seed-bench may fill; the message says why."""
