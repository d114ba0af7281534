"""The price catalog: models, $/M-token prices, context windows and the default tiers.

Every cost the package reports comes from one `Catalog`. The built-in default is the
table of the article the project grew from (DeepSeek V4 Flash/Pro, Qwen3-32B, GLM-4 Plus,
GPT-4o) plus the GA-Economy tier; users override prices from code or from a TOML/JSON
file, and discover the gateway's live model ids from `GET /v1/models`.

Money is `Decimal`. A model the catalog does not know has no price: callers get `None`,
never `$0`.

Example:
    >>> from decimal import Decimal
    >>> from langchain_globalapi import Catalog
    >>> catalog = Catalog.default()
    >>> catalog.get("deepseek-ai/DeepSeek-V4-Flash").input_per_mtok
    Decimal('0.27')
    >>> catalog.cost("gpt-4o", input_tokens=1_000_000, output_tokens=0)
    Decimal('2.50')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from langchain_globalapi._files import line_mentioning, located, parse_json, parse_toml, read_text
from langchain_globalapi._validate import optional_positive_int, usd_amount
from langchain_globalapi.errors import CatalogError

__all__ = [
    "DEFAULT_TIERS",
    "REFERENCE_MODEL",
    "Catalog",
    "CatalogError",
    "ModelInfo",
    "fetch_model_ids",
]

_MILLION = Decimal(1_000_000)


@functools.cache
def _default_catalog() -> Catalog:
    # Immutable (its tiers are a read-only view), so every caller can share it: pricing
    # runs on every call and must not rebuild the index each time.
    return Catalog(models=_BUILTIN, tiers=MappingProxyType(dict(DEFAULT_TIERS)))


_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass(frozen=True)
class ModelInfo:
    """One model's prices (USD per million tokens) and limits.

    Prices are finite amounts >= 0 (a str, int, float or `Decimal`, stored as `Decimal`);
    `context_window` and `max_output_tokens` are `None` or integers >= 1. Anything else
    raises `CatalogError` naming the model and the field.

    Example:
        >>> from decimal import Decimal
        >>> info = ModelInfo("my-model", Decimal("0.10"), Decimal("0.40"), context_window=32_000)
        >>> info.cost(input_tokens=2_000_000, output_tokens=500_000)
        Decimal('0.40')
    """

    id: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    context_window: int | None = None
    cached_input_per_mtok: Decimal | None = None
    max_output_tokens: int | None = None
    supports_tools: bool = True
    supports_images: bool = False
    display_name: str = ""
    aliases: tuple[str, ...] = ()
    notes: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            msg = f"ModelInfo: id must be a non-empty model id string, got {self.id!r}"
            raise CatalogError(msg)
        owner = f"ModelInfo({self.id!r})"
        prices = ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok")
        for name in prices:
            value = getattr(self, name)
            if value is not None or name != "cached_input_per_mtok":
                # Stored normalized: a float price keeps its repr, so 0.27 is Decimal('0.27').
                amount = usd_amount(owner, name, value, error=CatalogError)
                object.__setattr__(self, name, amount)
        for name in ("context_window", "max_output_tokens"):
            optional_positive_int(owner, name, getattr(self, name), error=CatalogError)

    def cost(
        self, *, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
    ) -> Decimal:
        """USD for one call; `input_tokens` includes the cached ones, as usage reports them."""
        cached = min(max(cached_input_tokens, 0), input_tokens)
        cached_price = (
            self.cached_input_per_mtok
            if self.cached_input_per_mtok is not None
            else self.input_per_mtok
        )
        total = (
            Decimal(input_tokens - cached) * self.input_per_mtok
            + Decimal(cached) * cached_price
            + Decimal(output_tokens) * self.output_per_mtok
        )
        return total / _MILLION


def _m(price: str) -> Decimal:
    return Decimal(price)


# The article's table. GA-Economy is "50% cheaper than even the cheap tier" (Flash).
# Cached-input prices: GPT-4o's is OpenAI's published $1.25; the DeepSeek ones follow
# DeepSeek's published cache-hit ratio at these list prices (0.27 -> 0.07, 0.55 -> 0.14).
# The economy tier's context window is not published; 32K is a conservative assumption.
_BUILTIN: tuple[ModelInfo, ...] = (
    ModelInfo(
        "GA-Economy",
        _m("0.135"),
        _m("0.55"),
        context_window=32_000,
        display_name="Global API Economy",
        aliases=("ga-economy", "economy"),
        notes="50% of DeepSeek V4 Flash's price; context window assumed",
    ),
    ModelInfo(
        "deepseek-ai/DeepSeek-V4-Flash",
        _m("0.27"),
        _m("1.10"),
        context_window=128_000,
        cached_input_per_mtok=_m("0.07"),
        display_name="DeepSeek V4 Flash",
        aliases=("deepseek-v4-flash",),
    ),
    ModelInfo(
        "deepseek-ai/DeepSeek-V4-Pro",
        _m("0.55"),
        _m("2.20"),
        context_window=200_000,
        cached_input_per_mtok=_m("0.14"),
        display_name="DeepSeek V4 Pro",
        aliases=("deepseek-v4-pro",),
    ),
    ModelInfo(
        "Qwen/Qwen3-32B",
        _m("0.30"),
        _m("1.20"),
        context_window=32_000,
        display_name="Qwen3-32B",
        aliases=("qwen3-32b",),
    ),
    ModelInfo(
        "THUDM/GLM-4-Plus",
        _m("0.20"),
        _m("0.80"),
        context_window=128_000,
        display_name="GLM-4 Plus",
        aliases=("glm-4-plus",),
    ),
    ModelInfo(
        "gpt-4o",
        _m("2.50"),
        _m("10.00"),
        context_window=128_000,
        cached_input_per_mtok=_m("1.25"),
        max_output_tokens=16_384,
        supports_images=True,
        display_name="GPT-4o",
        aliases=("openai/gpt-4o",),
    ),
)

DEFAULT_TIERS: Mapping[str, str] = {
    "economy": "GA-Economy",
    "flash": "deepseek-ai/DeepSeek-V4-Flash",
    "pro": "deepseek-ai/DeepSeek-V4-Pro",
}
"""The three Global API tiers, cheapest first."""

REFERENCE_MODEL = "gpt-4o"
"""The counterfactual model savings are measured against."""

_FIELDS = {
    "input": "input_per_mtok",
    "input_per_mtok": "input_per_mtok",
    "output": "output_per_mtok",
    "output_per_mtok": "output_per_mtok",
    "cached_input": "cached_input_per_mtok",
    "cached_input_per_mtok": "cached_input_per_mtok",
    "context_window": "context_window",
    "max_output_tokens": "max_output_tokens",
    "supports_tools": "supports_tools",
    "supports_images": "supports_images",
    "display_name": "display_name",
    "aliases": "aliases",
    "notes": "notes",
}


#: Fields whose type ModelInfo does not check itself: (type, what to write instead).
_FIELD_TYPES: dict[str, tuple[type, str]] = {
    "supports_tools": (bool, "true or false"),
    "supports_images": (bool, "true or false"),
    "display_name": (str, "a string"),
    "notes": (str, "a string"),
    "aliases": (list, "a list of strings"),
}


def _has_type(value: object, expected: type) -> bool:
    if expected is list:
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    return isinstance(value, expected)


def _entry_from_mapping(
    model_id: str, spec: Mapping[str, Any], base: ModelInfo | None
) -> ModelInfo:
    unknown = sorted(set(spec) - set(_FIELDS))
    if unknown:
        msg = (
            f"catalog entry {model_id!r}: unknown field(s) {unknown}; "
            f"valid fields are {sorted(_FIELDS)}"
        )
        raise CatalogError(msg)
    values: dict[str, Any] = {}
    for key, raw in spec.items():
        name = _FIELDS[key]
        expected = _FIELD_TYPES.get(name)
        if expected is not None and not _has_type(raw, expected[0]):
            msg = f"catalog entry {model_id!r}: {key} must be {expected[1]}, got {raw!r}"
            raise CatalogError(msg)
        # Prices and limits are checked by ModelInfo itself, for code and files alike.
        values[name] = tuple(raw) if name == "aliases" else raw
    if base is not None:
        return replace(base, **values)
    missing = [k for k in ("input_per_mtok", "output_per_mtok") if k not in values]
    if missing:
        msg = (
            f"catalog entry {model_id!r} is new, so it needs both prices: "
            f"missing {[m.removesuffix('_per_mtok') for m in missing]}"
        )
        raise CatalogError(msg)
    return ModelInfo(id=model_id, **values)


@dataclass(frozen=True)
class Catalog:
    """Model prices and limits, looked up by gateway model id.

    Lookups forgive case, a dated snapshot suffix (`gpt-4o-2024-08-06`) and a provider
    prefix (`deepseek-ai/`), so the model names that responses report find their price.

    Example:
        >>> catalog = Catalog.default().with_overrides(
        ...     {"my-org/finetune": {"input": "0.50", "output": "1.50", "context_window": 8192}}
        ... )
        >>> catalog.get("my-org/finetune").output_per_mtok
        Decimal('1.50')
        >>> catalog.get("unknown-model") is None
        True
    """

    models: tuple[ModelInfo, ...]
    tiers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    reference_model: str = REFERENCE_MODEL
    discovered: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        index: dict[str, ModelInfo] = {}
        for info in self.models:
            for key in (info.id, *info.aliases):
                index[key.lower()] = info
        object.__setattr__(self, "_index", index)

    @classmethod
    def default(cls) -> Catalog:
        """The built-in catalog: the article's table plus GA-Economy (one shared instance)."""
        return _default_catalog()

    @classmethod
    def from_file(cls, path: str | Path, *, base: Catalog | None = None) -> Catalog:
        r"""Load overrides from a TOML or JSON file on top of `base` (default: built-in).

        The file maps model ids to fields, in TOML as `[models."gpt-4o"]` tables or in
        JSON as `{"models": {"gpt-4o": {...}}}`; an optional `tiers` table names the
        model of each tier and `reference_model` the counterfactual.

        Raises:
            CatalogError: the file is unreadable, not UTF-8, not valid TOML/JSON, or
                holds a wrong shape or value; the message starts with `path:line`.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "prices.toml")
            >>> _ = open(path, "w").write('[models."acme/x"]\ninput = "0.1"\noutput = "oops"\n')
            >>> Catalog.from_file(path)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            langchain_globalapi.errors.CatalogError: ...prices.toml:1: ModelInfo('acme/x'): output_per_mtok must be ...
        """  # noqa: E501
        file = Path(path)
        fail = located(CatalogError, file)
        text = read_text(file, fail, what="catalog file")
        data = parse_json(text, fail) if file.suffix == ".json" else parse_toml(text, fail)
        if not isinstance(data, dict):
            shape = type(data).__name__
            raise fail(f"must hold a table with a 'models' key, not a {shape}", 1)
        extra = sorted(set(data) - {"models", "tiers", "reference_model"})
        if extra:
            msg = f"unknown key(s) {extra}; use models, tiers, reference_model"
            raise fail(msg, line_mentioning(text, extra[0]))
        catalog = base or cls.default()
        models = data.get("models", {})
        if not isinstance(models, dict):
            msg = f"'models' must be a table of model ids to fields, not a {type(models).__name__}"
            raise fail(msg, line_mentioning(text, "models"))
        for model_id, spec in models.items():
            try:
                catalog = catalog.with_overrides({model_id: spec})
            except CatalogError as exc:
                raise fail(str(exc), line_mentioning(text, model_id)) from exc
        try:
            if "tiers" in data:
                catalog = catalog.with_tiers(data["tiers"])
        except CatalogError as exc:
            raise fail(str(exc), line_mentioning(text, "tiers")) from exc
        try:
            if "reference_model" in data:
                catalog = catalog.with_reference(data["reference_model"])
        except CatalogError as exc:
            raise fail(str(exc), line_mentioning(text, "reference_model")) from exc
        return catalog

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any] | ModelInfo]) -> Catalog:
        """A new catalog with entries added or fields replaced (prices as str, int or Decimal)."""
        by_id = {info.id: info for info in self.models}
        for model_id, spec in overrides.items():
            if isinstance(spec, ModelInfo):
                by_id[spec.id] = spec
                continue
            if not isinstance(spec, Mapping):
                msg = f"catalog override for {model_id!r} must be a mapping of fields"
                raise CatalogError(msg)
            base = self.get(model_id)
            entry = _entry_from_mapping(base.id if base else model_id, spec, base)
            by_id[entry.id] = entry
        return replace(self, models=tuple(by_id.values()))

    def with_tiers(self, tiers: Mapping[str, str]) -> Catalog:
        """A new catalog whose named tiers (cheapest first) map to these model ids."""
        if not isinstance(tiers, Mapping) or not all(
            isinstance(name, str) and isinstance(model, str) for name, model in tiers.items()
        ):
            msg = (
                f"tiers must map tier names to model ids, e.g. {{'flash': 'gpt-4o'}}, got {tiers!r}"
            )
            raise CatalogError(msg)
        unknown = [m for m in tiers.values() if self.get(m) is None]
        if unknown:
            msg = f"tier models {unknown} are not in the catalog; add their prices first"
            raise CatalogError(msg)
        return replace(self, tiers=dict(tiers))

    def with_reference(self, model_id: str) -> Catalog:
        """A new catalog that measures savings against `model_id`."""
        if not isinstance(model_id, str) or self.get(model_id) is None:
            msg = f"reference model {model_id!r} is not in the catalog; add its prices first"
            raise CatalogError(msg)
        return replace(self, reference_model=model_id)

    def with_discovered(self, model_ids: Iterable[str]) -> Catalog:
        """Record ids the gateway lists (`GET /v1/models`); unpriced ones stay unpriced."""
        return replace(self, discovered=frozenset(model_ids))

    def get(self, model_id: str | None) -> ModelInfo | None:
        """The entry for `model_id`, forgiving case, date suffixes and provider prefixes."""
        if not model_id:
            return None
        index: dict[str, ModelInfo] = self._index  # type: ignore[attr-defined]
        key = model_id.lower()
        for candidate in (key, _DATE_SUFFIX.sub("", key)):
            if candidate in index:
                return index[candidate]
            short = candidate.rsplit("/", 1)[-1]
            if short in index:
                return index[short]
            matches = {i.id for k, i in index.items() if k.rsplit("/", 1)[-1] == short}
            if len(matches) == 1:
                return index[next(iter(matches)).lower()]
        return None

    def require(self, model_id: str) -> ModelInfo:
        """Like `get`, but a missing model is a `CatalogError` naming the known ids."""
        info = self.get(model_id)
        if info is None:
            msg = (
                f"model {model_id!r} is not in the price catalog; known models: "
                f"{', '.join(sorted(self.ids()))}. Add it with Catalog.with_overrides()."
            )
            raise CatalogError(msg)
        return info

    def ids(self) -> list[str]:
        """Every priced model id."""
        return [info.id for info in self.models]

    def tier_of(self, model_id: str | None) -> str | None:
        """The tier name whose model is `model_id`, if any."""
        info = self.get(model_id)
        if info is None:
            return None
        for tier, tier_model in self.tiers.items():
            if tier_model == info.id:
                return tier
        return None

    def cost(
        self,
        model_id: str | None,
        *,
        input_tokens: int,
        output_tokens: int,
        cached_input_tokens: int = 0,
    ) -> Decimal | None:
        """USD for a call on `model_id`, or `None` when the model has no price."""
        info = self.get(model_id)
        if info is None:
            return None
        return info.cost(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cached_input_tokens,
        )

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)


def fetch_model_ids(*, api_key: str, base_url: str, timeout_s: float = 10.0) -> list[str]:
    """The model ids an OpenAI-compatible gateway lists at `GET {base_url}/models`.

    No `OPENAI_*` setting is read or sent.

    Raises:
        EndpointUnreachableError: No connection could be made to `base_url`.
        MalformedResponseError: The endpoint answered with an HTML page or non-JSON body.

    Example:
        >>> from langchain_globalapi.testing import FakeOpenAIServer
        >>> with FakeOpenAIServer() as server:
        ...     "gpt-4o" in fetch_model_ids(api_key="k", base_url=server.base_url)
        True
    """
    from langchain_globalapi._failures import translate, typed_errors  # noqa: PLC0415
    from langchain_globalapi._http import check_base_url, sdk_clients  # noqa: PLC0415

    check_base_url(base_url, "globalapi models")
    client, _ = sdk_clients(api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=0)
    with typed_errors(
        lambda error: translate(error, model=None, base_url=base_url, request_timeout_s=timeout_s)
    ):
        return sorted(model.id for model in client.models.list())
