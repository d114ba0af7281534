"""The `globalapi` command: a demo, spend estimates, routing plans, benchmarks and calibration.

One module per command; each imports what it needs when it runs, so `globalapi --help`
loads click and nothing else (`benchmarks/import_time.py` measures it).
"""

from __future__ import annotations

import click

from langchain_globalapi.cli._common import EXIT_CODES_HELP
from langchain_globalapi.cli.bench import bench
from langchain_globalapi.cli.calibrate import calibrate
from langchain_globalapi.cli.dashboard import dashboard, report
from langchain_globalapi.cli.demo import demo
from langchain_globalapi.cli.estimate import estimate
from langchain_globalapi.cli.models import models
from langchain_globalapi.cli.plan import plan
from langchain_globalapi.cli.route import route

__all__ = ["main"]


class _InOrder(click.Group):
    """Lists commands in the order a newcomer meets them, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


_HELP = f"""Cut LLM spend with Global API: route, cache, fall back, and measure it.

Start with `globalapi demo` (no key needed), then `globalapi plan PROMPTS_FILE`.

\b
Environment:
  GLOBAL_API_KEY   key for the gateway (never read from OPENAI_API_KEY)
  GLOBAL_API_BASE  another OpenAI-compatible endpoint (default: the gateway)

{EXIT_CODES_HELP}
"""


@click.group(name="globalapi", cls=_InOrder, help=_HELP, context_settings={"max_content_width": 80})
@click.version_option(package_name="langchain-globalapi")
def main() -> None:
    """The `globalapi` command group."""


for _command in (demo, estimate, plan, route, models, bench, calibrate, dashboard, report):
    main.add_command(_command)
