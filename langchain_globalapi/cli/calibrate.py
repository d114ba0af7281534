"""`globalapi calibrate`: router thresholds from your own prompts or recorded benchmark results.

Two ways, both offline:

- **A tier mix** on a prompts file: cut points at the score quantiles that split the file
  into the mix (`--target-mix economy=0.5,flash=0.35,pro=0.15`).
- **A quality target** on recorded results (`--results`, from `globalapi bench --resume`):
  the cheapest cut points whose replayed quality stays within `--within-points` of the
  reference tier, or a mix, evaluated on what each tier really answered.

`--write router.toml` saves them; `globalapi plan --router-config router.toml` and
`load_router_config()` read them back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from langchain_globalapi.cli._common import (
    SCORER_OPTION,
    CommandError,
    emit_json,
    guarded,
    json_option,
    parse_pairs,
    usd,
)

if TYPE_CHECKING:
    from langchain_globalapi.bench.replay import Calibration

__all__ = ["calibrate"]


def _tiers(pairs: tuple[str, ...]) -> dict[str, str]:
    if not pairs:
        from langchain_globalapi.catalog import DEFAULT_TIERS  # noqa: PLC0415

        return dict(DEFAULT_TIERS)
    tiers: dict[str, str] = {}
    for pair in pairs:
        name, sep, model = pair.partition("=")
        if not sep or not name or not model:
            msg = f"takes TIER=MODEL (e.g. economy=GA-Economy), got {pair!r}"
            raise click.BadParameter(msg, param_hint="--tier")
        tiers[name] = model
    return tiers


def _mix_text(mix: dict[str, float]) -> str:
    return ", ".join(f"{tier} {share:.0%}" for tier, share in mix.items())


def _from_prompts(path: str, scorer: str, mix: dict[str, float]) -> dict[str, Any]:
    from langchain_globalapi.routing.plan import load_prompts, offline_router  # noqa: PLC0415

    prompts = load_prompts(path)
    router = offline_router(scorer)
    realized = router.calibrate([p.model_input for p in prompts], mix)
    thresholds = list(router.thresholds or ())  # exact: a rounded cut can move a tie
    return {
        "router": {"tiers": list(router.tiers), "thresholds": thresholds, "scorer": scorer},
        "calibration": {"method": "target_mix", "target": mix, "n": len(prompts),
                        "mix": realized},
    }  # fmt: skip


def _from_results(  # noqa: PLR0917 - the command's options, passed on
    golden: str,
    results: str,
    tiers: dict[str, str],
    scorer: str,
    router_label: str | None,
    within_points: float | None,
    mix: dict[str, float] | None,
) -> Calibration:
    from langchain_globalapi.bench.golden import GoldenSet  # noqa: PLC0415
    from langchain_globalapi.bench.replay import Replay, calibrate  # noqa: PLC0415
    from langchain_globalapi.bench.runner import load_results  # noqa: PLC0415
    from langchain_globalapi.routing.plan import scorer_named  # noqa: PLC0415

    records = load_results(results)
    if not records:
        msg = f"{results} holds no benchmark records: write it with globalapi bench --resume"
        raise CommandError(msg)
    labels = {r.model for r in records}
    missing = [model for model in tiers.values() if model not in labels]
    if missing:
        msg = (
            f"{results} has no records of {missing}; it has {sorted(labels)}. "
            "Map tiers to benchmarked models with --tier TIER=MODEL"
        )
        raise CommandError(msg)
    scores = None
    if router_label is None:
        items = list(GoldenSet.load(golden))
        values = scorer_named(scorer).score_batch([list(item.messages) for item in items])
        scores = {item.id: value for item, value in zip(items, values, strict=True)}
    try:
        replay = Replay.from_records(records, tiers=tiers, router=router_label, scores=scores)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    return calibrate(replay, within_points=within_points, target_mix=mix)


def _print(config: dict[str, Any], source: str, written: str | None) -> None:
    router, found = config["router"], config["calibration"]
    target = (
        f"quality within {found['target']:g} points of the reference tier"
        if found["method"] == "within_points"
        else f"tier mix {_mix_text(found['target'])}"
    )
    cuts = " / ".join(f"{cut:.3g}" for cut in router["thresholds"]) or "none"
    lines = [
        f"Calibrated on {found['n']} items of {source}:",
        f"  target      {target}",
        f"  thresholds  {cuts}",
        f"  tier mix    {_mix_text(found['mix'])}",
    ]
    if "quality" in found:
        saved = "n/a" if math.isnan(found["savings"]) else f"{found['savings']:.0%}"
        lines += [
            f"  quality     {found['quality']:.3f} (reference {found['reference_quality']:.3f},"
            f" {found['gap_points']:.1f} points below)",
            f"  cost/item   {usd(found['cost_per_item'])} (reference "
            f"{usd(found['reference_cost_per_item'])}; {saved} saved)",
        ]
    if written:
        lines.append(f"Written to {written}: globalapi plan FILE --router-config {written}")
    for line in lines:
        click.echo(line)


_HELP = """Calibrate router thresholds on FILE (offline) and print them.

\b
On a prompts file, for a tier mix:
  globalapi calibrate prompts.jsonl --target-mix economy=0.5,flash=0.3,pro=0.2
On a golden set with each tier's recorded results, for quality:
  globalapi calibrate golden.jsonl --results results.jsonl --within-points 2

--write router.toml saves them for `globalapi plan --router-config router.toml`
and `load_router_config()`.
"""


@click.command(
    help=_HELP, short_help="Router thresholds for a tier mix or a quality target (offline)."
)
@click.argument("prompts_file", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--target-mix", default=None, metavar="TIER=SHARE,...",
              help="Hit this tier mix, e.g. economy=0.5,flash=0.35,pro=0.15.")  # fmt: skip
@click.option("--results", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Recorded results (JSONL from `bench --resume`) of each tier's "
                   "model on the golden set FILE.")  # fmt: skip
@click.option("--within-points", type=click.FloatRange(min=0), default=None,
              help="With --results: cheapest cuts within this many quality points "
                   "of the reference tier.")  # fmt: skip
@click.option("--tier", "tier_pairs", multiple=True, metavar="TIER=MODEL",
              help="With --results: a tier and its model in the results, cheapest "
                   "first; repeat. Default: the catalog's tiers.")  # fmt: skip
@click.option("--router", "router_label", default=None,
              help="With --results: use the scores this router run stamped instead "
                   "of scoring FILE.")  # fmt: skip
@SCORER_OPTION
@click.option("--write", "write_path", type=click.Path(dir_okay=False), default=None,
              help="Save the thresholds as TOML (.toml) or JSON.")  # fmt: skip
@json_option
@guarded
def calibrate(  # noqa: PLR0917 - click passes every option positionally
    prompts_file: str,
    target_mix: str | None,
    results: str | None,
    within_points: float | None,
    tier_pairs: tuple[str, ...],
    router_label: str | None,
    scorer: str,
    write_path: str | None,
    as_json: bool,
) -> None:
    """The `globalapi calibrate` command (its help is `_HELP`)."""
    mix = parse_pairs(target_mix, "--target-mix")
    if results is None:
        if within_points is not None or tier_pairs or router_label:
            msg = "--within-points, --tier and --router need --results (recorded answers)"
            raise click.UsageError(msg)
        if mix is None:
            msg = "give --target-mix for a tier mix, or --results with --within-points"
            raise click.UsageError(msg)
        config = _from_prompts(prompts_file, scorer, mix)
    else:
        if (within_points is None) == (mix is None):
            msg = "with --results, give exactly one of --within-points or --target-mix"
            raise click.UsageError(msg)
        found = _from_results(
            prompts_file, results, _tiers(tier_pairs), scorer, router_label, within_points, mix
        )
        config = found.as_config()
        config["router"]["scores"] = f"router run {router_label}" if router_label else scorer
    if write_path:
        from langchain_globalapi.bench.replay import write_router_config  # noqa: PLC0415

        write_router_config(config, write_path)
    if as_json:
        emit_json({**config, "written": write_path})
        return
    _print(config, click.format_filename(prompts_file, shorten=True), write_path)
