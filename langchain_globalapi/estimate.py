"""The spend estimator: monthly cost of a token volume under a model mix, against a baseline.

This is the article's spreadsheet as an API: 100M input and 30M output tokens a month
cost $550.00 on GPT-4o alone and $66.10 with 90% on DeepSeek V4 Flash and 10% on V4 Pro,
88% less.

Example:
    >>> from langchain_globalapi import estimate_spend
    >>> est = estimate_spend(100_000_000, 30_000_000, {"flash": 0.9, "pro": 0.1})
    >>> est.total_usd, est.baseline_usd, round(est.saving_pct)
    (Decimal('66.10'), Decimal('550.00'), 88)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from langchain_globalapi.catalog import Catalog
from langchain_globalapi.errors import CatalogError

__all__ = ["SpendEstimate", "SpendLine", "estimate_spend", "parse_token_count"]

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")
_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9}
_TOKENS = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s*([kmbg]?)\s*$", re.IGNORECASE)
_SHARE_TOLERANCE = Decimal("1e-6")


def parse_token_count(text: str | int) -> int:
    """Parse `100M`, `30m`, `250k`, `1.5B` or `1_000_000` into a token count.

    Example:
        >>> parse_token_count("1.5M")
        1500000
    """
    if isinstance(text, int):
        count = text
    else:
        match = _TOKENS.match(text)
        if match is None:
            msg = f"{text!r} is not a token count; write e.g. 100M, 250k or 1500000"
            raise ValueError(msg)
        number = Decimal(match.group(1).replace("_", "").replace(",", ""))
        count = int(number * _SUFFIX[match.group(2).lower()])
    if count < 0:
        msg = f"a token count cannot be negative, got {text!r}"
        raise ValueError(msg)
    return count


@dataclass(frozen=True)
class SpendLine:
    """One model's part of an estimate."""

    model: str
    share: Decimal
    input_tokens: Decimal
    output_tokens: Decimal
    input_usd: Decimal
    output_usd: Decimal

    @property
    def total_usd(self) -> Decimal:
        """Input plus output cost."""
        return self.input_usd + self.output_usd


@dataclass(frozen=True)
class SpendEstimate:
    """The cost of a token volume under a mix, beside the baseline model alone."""

    input_tokens: int
    output_tokens: int
    lines: tuple[SpendLine, ...]
    baseline: SpendLine

    @property
    def total_usd(self) -> Decimal:
        """The mix's cost, rounded to cents."""
        return sum((line.total_usd for line in self.lines), Decimal(0)).quantize(_CENT)

    @property
    def baseline_usd(self) -> Decimal:
        """The baseline model's cost for the same tokens, rounded to cents."""
        return self.baseline.total_usd.quantize(_CENT)

    @property
    def saving_usd(self) -> Decimal:
        """Baseline minus mix."""
        return self.baseline_usd - self.total_usd

    @property
    def saving_pct(self) -> float:
        """The saving as a percentage of the baseline (0 when the baseline costs nothing)."""
        if self.baseline_usd == 0:
            return 0.0
        return float(self.saving_usd / self.baseline_usd * 100)


def _share(model: str, value: float | str | Decimal) -> Decimal:
    try:
        share = Decimal(repr(value) if isinstance(value, float) else str(value))
    except (InvalidOperation, ValueError) as exc:
        msg = f"share for {model!r} is {value!r}, not a number between 0 and 1"
        raise CatalogError(msg) from exc
    if not share.is_finite() or not 0 <= share <= 1:
        msg = f"share for {model!r} is {value!r}; shares are fractions between 0 and 1"
        raise CatalogError(msg)
    return share


def _resolve(catalog: Catalog, name: str) -> str:
    model = catalog.tiers.get(name, name)
    info = catalog.get(model)
    if info is None:
        msg = (
            f"{name!r} is neither a tier ({', '.join(catalog.tiers)}) nor a model in the "
            f"catalog ({', '.join(catalog.ids())}); add it with Catalog.with_overrides()"
        )
        raise CatalogError(msg)
    return info.id


def _line(catalog: Catalog, model: str, share: Decimal, inp: int, out: int) -> SpendLine:
    info = catalog.require(model)
    in_tokens, out_tokens = Decimal(inp) * share, Decimal(out) * share
    return SpendLine(
        model=info.id,
        share=share,
        input_tokens=in_tokens,
        output_tokens=out_tokens,
        input_usd=in_tokens * info.input_per_mtok / _MILLION,
        output_usd=out_tokens * info.output_per_mtok / _MILLION,
    )


def estimate_spend(
    input_tokens: int | str,
    output_tokens: int | str,
    mix: Mapping[str, float | str | Decimal] | None = None,
    *,
    baseline: str | None = None,
    catalog: Catalog | None = None,
) -> SpendEstimate:
    """Estimate a month's spend for a token volume split over models.

    Args:
        input_tokens: input tokens per month (an int, or `"100M"`-style text).
        output_tokens: output tokens per month.
        mix: share of traffic per model id or tier name (`economy`, `flash`, `pro`);
            shares must sum to 1. Default: the article's 90% Flash / 10% Pro.
        baseline: the model to compare against (default: the catalog's reference, GPT-4o).
        catalog: prices (default: the built-in catalog).

    Raises:
        CatalogError: a share outside [0, 1], shares that do not sum to 1, or a name
            that is neither a tier nor a catalog model.
    """
    catalog = catalog or Catalog.default()
    inp, out = parse_token_count(input_tokens), parse_token_count(output_tokens)
    mix = mix if mix is not None else {"flash": 0.9, "pro": 0.1}
    if not mix:
        msg = "the mix is empty; give at least one model with share 1, e.g. {'flash': 1}"
        raise CatalogError(msg)
    shares: dict[str, Decimal] = {}
    for name, value in mix.items():
        model = _resolve(catalog, name)
        shares[model] = shares.get(model, Decimal(0)) + _share(name, value)
    total = sum(shares.values(), Decimal(0))
    if abs(total - 1) > _SHARE_TOLERANCE:
        msg = f"the mix's shares sum to {total}, not 1: {dict(mix)}"
        raise CatalogError(msg)
    lines = tuple(_line(catalog, model, share, inp, out) for model, share in shares.items())
    reference = _resolve(catalog, baseline or catalog.reference_model)
    return SpendEstimate(inp, out, lines, _line(catalog, reference, Decimal(1), inp, out))
