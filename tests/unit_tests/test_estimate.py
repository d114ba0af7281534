"""The spend estimator: the article's spreadsheet as an API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from langchain_globalapi import CatalogError, estimate_spend
from langchain_globalapi.estimate import parse_token_count


def test_article_numbers_gpt4o_550_mix_66_10_saving_88_percent() -> None:
    est = estimate_spend(100_000_000, 30_000_000, {"flash": 0.9, "pro": 0.1})
    assert est.baseline_usd == Decimal("550.00")
    assert est.total_usd == Decimal("66.10")
    assert round(est.saving_pct) == 88
    flash, pro = est.lines
    assert (flash.input_usd, flash.output_usd) == (Decimal("24.30"), Decimal("29.70"))
    assert (pro.input_usd, pro.output_usd) == (Decimal("5.50"), Decimal("6.60"))


def test_default_mix_is_the_articles() -> None:
    assert estimate_spend("100M", "30M").total_usd == Decimal("66.10")


def test_model_ids_and_other_baselines_work() -> None:
    est = estimate_spend(
        "1M", "1M", {"GA-Economy": "0.5", "Qwen/Qwen3-32B": "0.5"}, baseline="THUDM/GLM-4-Plus"
    )
    assert est.total_usd == Decimal("1.09")
    assert est.baseline_usd == Decimal("1.00")
    assert est.saving_usd == Decimal("-0.09")


def test_shares_that_do_not_sum_to_one_are_an_error() -> None:
    with pytest.raises(CatalogError, match=r"sum to 0\.8"):
        estimate_spend(1, 1, {"flash": 0.5, "pro": 0.3})


def test_unknown_model_in_mix_is_an_error_naming_tiers() -> None:
    with pytest.raises(CatalogError, match="economy, flash, pro"):
        estimate_spend(1, 1, {"mystery": 1})


def test_negative_share_is_an_error() -> None:
    with pytest.raises(CatalogError, match="between 0 and 1"):
        estimate_spend(1, 1, {"flash": 1.5, "pro": -0.5})


@pytest.mark.parametrize(
    ("text", "count"), [("100M", 100_000_000), ("250k", 250_000), ("1.5B", 1_500_000_000),
                        ("1_000", 1000), ("12,345", 12345)],
)  # fmt: skip
def test_token_counts_parse_suffixes(text: str, count: int) -> None:
    assert parse_token_count(text) == count


def test_bad_token_count_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a token count"):
        parse_token_count("lots")
