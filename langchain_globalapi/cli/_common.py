"""What every `globalapi` command shares: exit codes, the error boundary, options, output.

Only click is imported here: `rich`, LangChain and the package's runtime modules are
imported inside the command that needs them, so `globalapi --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from rich.console import Console

    from langchain_globalapi.catalog import Catalog

__all__ = [
    "EXIT_FAILED_ITEMS",
    "EXIT_OK",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "CommandError",
    "CommandRuntimeError",
    "catalog_option",
    "console",
    "emit_json",
    "endpoint_options",
    "guarded",
    "json_option",
    "load_catalog",
    "parse_pairs",
    "resolve_thresholds",
    "token_option",
    "usd",
]

EXIT_OK = 0
EXIT_FAILED_ITEMS = 1  # a benchmark ran, but some of its items failed
EXIT_USAGE = 2  # bad input or configuration (click uses 2 for usage errors too)
EXIT_RUNTIME = 3  # the endpoint is unreachable, or another failure at run time

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  a benchmark ran but some items failed (the first causes are printed)
  2  bad input or configuration (file, option, key, catalog, model id)
  3  endpoint unreachable or another runtime error (rate limits, budgets)"""

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """Bad input or configuration: one line on stderr (`Error: ...`), exit code 2."""

    exit_code = EXIT_USAGE


class CommandRuntimeError(CommandError):
    """The endpoint is unreachable or a call failed at run time: one line, exit code 3."""

    exit_code = EXIT_RUNTIME


def _error(message: str, exit_code: int) -> CommandError:
    return CommandRuntimeError(message) if exit_code == EXIT_RUNTIME else CommandError(message)


_ENDPOINT_HINT = "check --base-url / GLOBAL_API_BASE and the network"


def _root_cause(exc: BaseException) -> str:
    seen: list[BaseException] = [exc]
    while (nxt := seen[-1].__cause__ or seen[-1].__context__) is not None and nxt not in seen:
        seen.append(nxt)
    return _one_line(str(seen[-1]), 80) if len(seen) > 1 else ""


def _sdk_error(exc: BaseException) -> CommandError | None:
    # Only modules already imported can have raised: nothing is imported to classify.
    openai = sys.modules.get("openai")
    if openai is None or not isinstance(exc, openai.OpenAIError):
        return None
    if isinstance(exc, openai.APIConnectionError):
        url = getattr(getattr(exc, "request", None), "url", None) or "the endpoint"
        cause = "timed out" if isinstance(exc, openai.APITimeoutError) else _root_cause(exc)
        why = f" ({cause})" if cause else ""
        return CommandRuntimeError(f"cannot reach {url}{why}: {_ENDPOINT_HINT}")
    if isinstance(exc, openai.AuthenticationError):
        msg = "the endpoint rejected the API key (HTTP 401): check GLOBAL_API_KEY or --api-key"
        return CommandError(msg)
    if isinstance(exc, openai.APIStatusError):
        msg = f"the endpoint answered HTTP {exc.status_code}: {_one_line(exc.message)}"
        return _error(msg, EXIT_USAGE if exc.status_code in {400, 404} else EXIT_RUNTIME)
    return CommandRuntimeError(_one_line(str(exc)))


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def as_command_error(exc: BaseException) -> CommandError | None:
    """The exit code and one-line message for an error a user can fix, else None (a bug).

    Example:
        >>> from langchain_globalapi.errors import CatalogError
        >>> error = as_command_error(CatalogError("price for 'x' must be a number"))
        >>> error.exit_code, error.message
        (2, "price for 'x' must be a number")
        >>> as_command_error(ZeroDivisionError()) is None
        True
    """
    errors = sys.modules.get("langchain_globalapi.errors")
    if errors is not None and isinstance(exc, errors.GlobalAPIError):
        unreachable = getattr(errors, "EndpointUnreachableError", None)
        usage = (ValueError, LookupError, errors.MissingAPIKeyError)
        fixable = isinstance(exc, usage) and not (unreachable and isinstance(exc, unreachable))
        return _error(_one_line(str(exc)), EXIT_USAGE if fixable else EXIT_RUNTIME)
    sdk = _sdk_error(exc)
    if sdk is not None:
        return sdk
    if isinstance(exc, ConnectionError):
        return CommandRuntimeError(f"{_one_line(str(exc))}: {_ENDPOINT_HINT}")
    if isinstance(exc, OSError):  # a file that cannot be read or written
        name = f" {exc.filename}" if exc.filename else ""
        return CommandError(f"cannot use{name}: {exc.strerror or exc}")
    return None


def guarded(command: F) -> F:
    """Turn errors a user can fix into one line and an exit code at the command boundary."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            error = as_command_error(exc)
            if error is None:
                raise  # a bug: the traceback is what a report needs
            raise error from exc

    return wrapper  # type: ignore[return-value]


def json_option(command: F) -> F:
    """`--json`: print machine-readable JSON on stdout instead of tables."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON on stdout instead of tables."
    )(command)


def endpoint_options(command: F) -> F:
    """`--base-url` and `--api-key`, defaulting to GLOBAL_API_BASE and GLOBAL_API_KEY."""
    command = click.option(
        "--api-key",
        envvar="GLOBAL_API_KEY",
        default=None,
        help="API key (default: $GLOBAL_API_KEY).",
    )(command)
    return click.option(
        "--base-url",
        envvar="GLOBAL_API_BASE",
        default=None,
        help="OpenAI-compatible endpoint (default: $GLOBAL_API_BASE, else the gateway).",
    )(command)


def catalog_option(command: F) -> F:
    """`--catalog FILE`: price overrides."""
    return click.option(
        "--catalog",
        "catalog_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="TOML/JSON file of price overrides.",
    )(command)


def _token_count(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    from langchain_globalapi.estimate import parse_token_count  # noqa: PLC0415

    try:
        return parse_token_count(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def token_option(flag: str, default: str, what: str) -> Callable[[F], F]:
    """A monthly token volume option (`100M`, `250k`, `1.5B`)."""
    return click.option(flag, default=default, show_default=True, callback=_token_count, help=what)


def parse_pairs(text: str | None, option: str) -> dict[str, float] | None:
    """`economy=0.5,flash=0.4` as a dict (`--target-mix`); None when not given.

    Example:
        >>> parse_pairs("economy=0.5, pro=0.5", "--target-mix")
        {'economy': 0.5, 'pro': 0.5}
    """
    if not text:
        return None
    pairs: dict[str, float] = {}
    for pair in text.split(","):
        name, sep, value = pair.strip().rpartition("=")
        try:
            pairs[name] = float(value)
        except ValueError:
            name = ""
        if not sep or not name:
            msg = f"takes NAME=SHARE pairs (economy=0.5,flash=0.4,...), got {pair!r}"
            raise click.BadParameter(msg, param_hint=option)
    return pairs


SCORER_OPTION = click.option(
    "--scorer", type=click.Choice(["learned", "heuristic", "length"]), default="learned",
    show_default=True, help="Complexity scorer.",
)  # fmt: skip
THRESHOLDS_OPTION = click.option(
    "--thresholds", default=None, metavar="CUTS",
    help="Cut points between tiers, cheapest first (0.2,0.3). Default: the scorer's.",
)  # fmt: skip
ROUTER_CONFIG_OPTION = click.option(
    "--router-config", type=click.Path(exists=True, dir_okay=False), default=None,
    help="Thresholds from a file written by `globalapi calibrate --write`.",
)  # fmt: skip


OUTCOMES_OPTION = click.option(
    "--outcomes", default=None, metavar="FILE|DB|URL",
    help="What the router learned from outcomes: a file saved with save_outcomes (.npz), or "
         "the SQLite file / redis:// URL shared with share_outcomes.",
)  # fmt: skip
TASK_OPTION = click.option(
    "--task", default=None, help="The request's task, as the router is told in `configurable`."
)


def apply_outcomes(router: Any, outcomes: str | None, namespace: str = "default") -> dict[str, Any]:
    """Load what was learned into `router`'s scorer; what was learned per task (JSON-ready)."""
    if outcomes is None:
        return {}
    scorer = router.scorer
    if outcomes.endswith(".npz"):
        scorer.load_outcomes(outcomes)
    else:
        scorer.share_outcomes(outcomes, namespace=namespace)
    return {
        task: {
            "outcomes": totals.outcomes,
            "cheap_ok": totals.cheap_ok,
            "strong_ok": totals.strong_ok,
            "rescued": totals.rescued,
        }
        for task, totals in sorted(scorer.outcomes.tasks().items())
    }


def render_learned(learned: dict[str, Any]) -> None:
    """What the router learned per task, as an 80-column table."""
    if not learned:
        return
    from rich.table import Table  # noqa: PLC0415 - rich loads when a table is drawn

    table = Table(title="learned from outcomes", title_justify="left", box=None)
    for column in ("task", "outcomes", "cheap held", "strong held", "rescued"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for task, totals in learned.items():
        n = totals["outcomes"] or 1.0
        table.add_row(
            task[:30],
            f"{totals['outcomes']:g}",
            f"{totals['cheap_ok'] / n:.0%}",
            f"{totals['strong_ok'] / n:.0%}",
            f"{totals['rescued'] / n:.0%}",
        )
    console().print(table)


def resolve_thresholds(text: str | None, config_path: str | None) -> list[float] | None:
    """Cut points from `--thresholds` or `--router-config`; None for the scorer's defaults."""
    if text and config_path:
        msg = "give --thresholds or --router-config, not both"
        raise click.UsageError(msg)
    if config_path:
        from langchain_globalapi.bench.replay import load_router_config  # noqa: PLC0415

        try:
            return [float(cut) for cut in load_router_config(config_path)["thresholds"]]
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{config_path} holds no [router] thresholds: write it with calibrate --write"
            raise CommandError(msg) from exc
    if not text:
        return None
    try:
        return [float(cut) for cut in text.split(",")]
    except ValueError as exc:
        msg = f"takes comma-separated cut points, e.g. 0.2,0.3; got {text!r}"
        raise click.BadParameter(msg, param_hint="--thresholds") from exc


def load_catalog(path: str | None) -> Catalog:
    """The built-in catalog, or one with the overrides of `path`."""
    from langchain_globalapi.catalog import Catalog  # noqa: PLC0415

    return Catalog.from_file(path) if path else Catalog.default()


def console() -> Console:
    """A rich console on stdout (imported here: only commands that draw tables pay for it)."""
    from rich.console import Console  # noqa: PLC0415

    return Console(highlight=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def emit_json(data: Any) -> None:
    """Print `data` as JSON (money as exact decimal strings) on stdout."""
    click.echo(json.dumps(data, indent=2, default=_plain, ensure_ascii=False))


def usd(amount: Decimal | float | None, digits: int = 2) -> str:
    """`$1,234.56`; amounts under a cent keep 3 significant digits; None is `n/a`.

    Example:
        >>> usd(Decimal("550")), usd(Decimal("0.000007681")), usd(0), usd(None)
        ('$550.00', '$0.00000768', '$0.00', 'n/a')
    """
    if amount is None:
        return "n/a"
    value = Decimal(str(amount))
    if value == 0 or abs(value) >= Decimal("0.01"):
        return f"${value:,.{digits}f}"
    rounded = value.quantize(Decimal(1).scaleb(value.adjusted() - 2))
    return f"${rounded:f}"
