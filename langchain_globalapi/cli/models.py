"""`globalapi models`: the price catalog, and the endpoint's live model ids when a key is set."""

from __future__ import annotations

from typing import Any

import click

from langchain_globalapi.cli._common import (
    CommandError,
    catalog_option,
    console,
    emit_json,
    endpoint_options,
    guarded,
    json_option,
    load_catalog,
)

__all__ = ["models"]


@click.command(short_help="The price catalog, and the endpoint's live model ids.")
@catalog_option
@click.option("--live/--no-live", default=None,
              help="Also list the endpoint's models (default: when a key is set).")  # fmt: skip
@endpoint_options
@json_option
@guarded
def models(
    catalog_path: str | None,
    live: bool | None,
    base_url: str | None,
    api_key: str | None,
    as_json: bool,
) -> None:
    """List the price catalog, and the endpoint's live model ids when a key is set."""
    catalog = load_catalog(catalog_path)
    if live is None:
        live = bool(api_key)
    if live and not api_key:
        msg = "GLOBAL_API_KEY is not set: export it (or pass --api-key) to list live models"
        raise CommandError(msg)
    live_ids: list[str] | None = None
    if live:
        from langchain_globalapi.catalog import fetch_model_ids  # noqa: PLC0415
        from langchain_globalapi.chat_models import DEFAULT_BASE_URL  # noqa: PLC0415

        base_url = base_url or DEFAULT_BASE_URL
        live_ids = fetch_model_ids(api_key=str(api_key), base_url=base_url)
    if as_json:
        data: dict[str, Any] = {
            "catalog": [
                {
                    "id": info.id,
                    "name": info.display_name or info.id,
                    "tier": catalog.tier_of(info.id),
                    "reference": info.id == catalog.reference_model,
                    "input_per_mtok": info.input_per_mtok,
                    "cached_input_per_mtok": info.cached_input_per_mtok,
                    "output_per_mtok": info.output_per_mtok,
                    "context_window": info.context_window,
                }
                for info in catalog
            ],
            "live": None
            if live_ids is None
            else {
                "base_url": base_url,
                "models": [{"id": i, "priced": catalog.get(i) is not None} for i in live_ids],
            },
        }
        emit_json(data)
        return
    from langchain_globalapi.cli._render import render_catalog  # noqa: PLC0415

    out = console()
    render_catalog(out, catalog)
    if live_ids is None:
        out.print("[dim]Set GLOBAL_API_KEY (or pass --live) to list the endpoint's models.[/]")
        return
    priced = sum(catalog.get(model_id) is not None for model_id in live_ids)
    out.print(f"{len(live_ids)} models at {base_url} ({priced} priced in the catalog):")
    for model_id in live_ids:
        out.print(f"  {model_id}" + ("" if catalog.get(model_id) else "  [dim](no price)[/]"))
