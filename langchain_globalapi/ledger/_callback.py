"""`LedgerCallback`: a LangChain callback handler that bills every call below it into a ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_globalapi._billing import BillingHandler

if TYPE_CHECKING:
    from langchain_globalapi._pricing import BilledCall
    from langchain_globalapi.catalog import Catalog
    from langchain_globalapi.ledger._ledger import Ledger

__all__ = ["LedgerCallback"]


class LedgerCallback(BillingHandler):
    """Bills each provider call below it once (the billing core's rules) into `ledger`.

    For code that attaches handlers through `config["callbacks"]`; `Ledger.as_callback()`
    makes one. `get_globalapi_callback(ledger=...)` and the wrappers' `ledger=` do the same.

    Example:
        >>> import os, tempfile
        >>> from langchain_globalapi import ChatGlobalAPI
        >>> from langchain_globalapi.ledger import Ledger
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> ledger = Ledger(os.path.join(tempfile.mkdtemp(), "usage.db"))
        >>> with FakeOpenAIServer() as server:
        ...     llm = ChatGlobalAPI(api_key="k", base_url=server.base_url)
        ...     _ = llm.invoke("Hi", config={"callbacks": [LedgerCallback(ledger)]})
        >>> ledger.flush(), ledger.stats().written
        (True, 1)
        >>> ledger.close()
    """

    def __init__(
        self, ledger: Ledger, catalog: Catalog | None = None, *, reference_model: str | None = None
    ) -> None:
        super().__init__(catalog, reference_model=reference_model)
        self.ledger = ledger

    def on_billed(self, call: BilledCall) -> None:
        """Queue the call on the ledger (never blocks, never raises)."""
        self.ledger.on_billed(call)
