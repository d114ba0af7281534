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

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from langchain_globalapi.errors import CatalogError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "DEFAULT_TIERS",
    "REFERENCE_MODEL",
    "Catalog",
    "CatalogError",
    "ModelInfo",
    "fetch_model_ids",
]

_MILLION = Decimal(1_000_000)
_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass(frozen=True)
class ModelInfo:
    """One model's prices (USD per million tokens) and limits.

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


def _usd(value: object, what: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)  # keep 0.27 as Decimal('0.27'), not its binary expansion
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        msg = f"{what}: {value!r} is not a price in USD per million tokens"
        raise CatalogError(msg) from exc
    if not amount.is_finite() or amount < 0:
        msg = f"{what}: {value!r} must be a finite, non-negative USD amount"
        raise CatalogError(msg)
    return amount


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
        if name.endswith("_per_mtok"):
            values[name] = None if raw is None else _usd(raw, f"{model_id}.{key}")
        elif name in {"context_window", "max_output_tokens"}:
            if raw is not None and (not isinstance(raw, int) or raw <= 0):
                msg = f"catalog entry {model_id!r}: {key} must be a positive integer, got {raw!r}"
                raise CatalogError(msg)
            values[name] = raw
        elif name == "aliases":
            values[name] = tuple(str(a) for a in raw)
        else:
            values[name] = raw
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
        """The built-in catalog: the article's table plus GA-Economy."""
        return cls(models=_BUILTIN)

    @classmethod
    def from_file(cls, path: str | Path, *, base: Catalog | None = None) -> Catalog:
        """Load overrides from a TOML or JSON file on top of `base` (default: built-in).

        The file maps model ids to fields, in TOML as `[models."gpt-4o"]` tables or in
        JSON as `{"models": {"gpt-4o": {...}}}`; an optional `tiers` table names the
        model of each tier and `reference_model` the counterfactual.
        """
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            msg = f"cannot read catalog file {file}: {exc.strerror or exc}"
            raise CatalogError(msg) from exc
        try:
            data = json.loads(text) if file.suffix == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            msg = f"catalog file {file} is not valid {file.suffix.lstrip('.') or 'TOML'}: {exc}"
            raise CatalogError(msg) from exc
        if not isinstance(data, dict):
            msg = f"catalog file {file} must hold a table with a 'models' key"
            raise CatalogError(msg)
        extra = sorted(set(data) - {"models", "tiers", "reference_model"})
        if extra:
            msg = f"catalog file {file}: unknown key(s) {extra}; use models, tiers, reference_model"
            raise CatalogError(msg)
        catalog = (base or cls.default()).with_overrides(data.get("models", {}))
        if "tiers" in data:
            catalog = catalog.with_tiers(data["tiers"])
        if "reference_model" in data:
            catalog = catalog.with_reference(str(data["reference_model"]))
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
        unknown = [m for m in tiers.values() if self.get(m) is None]
        if unknown:
            msg = f"tier models {unknown} are not in the catalog; add their prices first"
            raise CatalogError(msg)
        return replace(self, tiers=dict(tiers))

    def with_reference(self, model_id: str) -> Catalog:
        """A new catalog that measures savings against `model_id`."""
        if self.get(model_id) is None:
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
