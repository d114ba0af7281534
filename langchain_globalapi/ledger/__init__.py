"""The usage ledger: every billed call kept in SQLite or Redis, for the dashboard and reports.

`Ledger` is the writing side (a sink of the billing core: `on_billed(call)`), `open_reader`
the reading side used by `globalapi dashboard` and `globalapi report`, and `summarize`
turns what a reader holds into the figures they show.

Example:
    >>> import os, tempfile
    >>> from langchain_globalapi.costs import BilledCall, price_usage
    >>> path = os.path.join(tempfile.mkdtemp(), "usage.db")
    >>> with Ledger(path) as ledger:
    ...     cost = price_usage({"input_tokens": 2000, "output_tokens": 500}, "gpt-4o")
    ...     ledger.on_billed(BilledCall("c1", "r1", 1.7e9, 900.0, "gpt-4o", cost=cost))
    >>> summarize(open_reader(path))["totals"]["spend_usd"]
    '0.01'
"""

from langchain_globalapi.ledger._ledger import Ledger, LedgerStats
from langchain_globalapi.ledger._retention import Retention
from langchain_globalapi.ledger.reader import LedgerReader, open_reader
from langchain_globalapi.ledger.summary import summarize

__all__ = ["Ledger", "LedgerReader", "LedgerStats", "Retention", "open_reader", "summarize"]
