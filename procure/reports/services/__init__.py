"""The reports: pure functions of a :class:`Filters`, returning rows.

Each report runs a fixed number of queries whatever the volume: sums, counts and
(on PostgreSQL) percentiles are computed by the database. One module per report —
spend, approval cycle time, sourcing savings, vendor scorecards, payables (ageing and
exchange differences), price variance (split purchases are ``reports/splits.py``) — and
what they share in ``reports/common.py``.
"""

from ..common import ZERO, Dimension, Filters, may_read, require_reader
from .cycle_time import (
    WAITING_LIMIT,
    CycleTimeReport,
    Durations,
    Waiting,
    cycle_time,
    waiting_longest,
)
from .payables import (
    BUCKETS,
    AgeingReport,
    AgeingRow,
    Bucket,
    CurrencyTotal,
    ExchangeReport,
    ExchangeRow,
    ageing,
    exchange_differences,
)
from .payables import may_read as may_read_payables
from .payables import require_reader as require_payables_reader
from .price_variance import VarianceReport, VarianceRow, price_variance
from .savings import SavingsReport, SavingsRow, savings
from .spend import SHIPPING_AND_TAX, UNCATEGORISED, SpendReport, SpendRow, spend
from .vendors import VendorReport, VendorRow, vendor_scorecards

__all__ = [
    "BUCKETS",
    "AgeingReport",
    "AgeingRow",
    "Bucket",
    "CurrencyTotal",
    "ExchangeReport",
    "ExchangeRow",
    "VarianceReport",
    "VarianceRow",
    "ageing",
    "exchange_differences",
    "may_read_payables",
    "require_payables_reader",
    "price_variance",
    "SHIPPING_AND_TAX",
    "UNCATEGORISED",
    "WAITING_LIMIT",
    "ZERO",
    "CycleTimeReport",
    "Dimension",
    "Durations",
    "Filters",
    "SavingsReport",
    "SavingsRow",
    "SpendReport",
    "SpendRow",
    "VendorReport",
    "VendorRow",
    "Waiting",
    "cycle_time",
    "may_read",
    "require_reader",
    "savings",
    "spend",
    "vendor_scorecards",
    "waiting_longest",
]
