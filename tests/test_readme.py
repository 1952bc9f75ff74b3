"""Every console example in README.md is what the code prints today.

Each ```console block holds commands (``$ optbench ...``) followed by the output shown. The
test runs each command in a fresh process and matches the shown lines against what it
printed, in order: a line ``...`` stands for any number of lines; numbers must agree to the
digits shown, up to one unit in the last shown digit or 1000 eps times the largest number
on the line, whichever is larger (values such as f - f* near a minimizer are differences at
the rounding level of f, and their last digits differ between CPUs); what depends on timing
is left out (the ``time`` column, the summary line's solve time and cache note, the one-off
"compiling" notice). A failure names the README line to update.

The commands run in an empty directory holding the files the README shows: a ```python
block whose first line is a comment naming a relative path (``# mysolvers/my_gd.py``) is
written there first, so the examples that use it run that very code.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_TIMING = re.compile(r"\s+solve \S+ ms .*$")  # the summary line's solve time and cache note
_NOTICE = "optbench: compiling "
EPS = 2.220446049250313e-16


def console_examples(text: str):
    """(line number, command, shown output lines) for every ``$ `` command of every
    ```console block."""
    examples = []
    block = None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            block = [] if line.strip() == "```console" and block is None else None
            continue
        if block is None:
            continue
        if line.startswith("$ "):
            examples.append((number, line[2:].strip(), []))
        elif examples and examples[-1][0] <= number:
            examples[-1][2].append(line)
    return examples


_FILE_LINE = re.compile(r"# ([\w-]+(/[\w-]+)*\.py)")


def readme_files(text: str) -> dict[str, str]:
    """The files the README shows: ``{relative path: text}`` for every ```python block whose
    first line is ``# DIR/NAME.py``."""
    files = {}
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        name = _FILE_LINE.fullmatch(lines[i + 1].strip())
        if line.strip() != "```python" or name is None:
            continue
        body = []
        for code in lines[i + 2:]:
            if code.startswith("```"):
                break
            body.append(code)
        files[name.group(1)] = "\n".join(body) + "\n"
    return files


def _number(token: str):
    """(name, digits as shown, value) of a numeric token: ``-22.4694``, ``f=-22.4694``,
    ``tol=1e-06.``; None for words."""
    name, _, text = token.rstrip(".,").rpartition("=")
    if _NUMBER.match(text):
        return name, text, float(text)
    return None


def _unit(digits: str) -> float:
    """One unit in the last digit shown (``-3.343`` -> 0.001, ``4.5e-06`` -> 1e-7); 0 for an
    integer (iterations, counts: exact)."""
    mantissa, _, exponent = digits.lower().partition("e")
    if "." not in mantissa and not exponent:
        return 0.0
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def same_line(shown: str, printed: str, header: list[str]) -> bool:
    """Whether a shown line is the printed one; ``header`` is the table's header when the
    line may be a table row (its ``time`` column is skipped)."""
    a, b = _TIMING.sub("", shown).split(), _TIMING.sub("", printed).split()
    if len(a) != len(b):
        return False
    time_column = header.index("time") if len(a) == len(header) and "time" in header else None
    numbers = [abs(v[2]) for i, x in enumerate(a) if i != time_column and (v := _number(x))]
    rounding = 1000 * EPS * max(numbers, default=0.0)
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if i == time_column or x == y:
            continue
        vx, vy = _number(x), _number(y)
        if vx is None or vy is None or vx[0] != vy[0]:
            return False
        allowed = rounding if _unit(vx[1]) == 0.0 and _unit(vy[1]) == 0.0 and \
            abs(vx[2]) >= 1 else max(_unit(vx[1]) * 1.0000001, rounding)
        if abs(vx[2] - vy[2]) > allowed:
            return False
    return True


def match(shown: list[str], printed: list[str]) -> str | None:
    """None when ``shown`` matches ``printed`` (``...`` = any lines), else what differs."""
    header = []

    def walk(i: int, j: int) -> str | None:
        nonlocal header
        while i < len(shown):
            if shown[i].strip() == "...":
                for k in range(j, len(printed) + 1):
                    if walk(i + 1, k) is None:
                        return None
                return f"nothing printed matches {shown[i + 1]!r}" if i + 1 < len(shown) \
                    else None
            if j >= len(printed):
                return f"shown {shown[i]!r}, but the output ended"
            if shown[i].split()[:1] == ["iteration"]:  # a table header
                header = shown[i].split()
            if not same_line(shown[i], printed[j], header):
                return f"shown {shown[i]!r}, printed {printed[j]!r}"
            i, j = i + 1, j + 1
        return None

    return walk(0, 0)


EXAMPLES = console_examples(README.read_text())
FILES = readme_files(README.read_text())


def test_the_readme_has_console_examples():
    assert len(EXAMPLES) >= 2
    assert EXAMPLES[0][1] == "optbench run quadratic gd"  # the README's first command


@pytest.mark.parametrize("line, command, shown", EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_console_example_is_what_the_code_prints(line, command, shown, tmp_path):
    argv = shlex.split(command)
    assert argv[0] == "optbench"
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = subprocess.run([sys.executable, "-m", "optbench", *argv[1:]], capture_output=True,
                          text=True, cwd=tmp_path, env=dict(os.environ, COLUMNS="100"))
    printed = [ln for ln in (proc.stderr + proc.stdout).splitlines()
               if not ln.startswith(_NOTICE)]
    shown = [ln for ln in shown if not ln.startswith(_NOTICE) and ln.strip()]
    problem = match(shown, printed)
    assert problem is None, (
        f"README.md line {line}: `{command}` no longer prints what the README shows "
        f"({problem}); update that block with the command's output:\n" + "\n".join(printed))
