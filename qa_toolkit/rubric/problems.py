"""A rubric's YAML with positions, and every problem found in it, each with line and column.

The file is composed with PyYAML's node API so that each node keeps its
position; pydantic validates the pieces (the top level, each section, each
item with its detector's options) independently, so one bad item does not
hide the problems of the next. Every problem becomes a
:class:`~qa_toolkit.errors.RubricProblem` rendered as
``file:line:col: path: message``, with "did you mean" for unknown names.
"""

from __future__ import annotations

import logging
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from qa_toolkit.errors import RubricError, RubricProblem, did_you_mean

logger = logging.getLogger(__name__)

Loc = tuple[str | int, ...]

_TYPE_NAMES = {
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
}
_FRIENDLY = {
    "float_parsing": "should be a number",
    "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "bool_parsing": "should be true or false",
    "missing": "required, but missing",
    "string_pattern_mismatch": "an id starts with a letter and uses only letters, digits, _ and -",
}


def render_path(loc: Loc) -> str:
    """``sections[1].items[0].detector`` for a location tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Marks:
    """Line and column (1-based) of every value node and mapping key in a document."""

    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[Loc] = field(default_factory=list)

    def find(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """The position of a node, or of its nearest ancestor that exists."""
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))


def _walk(node: yaml.Node, loc: Loc, marks: Marks) -> None:
    marks.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            path = (*loc, key)
            if path in marks.keys:
                marks.duplicates.append(path)
            marks.keys[path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, path, marks)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*loc, index), marks)


# A rubric is a few hundred values. YAML aliases let a few hundred bytes stand for billions of
# them (an "alias bomb"): every later step would walk them all, so the values are counted, with
# each alias counted as what it stands for, and a rubric over the limit is refused.
MAX_RUBRIC_CHARS = 1_000_000
MAX_RUBRIC_VALUES = 100_000


def _check_size(root: yaml.Node, origin: str) -> None:
    seen, stack = 0, [root]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_RUBRIC_VALUES:
            line, col = node.start_mark.line + 1, node.start_mark.column + 1
            why = (
                f"the rubric expands to more than {MAX_RUBRIC_VALUES:,} values "
                "(YAML aliases repeating a block?); write the values out"
            )
            raise RubricError([RubricProblem(origin, line, col, "", why)])
        if isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def compose(text: str, origin: str) -> tuple[Any, Marks]:
    """Parse YAML text into plain data and the marks of its nodes.

    Raises:
        RubricError: on a YAML syntax error or an empty document.
    """
    if len(text) > MAX_RUBRIC_CHARS:
        why = f"the file has {len(text):,} characters; a rubric has at most {MAX_RUBRIC_CHARS:,}"
        raise RubricError([RubricProblem(origin, 1, 1, "", why)])
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # a control character the YAML reader refuses
        raise RubricError([RubricProblem(origin, 1, 1, "", f"YAML: {exc}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise RubricError([RubricProblem(origin, 1, 1, "", "the file is empty")])
        _check_size(node, origin)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = str(exc.problem)
        context = exc.context_mark
        if exc.context and context is not None and context is not mark:
            detail += f" ({exc.context} from line {context.line + 1}, column {context.column + 1})"
        raise RubricError(
            [RubricProblem(origin, line, col, "", f"YAML syntax: {detail}")]
        ) from None
    except yaml.YAMLError as exc:
        raise RubricError([RubricProblem(origin, 1, 1, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()
    marks = Marks()
    _walk(node, (), marks)
    return data, marks


class Problems:
    """Collects problems with their positions while a rubric is checked."""

    def __init__(self, origin: str, data: Any, marks: Marks, base_dir: Path | None = None) -> None:
        self.origin = origin
        self.data = data
        self.marks = marks
        # Files a rubric names (a classifier's model) are relative to the rubric.
        self.context = {"rubric_dir": base_dir or Path.cwd()}
        self.found: list[RubricProblem] = []
        for loc in marks.duplicates:
            self.add(loc, f"duplicate key {loc[-1]!r}; the later one would silently win", key=True)

    def add(self, loc: Loc, message: str, *, key: bool = False) -> None:
        """Record a problem at a location (``key=True`` points at the mapping key)."""
        line, col = self.marks.find(loc, key=key)
        problem = RubricProblem(self.origin, line, col, render_path(loc), message)
        if problem not in self.found:
            self.found.append(problem)

    def validate(
        self, model: type[BaseModel], data: Any, base: Loc, extra_names: tuple[str, ...] = ()
    ) -> BaseModel | None:
        """Validate data against a model, recording its errors; ``None`` when invalid."""
        try:
            return model.model_validate(data, context=self.context)
        except ValidationError as exc:
            errors = [
                (self._data_loc(base, tuple(e["loc"]), keep_last=e["type"] == "missing"), e)
                for e in exc.errors(include_url=False)
            ]
            self._add_wrong_types(errors)
            for loc, error in errors:
                if not str(error["type"]).endswith("_type"):
                    self._add_pydantic(model, loc, error, base, extra_names)
            return None

    def raise_if_any(self) -> None:
        """Raise :class:`RubricError` listing every problem, in file order."""
        if self.found:
            raise RubricError(sorted(self.found, key=lambda p: (p.line, p.column)))

    def _add_wrong_types(self, errors: list[tuple[Loc, Any]]) -> None:
        """One message per value of the wrong type, naming every accepted type.

        A union (``[a, b]`` or ``{en: [a, b]}``) fails once per branch; a
        branch that got deeper into the value has the real problem, so
        wrong-type errors above another error are dropped.
        """
        wanted: dict[Loc, list[str]] = {}
        got: dict[Loc, Any] = {}
        for loc, error in errors:
            kind = str(error["type"])
            if not kind.endswith("_type"):
                continue
            if any(len(other) > len(loc) and other[: len(loc)] == loc for other, _ in errors):
                continue
            name = _TYPE_NAMES.get(kind, kind.removesuffix("_type"))
            if name not in wanted.setdefault(loc, []):
                wanted[loc].append(name)
            got[loc] = error.get("input")
        for loc, names in wanted.items():
            shown = f" (got {got[loc]!r})" if _is_scalar(got[loc]) else ""
            self.add(loc, f"should be {' or '.join(names)}{shown}")

    def _add_pydantic(
        self, model: type[BaseModel], loc: Loc, error: Any, base: Loc, extra_names: tuple[str, ...]
    ) -> None:
        kind = error["type"]
        if kind == "extra_forbidden":
            name = str(loc[-1])
            candidates = _field_names(model, loc[len(base) : -1]) + list(extra_names)
            self.add(loc, f"unknown field {name!r}{did_you_mean(name, candidates)}", key=True)
            return
        if kind == "literal_error":
            choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
            got = str(error["input"])
            message = f"{got!r} is not one of {', '.join(map(repr, choices))}"
            self.add(loc, message + did_you_mean(got, choices))
            return
        if kind == "too_short":
            need, got = error["ctx"]["min_length"], error["ctx"]["actual_length"]
            self.add(loc, "must not be empty" if need == 1 else f"needs at least {need}, got {got}")
            return
        message = _FRIENDLY.get(kind) or re.sub(r"^Value error, ", "", error["msg"])
        quiet = ("missing", "string_pattern_mismatch", "value_error")
        if kind not in quiet and _is_scalar(error.get("input")):
            message += f" (got {error['input']!r})"
        self.add(loc, message)

    def _data_loc(self, base: Loc, loc: Loc, *, keep_last: bool) -> Loc:
        """The path in the data, dropping pydantic's union tags (``str``, ``list[str]``)."""
        node = self._at(base)
        path = list(base)
        for i, part in enumerate(loc):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif keep_last and i == len(loc) - 1:
                pass
            else:
                continue
            path.append(part)
        return tuple(path)

    def _at(self, loc: Loc) -> Any:
        node = self.data
        for part in loc:
            node = node[part]
        return node


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _field_names(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names (aliases where set) of the model found by following ``loc``."""
    for part in loc:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        nested = _model_in(model.model_fields[part].annotation)
        if nested is None:
            break
        model = nested
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
