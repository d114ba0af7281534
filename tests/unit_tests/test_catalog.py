"""The price catalog: built-in prices, lookups, overrides from code and files."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from langchain_globalapi import Catalog, CatalogError, ModelInfo
from langchain_globalapi.catalog import fetch_model_ids

ARTICLE = {
    "deepseek-ai/DeepSeek-V4-Flash": ("0.27", "1.10", 128_000),
    "deepseek-ai/DeepSeek-V4-Pro": ("0.55", "2.20", 200_000),
    "Qwen/Qwen3-32B": ("0.30", "1.20", 32_000),
    "THUDM/GLM-4-Plus": ("0.20", "0.80", 128_000),
    "gpt-4o": ("2.50", "10.00", 128_000),
}


@pytest.mark.parametrize(("model", "expected"), ARTICLE.items())
def test_builtin_prices_match_the_article(model: str, expected: tuple[str, str, int]) -> None:
    info = Catalog.default().require(model)
    assert (info.input_per_mtok, info.output_per_mtok, info.context_window) == (
        Decimal(expected[0]),
        Decimal(expected[1]),
        expected[2],
    )


def test_economy_tier_is_half_the_flash_price() -> None:
    catalog = Catalog.default()
    economy, flash = catalog.require("GA-Economy"), catalog.require("deepseek-ai/DeepSeek-V4-Flash")
    assert economy.input_per_mtok == flash.input_per_mtok / 2
    assert economy.output_per_mtok == flash.output_per_mtok / 2
    assert catalog.tiers == {
        "economy": "GA-Economy",
        "flash": "deepseek-ai/DeepSeek-V4-Flash",
        "pro": "deepseek-ai/DeepSeek-V4-Pro",
    }


@pytest.mark.parametrize(
    "name", ["gpt-4o-2024-08-06", "GPT-4o", "openai/gpt-4o", "DeepSeek-V4-Flash"]
)
def test_lookup_forgives_case_dates_and_prefixes(name: str) -> None:
    assert Catalog.default().get(name) is not None


def test_unknown_model_has_no_price_not_zero() -> None:
    catalog = Catalog.default()
    assert catalog.get("mystery/model") is None
    assert catalog.cost("mystery/model", input_tokens=10, output_tokens=10) is None


def test_cached_input_tokens_use_the_cached_price() -> None:
    gpt4o = Catalog.default().require("gpt-4o")
    full = gpt4o.cost(input_tokens=1_000_000, output_tokens=0)
    half_cached = gpt4o.cost(input_tokens=1_000_000, output_tokens=0, cached_input_tokens=500_000)
    assert full == Decimal("2.50")
    assert half_cached == Decimal("1.875")


def test_overrides_from_code_add_and_replace() -> None:
    catalog = Catalog.default().with_overrides(
        {"gpt-4o": {"input": "2.00"}, "acme/new": {"input": 1, "output": "3.5"}}
    )
    assert catalog.require("gpt-4o").input_per_mtok == Decimal("2.00")
    assert catalog.require("gpt-4o").output_per_mtok == Decimal("10.00")
    assert catalog.require("acme/new").output_per_mtok == Decimal("3.5")


def test_new_model_override_needs_both_prices() -> None:
    with pytest.raises(CatalogError, match="needs both prices"):
        Catalog.default().with_overrides({"acme/new": {"input": "1"}})


@pytest.mark.parametrize("bad", ["-1", "abc", "nan"])
def test_bad_price_is_a_clear_error(bad: str) -> None:
    with pytest.raises(CatalogError, match="gpt-4o"):
        Catalog.default().with_overrides({"gpt-4o": {"input": bad}})


def test_unknown_field_lists_valid_fields() -> None:
    with pytest.raises(CatalogError, match="valid fields"):
        Catalog.default().with_overrides({"gpt-4o": {"inptu": "1"}})


def test_overrides_from_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        '[models."gpt-4o"]\ninput = "2.00"\n\n[models."acme/x"]\ninput = "0.1"\noutput = "0.2"\n'
        'context_window = 8192\n\n[tiers]\neconomy = "acme/x"\nflash = "gpt-4o"\n'
    )
    catalog = Catalog.from_file(path)
    assert catalog.require("gpt-4o").input_per_mtok == Decimal("2.00")
    assert catalog.require("acme/x").context_window == 8192
    assert catalog.tier_of("acme/x") == "economy"


def test_overrides_from_json_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"acme/y": {"input": "1", "output": "2"}}}))
    assert Catalog.from_file(path).require("acme/y").input_per_mtok == Decimal("1")


def test_malformed_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[models\n")
    with pytest.raises(CatalogError, match=r"broken\.toml"):
        Catalog.from_file(path)


def test_tiers_must_name_priced_models() -> None:
    with pytest.raises(CatalogError, match="not in the catalog"):
        Catalog.default().with_tiers({"flash": "mystery/model"})


def test_model_info_entries_can_be_passed_whole() -> None:
    info = ModelInfo("acme/z", Decimal("1"), Decimal("2"), context_window=1000)
    assert Catalog.default().with_overrides({"acme/z": info}).require("acme/z") == info


def test_discovery_lists_gateway_models(fake_server) -> None:
    ids = fetch_model_ids(api_key="k", base_url=fake_server.base_url)
    assert "deepseek-ai/DeepSeek-V4-Flash" in ids
    catalog = Catalog.default().with_discovered(ids)
    assert "gpt-4o" in catalog.discovered
