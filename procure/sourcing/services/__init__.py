"""Sourcing: RFQs for approved requests, quotes from invited vendors, the explained
comparison, and the award that creates the purchase order. Services check, change,
audit and flush; the caller commits once.

The sections live in modules of their own, layered so that none imports one above
it: ``eligibility`` (which vendors may take part), ``links`` (the vendors' private
links), ``rfqs`` (finding, creating, sending, cancelling), ``invitations`` (where
each invited vendor stands, re-issued links, declining), ``quotes``,
``comparison``, ``award`` (and the order it creates), and ``pages`` (what the pages
show). Callers use the names re-exported here: ``services.award(...)``.
"""

from .award import Summary, award, create_order_from_quote, order_for, quote_rule, summaries
from .comparison import Comparison, compare, comparison_snapshot
from .eligibility import (
    flag_reasons,
    request_categories,
    supplies,
    vendor_address,
    vendor_choices,
    vendor_problems,
)
from .invitations import InvitationState, decline, invitation_states, reissue_link
from .links import LinkRefused, current_link, hash_token, invitation_for_token, new_link
from .pages import (
    RfqPage,
    VendorQuotePage,
    awaiting_for,
    may_source,
    requests_to_source,
    rfq_page,
    vendor_quote_page,
)
from .quotes import (
    MAX_LEAD_TIME_DAYS,
    MAX_WARRANTY_MONTHS,
    QuoteData,
    QuoteLineData,
    current_quotes,
    line_total,
    quote_currency,
    quote_history,
    quote_total,
    record_quote,
)
from .rfqs import (
    EDITORS,
    TEXT_MAX,
    RfqData,
    allowed_actions,
    awaiting_sourcing,
    cancel,
    create_rfq,
    get,
    list_query,
    request_to_source,
    require_buyer,
    send,
    weights_of,
)
from .sealing import (
    SEALED_MESSAGE,
    TWO_TO_OPEN_SETTING,
    is_sealed,
    late,
    may_open_bids,
    open_bids,
    require_unsealed,
    set_two_to_open,
    two_to_open,
)

__all__ = [
    "SEALED_MESSAGE",
    "TWO_TO_OPEN_SETTING",
    "is_sealed",
    "late",
    "may_open_bids",
    "open_bids",
    "require_unsealed",
    "set_two_to_open",
    "two_to_open",
    "EDITORS",
    "MAX_LEAD_TIME_DAYS",
    "MAX_WARRANTY_MONTHS",
    "TEXT_MAX",
    "Comparison",
    "InvitationState",
    "LinkRefused",
    "QuoteData",
    "QuoteLineData",
    "RfqData",
    "RfqPage",
    "Summary",
    "VendorQuotePage",
    "allowed_actions",
    "award",
    "awaiting_for",
    "awaiting_sourcing",
    "cancel",
    "compare",
    "comparison_snapshot",
    "create_order_from_quote",
    "create_rfq",
    "current_link",
    "current_quotes",
    "decline",
    "flag_reasons",
    "get",
    "invitation_states",
    "line_total",
    "hash_token",
    "invitation_for_token",
    "list_query",
    "may_source",
    "new_link",
    "order_for",
    "quote_currency",
    "quote_history",
    "quote_total",
    "quote_rule",
    "record_quote",
    "reissue_link",
    "requests_to_source",
    "request_categories",
    "request_to_source",
    "require_buyer",
    "rfq_page",
    "send",
    "summaries",
    "supplies",
    "vendor_address",
    "vendor_choices",
    "vendor_problems",
    "vendor_quote_page",
    "weights_of",
]
