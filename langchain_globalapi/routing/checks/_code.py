"""The code check: unparseable code, an unclosed fence, placeholders, asked-for code missing.

Reads the answer's first :data:`~langchain_globalapi.routing.checks.MAX_CODE_BLOCKS` fenced blocks:

- **Python** (``python``/``py`` fences, or an unlabelled block that starts like Python) is parsed
  with :func:`ast.parse` while the blocks fit in :data:`PYTHON_PARSE_CHARS` (parsing costs about
  0.1 ms per KB); longer Python falls back to the bracket test. JSON blocks are loaded.
- **Other languages** (C-family, JavaScript, Go, Rust, SQL, ...): brackets must balance once
  strings and comments are removed, within :data:`BRACKET_SCAN_CHARS`. Prose, shell, markup and
  data fences (``text``, ``bash``, ``html``, ``yaml``, ...) are not tested: unbalanced brackets
  are normal there.
- **Unclosed fence**: an odd number of fences.
- **Placeholders**, when the question asks for code: ``...`` or ``# ...`` alone on a line,
  ``TODO``/``FIXME``, "your code here", a Python function whose body is only ``pass`` or ``...``.
- **No code**, when the question asks for code and the answer has no fence and no line that
  looks like code.
"""

from __future__ import annotations

import ast
import json
import re
import warnings

from langchain_globalapi.routing.checks._base import (
    AnswerCheck,
    CheckContext,
    CheckResult,
    result_of_findings,
)
from langchain_globalapi.routing.checks._view import AnswerView, CodeBlock

__all__ = ["BRACKET_SCAN_CHARS", "PYTHON_PARSE_CHARS", "CodeCheck", "code_problem"]

#: Python blocks are parsed while their total length stays within this many characters.
PYTHON_PARSE_CHARS = 1500
#: Brackets are counted in at most this many characters of code per answer.
BRACKET_SCAN_CHARS = 6_000

_PYTHON = frozenset(("python", "py", "python3", "py3", "ipython", "pycon", "sage"))
_JSON = frozenset(("json", "jsonc", "json5"))
# Fences whose content may legitimately leave brackets open (prose, shells, markup, data, diffs).
_NOT_CHECKED = frozenset(
    (
        "text", "txt", "plaintext", "markdown", "md", "bash", "sh", "shell", "zsh", "console",
        "powershell", "ps1", "bat", "cmd", "output", "log", "html", "xml", "svg", "yaml", "yml",
        "toml", "ini", "csv", "tsv", "diff", "patch", "latex", "tex", "mermaid", "dot", "regex",
        "makefile", "make", "dockerfile", "env", "properties", "http", "graphql", "vue", "jsx",
        "tsx", "perl", "sql",
    )
)  # fmt: skip
_LOOKS_PYTHON = re.compile(r"(?m)^(?:def \w+\(|class \w+[:(]|import \w|from [\w.]+ import )")
# Strings and comments are removed before brackets are counted, per language family: C-like
# languages have one-character '' literals (Rust lifetimes are not strings), scripts have ''
# strings, and some scripts also # comments.
_DOUBLE = r'"(?:\\.|[^"\\\n])*"|`[^`]*`|//[^\n]*|/\*.*?(?:\*/|\Z)'
_SCRIPT_STRINGS = r"'(?:\\.|[^'\\\n])*'"
_STRIPPED_C = re.compile(rf"{_DOUBLE}|'(?:\\.|[^'\\\n])'", re.DOTALL)
_STRIPPED_SCRIPT = re.compile(rf"{_DOUBLE}|{_SCRIPT_STRINGS}", re.DOTALL)
_STRIPPED_HASH_SCRIPT = re.compile(rf"{_DOUBLE}|{_SCRIPT_STRINGS}|#[^\n]*", re.DOTALL)
_SCRIPTS = frozenset(("javascript", "js", "typescript", "ts", "node", "lua", "dart"))
_HASH_SCRIPTS = frozenset(("php", "ruby", "rb", "r", "julia", "elixir", "nim", "coffeescript"))
_STRIPPED_PYTHON = re.compile(
    r'"""(?:.|\n)*?(?:"""|\Z)|\'\'\'(?:.|\n)*?(?:\'\'\'|\Z)|"(?:\\.|[^"\\\n])*"'
    r"|'(?:\\.|[^'\\\n])*'|#[^\n]*"
)
_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"))
_ELLIPSIS_LINE = re.compile(
    r"(?m)^[ \t]*(?:(?:#|//|/\*|--)[ \t]*)?(?:\.\.\.|…)[ \t]*(?:\*/)?[ \t]*$"
)
_PLACEHOLDER_PHRASES = (
    "your code here",
    "your logic here",
    "your implementation here",
    "code goes here",
    "rest of the code",
    "rest of your code",
    "rest of the implementation",
    "implement this",
    "implement me",
)
_CODE_LINE = re.compile(
    r"(?m)^[ \t]*(?:def |class |function |import |from [\w.]+ import |return\b|public |private |"
    r"#include|const |let |var |fn |func |package |SELECT |CREATE |for ?\(|if ?\(|while ?\()"
)


def _bracket_problem(code: str, language: str) -> str | None:
    if language in _PYTHON:
        pattern = _STRIPPED_PYTHON
    elif language in _HASH_SCRIPTS:
        pattern = _STRIPPED_HASH_SCRIPT
    elif language in _SCRIPTS:
        pattern = _STRIPPED_SCRIPT
    else:
        pattern = _STRIPPED_C
    if all(code.count(opener) == code.count(closer) for opener, closer in _PAIRS):
        return None  # balanced as written: strings and comments rarely balance a broken block
    stripped = pattern.sub(" ", code)
    for opener, closer in _PAIRS:
        opened, closed = stripped.count(opener), stripped.count(closer)
        if opened != closed:
            if opened > closed:
                return f"{opened - closed} unclosed {opener!r}"
            return f"{closed - opened} unmatched {closer!r}"
    return None


def _placeholder(code: str) -> str | None:
    """A placeholder marker in the code (substring tests first: they run at C speed)."""
    for marker in ("TODO", "FIXME"):
        if marker in code:
            return marker
    if ("..." in code or "…" in code) and (line := _ELLIPSIS_LINE.search(code)) is not None:
        return line.group().strip()
    if "here" in code or "implement" in code or "rest of" in code:
        lower = code.lower()
        for phrase in _PLACEHOLDER_PHRASES:
            if phrase in lower:
                return phrase
    return None


def _placeholder_functions(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
                and len(body) > 1
            ):
                body = body[1:]  # a docstring, then the real body
            if len(body) == 1 and (
                isinstance(body[0], ast.Pass)
                or (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and body[0].value.value is Ellipsis)
            ):  # fmt: skip
                names.append(node.name)
    return names


def code_problem(
    block: CodeBlock, python_budget: int, *, want_placeholders: bool = False
) -> tuple[str | None, str | None, int]:
    r"""What is wrong with one code block: ``(problem, placeholder, python characters parsed)``.

    Example:
        >>> code_problem(CodeBlock("python", "def f(:\n", True), 2500)[0]
        'Python does not parse: invalid syntax (line 1)'
        >>> code_problem(CodeBlock("js", "f(a, b) { return a; }", True), 2500)[0] is None
        True
    """
    language, code = block.language.split()[0] if block.language else "", block.code
    if not code.strip() or language in _NOT_CHECKED:
        return None, None, 0
    placeholder = _placeholder(code) if want_placeholders else None
    is_python = language in _PYTHON or (
        not language
        and ("def " in code or "import " in code or "class " in code)
        and _LOOKS_PYTHON.search(code) is not None
    )
    if is_python and len(code) <= python_budget:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escape sequences and the like
                tree = ast.parse(code)
        except SyntaxError as error:
            return (
                f"Python does not parse: {error.msg} (line {error.lineno})",
                placeholder,
                len(code),
            )
        except (ValueError, MemoryError, RecursionError):  # null bytes, absurd nesting
            return "Python does not parse", placeholder, len(code)
        if want_placeholders and placeholder is None and ("pass" in code or "..." in code):
            empty = _placeholder_functions(tree)
            if empty:
                placeholder = f"def {empty[0]}(...): pass"
        return None, placeholder, len(code)
    if language in _JSON and len(code) <= BRACKET_SCAN_CHARS:
        try:
            json.loads(code)
        except ValueError as error:
            return f"JSON does not parse: {error}", placeholder, 0
        except RecursionError:
            return "JSON nests too deep to parse", placeholder, 0
        return None, placeholder, 0
    if not language:
        return None, placeholder, 0  # unlabelled and not Python: output, prose, pseudo-code
    problem = _bracket_problem(code, "python" if is_python else language)
    return (f"brackets do not balance: {problem}" if problem else None), placeholder, 0


class CodeCheck(AnswerCheck):
    r"""Flag code that does not parse, an unclosed fence, placeholders and missing code.

    Args:
        parse_risk: Risk of a block that does not parse or whose brackets do not balance.
        unclosed_fence_risk: Risk of an odd number of fences.
        placeholder_risk: Risk of placeholder code when code was asked for.
        no_code_risk: Risk of no code at all when code was asked for.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> answer = AIMessage(content="```python\ndef add(a, b):\n    return a + b\n```")
        >>> CodeCheck()("Write a Python function that adds two numbers", answer).risk
        0.0
        >>> answer = AIMessage(content="```python\ndef add(a, b):\n    pass\n```")
        >>> CodeCheck()("Write a Python function that adds two numbers", answer).reason
        'placeholder code: def add(...): pass'
    """

    name = "code"

    def __init__(
        self,
        *,
        parse_risk: float = 0.8,
        unclosed_fence_risk: float = 0.7,
        placeholder_risk: float = 0.6,
        no_code_risk: float = 0.5,
    ) -> None:
        self.parse_risk = parse_risk
        self.unclosed_fence_risk = unclosed_fence_risk
        self.placeholder_risk = placeholder_risk
        self.no_code_risk = no_code_risk

    def evaluate(self, view: AnswerView, context: CheckContext | None = None) -> CheckResult:
        """Test each fenced block, the fences, and (when code was asked for) its completeness."""
        blocks = view.code_blocks
        asks_code = view.asks_code
        if not blocks:
            if asks_code and view.text.strip() and _CODE_LINE.search(view.window) is None:
                return CheckResult(
                    self.name, self.no_code_risk, "code was asked for and the answer has none"
                )
            return CheckResult.skipped(self.name, "no code in the answer")
        findings: list[tuple[float, str]] = []
        if view.fence_count is not None and view.fence_count % 2 == 1:
            findings.append((self.unclosed_fence_risk, "a code fence is never closed"))
        python_budget, scanned = PYTHON_PARSE_CHARS, 0
        for number, block in enumerate(blocks, start=1):
            if scanned + len(block.code) > BRACKET_SCAN_CHARS:
                break  # the rest is not read: the scan is bounded
            scanned += len(block.code)
            problem, placeholder, parsed = code_problem(
                block, python_budget, want_placeholders=asks_code
            )
            python_budget -= parsed
            if problem is not None and block.closed:
                findings.append((self.parse_risk, f"code block {number}: {problem}"))
            if placeholder is not None:
                findings.append((self.placeholder_risk, f"placeholder code: {placeholder}"))
        return result_of_findings(self.name, findings, f"{len(blocks)} code block(s) look whole")
