"""Help pages that read as a person wrote them, whatever the version of Typer.

Typer's own help shows its types (`<int range>`, `list[str]`, `{scenario}`), cuts command
summaries and breaks `tur-rutte` at its hyphen, so that an example no longer copies. These
classes write the usage line, the arguments, options and commands themselves, from the
attributes every version of Typer and Click gives a parameter: a value is named by the
option's metavar, its choices or what it is (`N`, `FILE`); text wraps at spaces only, and
what is written between backticks stays on one line.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from typer.core import TyperCommand, TyperGroup

# How an option's value is named when it has no metavar and no choices, by parameter name;
# other numbers are N or NUMBER, other text the option's name in capitals.
VALUE_NAMES = {
    "output": "FILE",
    "plot": "FILE",
    "against": "SCENARIO",
    "outcome": "OUTCOME",
    "seed": "SEED",
}
COLUMN_MAX = 30  # the widest first column, as Click's
_KEEP = "\ue000"  # stands for a space that must not break a line (private use)


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` characters broken at spaces only: never inside a word, at a
    hyphen, or inside `a span between backticks`; a longer word stands on a line alone."""
    kept = re.sub(r"`[^`\n]*`", lambda m: m.group().replace(" ", _KEEP), " ".join(text.split()))
    wrapper = textwrap.TextWrapper(
        width=max(width, 10), break_on_hyphens=False, break_long_words=False
    )
    return [line.replace(_KEEP, " ") for line in wrapper.wrap(kept)] or [""]


def paragraphs(text: str | None) -> list[str]:
    """A docstring's paragraphs, each on one line."""
    if not text:
        return []
    blocks = re.split(r"\n\s*\n", textwrap.dedent(text).strip())
    return [" ".join(block.split()) for block in blocks if block.strip()]


def summary(command: Any) -> str:
    """A command's summary: its short help, else the first paragraph of its help, whole."""
    if getattr(command, "short_help", None):
        return " ".join(str(command.short_help).split())
    found = paragraphs(getattr(command, "help", None))
    return found[0] if found else ""


def _shown(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _choices(param: Any) -> list[str] | None:
    """The values a parameter accepts, when it is a choice."""
    for holder in (getattr(param, "type_descriptor", None), getattr(param, "type", None)):
        choices = getattr(holder, "choices", None)
        if choices:
            return [_shown(c) for c in choices]
    return None


def _number_kind(param: Any) -> str | None:
    """'int' or 'float' for a number, else None."""
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", None)
    if annotation in (int, float):
        return annotation.__name__
    name = str(getattr(getattr(param, "type", None), "name", ""))
    if name.startswith("integer"):
        return "int"
    if name.startswith("float"):
        return "float"
    return None


def _bounds(param: Any) -> tuple[Any, Any]:
    for holder in (param, getattr(param, "type", None)):
        low, high = getattr(holder, "min", None), getattr(holder, "max", None)
        if low is not None or high is not None:
            return low, high
    return None, None


def value_name(param: Any) -> str:
    """What an option's value is called in help: its metavar, its choices, or a word."""
    if param.metavar:
        return str(param.metavar)
    choices = _choices(param)
    if choices:
        return "|".join(choices)
    name = str(param.name or "").strip("_")
    if name in VALUE_NAMES:
        return VALUE_NAMES[name]
    kind = _number_kind(param)
    if kind is not None:
        return "N" if kind == "int" else "NUMBER"
    return name.upper().replace("_", "-") or "VALUE"


def argument_name(param: Any) -> str:
    """An argument's name in help: its metavar or its name in capitals, `...` if repeated."""
    name = str(param.metavar or str(param.name or "").strip("_").upper())
    return name + ("..." if param.nargs != 1 and not name.endswith("...") else "")


def _is_flag(param: Any) -> bool:
    return bool(getattr(param, "is_flag", False) or getattr(param, "count", False))


def _notes(param: Any) -> list[str]:
    """The bracketed notes after an option's help: default, range, required."""
    notes = []
    show = getattr(param, "show_default", None)
    default = getattr(param, "default", None)
    if isinstance(show, str):
        notes.append(f"default: {show}")
    elif (
        show is not False
        and not _is_flag(param)
        and default is not None
        and not callable(default)
        and default not in ((), [])
    ):
        notes.append(f"default: {_shown(default)}")
    low, high = _bounds(param)
    if low is not None and high is not None:
        notes.append(f"from {low:g} to {high:g}")
    elif low is not None:
        notes.append(f"at least {low:g}")
    elif high is not None:
        notes.append(f"at most {high:g}")
    if param.required and param.param_type_name == "option":
        notes.append("required")
    return notes


def help_record(param: Any) -> tuple[str, str] | None:
    """The (term, text) line of a parameter in help, or None for a hidden one."""
    if getattr(param, "hidden", False):
        return None
    help_text = " ".join(str(getattr(param, "help", "") or "").split())
    if param.param_type_name == "argument":
        return argument_name(param), help_text
    names = _joined(param.opts)
    if param.secondary_opts:
        names += " / " + _joined(param.secondary_opts)
    if not _is_flag(param):
        names += " " + value_name(param)
    notes = _notes(param)
    if notes:
        # A note is kept on one line: `[at least 1]` split in two reads as two things.
        note = "; ".join(notes).replace(" ", _KEEP)
        help_text = f"{help_text} [{note}]".strip()
    return names, help_text


def _joined(opts: Sequence[str]) -> str:
    """Option names, short ones first (`-n, --trials`)."""
    return ", ".join(sorted(opts, key=lambda name: len(name) - len(name.lstrip("-"))))


def usage_pieces(command: Any, ctx: Any) -> list[str]:
    """`[OPTIONS]` and the arguments, as the usage line shows them."""
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument" and not getattr(param, "hidden", False):
            name = str(param.metavar or str(param.name or "").strip("_").upper())
            repeated = "..." if param.nargs != 1 and not name.endswith("...") else ""
            pieces.append(f"{name}{repeated}" if param.required else f"[{name}]{repeated}")
    return pieces


def write_rows(formatter: Any, rows: Sequence[tuple[str, str]]) -> None:
    """Terms and their text in two columns; the text wraps at spaces only."""
    if not rows:
        return
    first = min(max(len(term) for term, _ in rows), COLUMN_MAX)
    indent = formatter.current_indent
    hanging = " " * (indent + first + 2)
    width = max(formatter.width - indent - first - 2, 10)
    for term, text in rows:
        formatter.write(" " * indent + term)
        if not text:
            formatter.write("\n")
            continue
        if len(term) <= first:
            formatter.write(" " * (first - len(term) + 2))
        else:
            formatter.write("\n" + hanging)
        lines = wrap(text, width)
        formatter.write(lines[0] + "\n")
        for line in lines[1:]:
            formatter.write(hanging + line + "\n")


def write_text(formatter: Any, text: str | None) -> None:
    """A docstring's paragraphs, indented, wrapped at spaces only."""
    found = paragraphs(text)
    if not found:
        return
    formatter.write_paragraph()
    indent = " " * (formatter.current_indent + 2)
    width = formatter.width - len(indent)
    for i, paragraph in enumerate(found):
        if i:
            formatter.write("\n")
        for line in wrap(paragraph, width):
            formatter.write(indent + line + "\n")


def write_lines(formatter: Any, title: str, lines: Iterable[str]) -> None:
    """A section of lines written as they are (examples: never wrapped)."""
    formatter.write_paragraph()
    formatter.write(f"{title}:\n")
    for line in lines:
        formatter.write(" " * (formatter.current_indent + 2) + line + "\n")


def write_parameters(command: Any, ctx: Any, formatter: Any) -> None:
    """The Arguments and Options sections."""
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for param in command.get_params(ctx):
        record = help_record(param)
        if record is not None:
            (arguments if param.param_type_name == "argument" else options).append(record)
    for title, rows in (("Arguments", arguments), ("Options", options)):
        if rows:
            with formatter.section(title):
                write_rows(formatter, rows)


class HelpCommand(TyperCommand):
    """A command whose help names values plainly and keeps examples whole."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return usage_pieces(self, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)
        write_text(formatter, self.help)
        write_parameters(self, ctx, formatter)
        if self.epilog:
            write_text(formatter, self.epilog)


class HelpGroup(TyperGroup):
    """The tool's top level: usage, description, options, every command's whole summary,
    and examples (`EXAMPLES`, written as they are)."""

    examples: Sequence[str] = ()

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*usage_pieces(self, ctx), self.subcommand_metavar or "COMMAND [ARGS]..."]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)
        write_text(formatter, self.help)
        write_parameters(self, ctx, formatter)
        self.format_commands(ctx, formatter)
        if self.examples:
            write_lines(formatter, "Examples", self.examples)
        if self.epilog:
            write_text(formatter, self.epilog)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not getattr(command, "hidden", False):
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                write_rows(formatter, rows)
