"""`python -m langchain_globalapi.cli`: the `globalapi` command without the console script."""

from langchain_globalapi.cli import main

main(prog_name="globalapi")
