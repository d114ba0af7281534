r"""Reading the package's input files so that every problem names the file and the line.

Catalog overrides, golden sets, prompt files, router configs and scorer weights are
written by people. A bad byte, a stray comma or a list where a table belongs must come
back as the package's own error with `path:line` and what was expected, never as a bare
`UnicodeDecodeError`, `JSONDecodeError`, `KeyError` or `AttributeError`.

Each reader takes `fail(message, line)`, which builds the caller's error type
(`located(CatalogError, path)` for the common case); `line` is 1-based or `None` when it
cannot be known.

Example:
    >>> from langchain_globalapi.errors import CatalogError
    >>> fail = located(CatalogError, "prices.json")
    >>> parse_json('{"models": {\n  "x": {"input": 1,}\n}}', fail)
    Traceback (most recent call last):
    ...
    langchain_globalapi.errors.CatalogError: prices.json:2: not valid JSON: Expecting property name enclosed in double quotes (column 20)
"""  # noqa: E501

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_globalapi.errors import GlobalAPIError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

__all__ = [
    "Fail",
    "at_line",
    "jsonl_lines",
    "line_mentioning",
    "located",
    "parse_json",
    "parse_toml",
    "read_bytes",
    "read_text",
]

#: Builds the caller's error from a message and a 1-based line (or None).
Fail = Callable[[str, "int | None"], GlobalAPIError]

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def located(error: Callable[[str], GlobalAPIError], path: str | Path) -> Fail:
    """A `Fail` that prefixes messages with `path:line: ` (or `path: `).

    Example:
        >>> from langchain_globalapi.errors import PromptFileError
        >>> str(located(PromptFileError, "p.txt")("empty", 3))
        'p.txt:3: empty'
    """

    def fail(message: str, line: int | None) -> GlobalAPIError:
        where = f"{path}:{line}" if line is not None else f"{path}"
        return error(f"{where}: {message}")

    return fail


def at_line(fail: Fail, line: int) -> Fail:
    """`fail` with every error put on `line` (for a text parsed on its own, like a JSONL line).

    Example:
        >>> from langchain_globalapi.errors import PromptFileError
        >>> str(at_line(located(PromptFileError, "p.jsonl"), 7)("bad", 1))
        'p.jsonl:7: bad'
    """

    def on_line(message: str, _: int | None) -> GlobalAPIError:
        return fail(message, line)

    return on_line


def _undecodable(path: str | Path, bad_byte: int, column: int) -> str:
    return (
        f"not valid UTF-8 (byte 0x{bad_byte:02x} at column {column}); "
        f"save {Path(path).name} as UTF-8"
    )


def read_bytes(path: str | Path, fail: Fail, *, what: str) -> bytes:
    """The file's bytes; a missing, unreadable or directory path is `fail(...)`."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read this {what}: {exc.strerror or exc}", None) from exc


def read_text(path: str | Path, fail: Fail, *, what: str) -> str:
    r"""The file as UTF-8 text (a BOM is dropped); a bad byte fails on its own line.

    Example:
        >>> import tempfile, os
        >>> from langchain_globalapi.errors import CatalogError
        >>> path = os.path.join(tempfile.mkdtemp(), "c.toml")
        >>> _ = open(path, "wb").write(b"ok = 1\nname = 'caf\xe9'\n")
        >>> read_text(path, located(CatalogError, "c.toml"), what="catalog file")
        Traceback (most recent call last):
        ...
        langchain_globalapi.errors.CatalogError: c.toml:2: not valid UTF-8 (byte 0xe9 at column 12); save c.toml as UTF-8
    """  # noqa: E501
    raw = read_bytes(path, fail, what=what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise fail(_undecodable(path, raw[exc.start], column), line) from exc


def jsonl_lines(path: str | Path, fail: Fail, *, what: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, text) of every non-blank line, each decoded as UTF-8."""
    raw = read_bytes(path, fail, what=what)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    for number, line in enumerate(raw.splitlines(), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(_undecodable(path, line[exc.start], exc.start + 1), number) from exc
        if text.strip():
            yield number, text


def parse_json(text: str, fail: Fail, *, first_line: int = 1) -> Any:
    """`json.loads`, with a syntax error reported at its line (offset by `first_line`)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        line = exc.lineno + first_line - 1
        raise fail(f"not valid JSON: {exc.msg} (column {exc.colno})", line) from exc
    except RecursionError as exc:
        raise fail("not valid JSON: nested too deeply", None) from exc


def parse_toml(text: str, fail: Fail) -> dict[str, Any]:
    """`tomllib.loads`, with a syntax error reported at its line."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        line = int(found.group(1)) if found else None
        if line is None and "end of document" in str(exc):
            line = max(text.count("\n"), 1)
        message = _TOML_POSITION.sub("", str(exc)).replace("(at end of document)", "").strip()
        column = f" (column {found.group(2)})" if found else ""
        raise fail(f"not valid TOML: {message}{column}", line) from exc
    return data


def line_mentioning(text: str, needle: str, *, start: int = 1) -> int | None:
    r"""The first line at or after `start` holding `needle` (for errors found after parsing).

    Example:
        >>> line_mentioning('[models."a"]\ninput = 1\n[models."b"]\n', '"b"')
        3
    """
    for number, line in enumerate(text.splitlines()[start - 1 :], start=start):
        if needle in line:
            return number
    return None
