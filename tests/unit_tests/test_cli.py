"""The `globalapi` command line."""

from __future__ import annotations

from click.testing import CliRunner

from langchain_globalapi.cli import main


def test_estimate_prints_the_article_numbers() -> None:
    result = CliRunner().invoke(main, ["estimate"])
    assert result.exit_code == 0, result.output
    assert "$66.10" in result.output
    assert "$550.00" in result.output
    assert "88%" in result.output


def test_estimate_takes_a_mix_and_volumes() -> None:
    result = CliRunner().invoke(
        main,
        ["estimate", "--input-tokens", "10M", "--output-tokens", "1M", "--mix", "economy=1"],
    )
    assert result.exit_code == 0, result.output
    assert "$1.90" in result.output  # 10M x 0.135 + 1M x 0.55


def test_estimate_rejects_a_mix_that_does_not_sum_to_one() -> None:
    result = CliRunner().invoke(main, ["estimate", "--mix", "flash=0.5"])
    assert result.exit_code == 2
    assert "sum to 0.5" in result.output


def test_estimate_rejects_a_bad_token_count() -> None:
    result = CliRunner().invoke(main, ["estimate", "--input-tokens", "lots"])
    assert result.exit_code == 2
    assert "not a token count" in result.output


def test_models_lists_the_catalog_without_a_key(monkeypatch) -> None:
    monkeypatch.delenv("GLOBAL_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0, result.output
    assert "GA-Economy" in result.output
    assert "GLOBAL_API_KEY" in result.output


def test_models_lists_live_ids_with_a_key(monkeypatch, fake_server) -> None:
    monkeypatch.setenv("GLOBAL_API_KEY", "k")
    monkeypatch.setenv("GLOBAL_API_BASE", fake_server.base_url)
    result = CliRunner().invoke(main, ["models"])
    assert result.exit_code == 0, result.output
    assert "Qwen/Qwen3-32B" in result.output
    assert "models at" in result.output
