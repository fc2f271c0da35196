"""Safe loading of human-written YAML and JSON documents, keeping a line number for every node.

YAML is composed by PyYAML's safe composer and turned into values here under YAML 1.2 core-schema
rules: ``NO``/``yes``/``on`` stay text, ``010`` is ten, ``1e6`` is a float, ``1_000`` is 1000
(single underscores between digits, accepted as Python does), ``YYYY-MM-DD`` is a
``datetime.date``, ``1:30`` and timestamps are text, infinities and NaN are refused. Anchors and
aliases, merge keys, non-core tags, duplicate or non-text keys and second documents are refused;
size, node count, depth and lengths are bounded. JSON is parsed by :mod:`json` while a small
scanner records lines. Every failure is a located :class:`~scaleup.errors.Problem`.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
import stat
import sys
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaleup.errors import Problem, ScaleupError

__all__ = ["DEFAULT_LIMITS", "Document", "Limits", "load_document", "parse_document"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Limits:
    """Bounds applied while reading: bytes, nodes (counted while composing), collection depth,
    characters in one string, and entries in one list or mapping."""

    max_bytes: int = 1_000_000
    max_nodes: int = 20_000
    max_depth: int = 32
    max_string: int = 10_000
    max_list: int = 5_000


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Document:
    """A parsed document.

    Attributes:
        name: the file name as given by the user (for display).
        data: plain Python values; the top level is always a ``dict[str, Any]``.
        lines: 1-based line of each node path; ``()`` is the root (line 1); a mapping value has
            the line of its key.
        sha256: hex SHA-256 of the raw bytes.
        recoverable: problems that did not stop the data being built (duplicate keys, where the
            first value is kept); only ever non-empty when the caller asked for ``keep_going``,
            so that it can report them together with its own validation problems.
    """

    name: str
    data: Any
    lines: Mapping[Path, int]
    sha256: str
    recoverable: tuple[Problem, ...] = ()

    def line(self, path: Sequence[str | int]) -> int | None:
        """Line of the deepest existing ancestor-or-self of ``path``.

        Args:
            path: keys and list indexes from the root, e.g. ``("hazard", "types", 2)``.

        Returns:
            The line, so that an error about a missing child points at its parent.
        """
        return _line_of(self.lines, tuple(path))


class _Stop(Exception):
    """Internal: abort with ``args[0]``, a list of problems whose ``file`` is filled in later."""


_BAD: Any = object()  # stands for a value that produced a problem
_CORE = "tag:yaml.org,2002:"
_TAGS = {"!", *(_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))}
_TAG_TYPES: dict[str, Any] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+(?:_[0-9]+)*|0o[0-7]+(?:_[0-7]+)*|0x[0-9a-fA-F]+(?:_[0-9a-fA-F]+)*")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF_NAN = re.compile(r"[-+]?\.(?:inf|nan)", re.IGNORECASE)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# an unterminated string is one token up to the line end, so scanning stays linear
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[^\s,:\[\]{}"]+|\n|\S')
_MESSAGES = {
    "nodes": ("the document has more than {n} values (the limit)",
              "split the file or remove repeated data"),
    "depth": ("values are nested more than {n} levels deep (the limit)", "flatten the structure"),
    "entries": ("the {kind} has more than {n} entries (the limit)", "split it into smaller parts"),
    "long": ("the text is {n} characters long; the limit is {limit}",
             "shorten it or move long text to a separate file"),
    "dup": ("duplicate key {key!r} (first defined on line {n})",
            "remove one of the two entries or rename one"),
    "finite": ("infinite and NaN values are not allowed (found {token})", "give a finite number"),
    "surrogate": ("the text contains U+{code:04X}, half of a UTF-16 surrogate pair, which is not a "
                  "character", "write the character itself (or \\U0001F600-style in double quotes), "
                  "not two \\u escapes"),
    "empty_key": ("the key is empty", "write the field name before the colon"),
    "digits": ("the number has {n} digits, too many to read",
               "write a shorter number, or quote it to keep it as text"),
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_HINT = "check for missing or trailing commas and that keys and text use double quotes"


def _msg(what: str, **values: Any) -> tuple[str, str]:
    """Message and hint shared by the YAML and JSON readers."""
    return _MESSAGES[what][0].format(**values), _MESSAGES[what][1]


def _problem(line: int | None, path: Path, message: str, hint: str) -> Problem:
    return Problem("", line, _field(path), message, hint)


def _stop(line: int | None, path: Path, message: str, hint: str) -> _Stop:
    return _Stop([_problem(line, path, message, hint)])


def _field(path: Sequence[str | int]) -> str:
    """Dotted field path: ``("hazard", "types", 2)`` -> ``hazard.types[2]``."""
    out = ""
    for part in path:
        text = '""' if part == "" else part   # an empty key still shows in the path
        out += f"[{part}]" if isinstance(part, int) else f".{text}" if out else text
    # a key may hold a lone surrogate (reported as a problem); keep the path printable
    return out.encode("utf-8", "backslashreplace").decode("utf-8")


def _line_of(lines: Mapping[Path, int], path: Path) -> int | None:
    line = lines.get(path)
    if line is not None:
        return line
    return next((lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in lines), None)


def _kind(value: Any) -> str:
    for typ, word in ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"),
                      (datetime.date, "a date"), (list, "a list"), (type(None), "null")):
        if isinstance(value, typ):
            return word
    return "a mapping"


def _not_mapping(kind: str | None, line: int) -> _Stop:
    if kind is None:
        return _stop(None, (), "the file is empty; expected a mapping of fields",
                     "write one `name: value` field per line")
    return _stop(line, (), f"the top level is {kind}; expected a mapping of fields",
                 "write one `name: value` field per line at the top level")


def _resolve_plain(text: str) -> Any:
    """Resolve an unquoted YAML scalar under YAML 1.2 core-schema rules.

    Raises:
        ValueError: with ``(message, hint)`` args for infinities, NaN, impossible dates and
            integers with more digits than Python converts.
    """
    if text in _NULLS or text in _BOOLS:
        return _BOOLS.get(text)
    if _INT.fullmatch(text):
        base = {"0o": 8, "0x": 16}.get(text[:2], 10)
        try:
            return int(text[2:] if base != 10 else text, base)  # int() accepts single "_"
        except ValueError:
            raise ValueError(*_msg("digits", n=len(text))) from None
    if _INF_NAN.fullmatch(text) or (_FLOAT.fullmatch(text) and not math.isfinite(float(text))):
        raise ValueError(*_msg("finite", token=text[:40]))
    if _FLOAT.fullmatch(text):
        return float(text)
    if match := _DATE.fullmatch(text):
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError as err:
            raise ValueError(f"{text!r} is not a valid date ({err})", "write a real calendar "
                             "date as YYYY-MM-DD, or quote the value to keep it as text") from None
    return text


class _Loader(yaml.SafeLoader):
    """Safe composer that refuses anchors, aliases and non-core tags and bounds nodes and depth."""

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits, self.nodes, self.depth = limits, 0, 0
        self.path: list[str | int] = []
        self.tags: dict[int, str] = {}  # id(node) -> explicit tag

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Check, count and compose one node (see ``yaml.composer.Composer``)."""
        event, limits = self.peek_event(), self.limits
        line = (index if isinstance(index, Node) else event).start_mark.line + 1  # a value: its key
        step = None if parent is None else index if isinstance(index, int) else (
            index.value if isinstance(index, ScalarNode) else "?") if index is not None else (
            event.value if isinstance(event, ScalarEvent) else "?")   # a key: named by its own text
        self.path += [] if step is None else [step]
        where = (line, tuple(self.path))
        if event.anchor is not None:
            sigil = "*" if isinstance(event, AliasEvent) else "&"
            raise _stop(*where, "anchors and aliases (&name / *name) are not supported (found "
                        f"{sigil}{event.anchor})", "write the value out in full where it is used")
        if event.tag is not None and event.tag not in _TAGS:
            raise _stop(*where, f"the tag {event.tag.replace(_CORE, '!!')} is refused: YAML tags "
                        "that construct objects are refused", "remove the tag, write a plain value")
        self.nodes += 1
        nested = isinstance(event, (SequenceStartEvent, MappingStartEvent))
        self.depth += nested
        if self.nodes > limits.max_nodes:
            raise _stop(*where, *_msg("nodes", n=limits.max_nodes))
        if self.depth > limits.max_depth:
            raise _stop(*where, *_msg("depth", n=limits.max_depth))
        node = super().compose_node(parent, index)
        self.depth -= nested
        del self.path[len(self.path) - (step is not None):]
        if event.tag is not None:
            self.tags[id(node)] = event.tag
        return node

    def compose_single(self) -> Node | None:
        """Compose the only document of the stream; refuse a second one."""
        self.get_event()  # StreamStartEvent
        root = None if self.check_event(StreamEndEvent) else self.compose_document()
        if not self.check_event(StreamEndEvent):
            raise _stop(self.peek_event().start_mark.line + 1, (), "the file holds more than one "
                        "YAML document (a second `---` starts here)",
                        "keep one document per file: remove this `---` and what follows")
        return root


@dataclass
class _Builder:
    """Turns a composed node tree into plain values, recording lines and collecting problems."""

    limits: Limits
    tags: dict[int, str]
    lines: dict[Path, int] = field(default_factory=lambda: {(): 1})
    problems: list[Problem] = field(default_factory=list)
    soft: list[Problem] = field(default_factory=list)  # duplicate keys: the first value is kept

    def add(self, line: int, path: Path, message: str, hint: str) -> Any:
        self.problems.append(_problem(line, path, message, hint))
        return _BAD

    def value(self, node: Node, path: Path) -> Any:
        tag, line = self.tags.get(id(node)), self.lines[path]
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, line)
        kind, want = ("list", "seq") if isinstance(node, SequenceNode) else ("mapping", "map")
        if tag not in (None, "!", _CORE + want):
            return self.add(line, path, f"the tag {str(tag).replace(_CORE, '!!')} cannot be used "
                            f"on a {kind}", "remove the tag")
        if len(node.value) > self.limits.max_list:
            return self.add(line, path, *_msg("entries", kind=kind, n=self.limits.max_list))
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        for i, item in enumerate(node.value):
            self.lines[path + (i,)] = item.start_mark.line + 1
        return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.key(key_node, path, line)
            if key is _BAD:
                continue
            if key in out:
                self.soft.append(_problem(line, path + (key,), *_msg("dup", key=key, n=self.lines[path + (key,)])))
                continue
            self.lines[path + (key,)] = line
            out[key] = self.value(value_node, path + (key,))
        return out

    def key(self, node: Node, path: Path, line: int) -> Any:
        if not isinstance(node, ScalarNode):
            return self.add(line, path, "a list or mapping is used as a key; keys must be text",
                            "write the key as plain text followed by `: `")
        if node.value == "<<" and node.style is None and id(node) not in self.tags:
            return self.add(line, path, "merge keys (<<) are not supported",
                            "write the merged fields out in full")
        key = self.scalar(node, path + (node.value,), line)
        if key == "":
            return self.add(line, path + (key,), *_msg("empty_key"))
        if key is _BAD or isinstance(key, str):
            return key
        return self.add(line, path + (node.value,), f"the key {node.value!r} is read as "
                        f"{_kind(key)}; keys must be text", f'quote the key: "{node.value}": ...')

    def scalar(self, node: ScalarNode, path: Path, line: int) -> Any:
        text, tag = node.value, self.tags.get(id(node))
        if len(text) > self.limits.max_string:
            return self.add(line, path, *_msg("long", n=len(text), limit=self.limits.max_string))
        if lone := _SURROGATE.search(text):
            return self.add(line, path, *_msg("surrogate", code=ord(lone.group())))
        if tag in ("!", _CORE + "str") or (tag is None and node.style is not None):
            return text
        try:
            value = _resolve_plain(text)
        except ValueError as err:
            return self.add(line, path, *err.args)
        want = _TAG_TYPES.get(str(tag)[len(_CORE):])
        if tag is None or (want and isinstance(value, want)
                           and (want is bool or not isinstance(value, bool))):
            return float(value) if tag == _CORE + "float" else value
        return self.add(line, path, f"{text!r} is not a valid {tag.replace(_CORE, '!!')} value",
                        "remove the tag or correct the value")


def _parse_yaml(text: str, limits: Limits) -> tuple[Any, dict[Path, int], list[Problem]]:
    try:
        loader = _Loader(text, limits)
    except yaml.reader.ReaderError as err:
        raise _stop(text.count("\n", 0, err.position) + 1, (), f"the file contains the character "
                    f"U+{err.character:04X}, which YAML does not allow",
                    "remove it; it may have been pasted from another program") from None
    try:
        root = loader.compose_single()
    except yaml.MarkedYAMLError as err:
        mark, context = err.problem_mark or err.context_mark, err.context_mark
        message = f"invalid YAML: {err.problem or err.context}"
        if err.problem and err.context and context:
            message += f" ({err.context} on line {context.line + 1})"
        hint = "indent with spaces, not tabs" if "'\\t'" in message else (
            "check indentation and that every `key: value` has a space after the colon")
        raise _stop(mark.line + 1 if mark else None, (), message, hint) from None
    finally:
        loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.style is None
                        and root.value in _NULLS):
        raise _not_mapping(None, 1)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise _not_mapping(kind, root.start_mark.line + 1)
    builder = _Builder(limits, loader.tags)
    data = builder.value(root, ())
    if builder.problems:
        raise _Stop(sorted(builder.problems + builder.soft, key=lambda p: p.line or 0))
    return data, builder.lines, builder.soft


@dataclass
class _Frame:
    """An open JSON object or array while scanning."""

    path: Path
    is_map: bool
    count: int = 0
    key: str = ""
    want_key: bool = True
    seen: dict[str, int] = field(default_factory=dict)  # key -> line


def _track_json(text: str, limits: Limits) -> tuple[dict[Path, int], list[Problem], list[Problem]]:
    """Scan JSON text for node lines, enforcing the limits and locating what json.loads cannot.

    Finds duplicate keys, NaN/Infinity, overflowing numbers and over-long texts. Malformed input
    just ends the scan: :func:`json.loads` diagnoses it.

    Raises:
        _Stop: when the node, depth or entry limit is exceeded.
    """
    lines: dict[Path, int] = {(): 1}
    problems: list[Problem] = []
    soft: list[Problem] = []  # duplicate keys: the first value is kept
    stack: list[_Frame] = []
    line = nodes = 0
    for token in _JSON_TOKEN.findall("\n" + text):
        top = stack[-1] if stack else None
        if token == "\n" or token in "]}:,":
            line += token == "\n"
            if top is not None and token != "\n":
                top.want_key = token == ","
                del stack[len(stack) - (token in "]}"):]
            continue
        nodes += 1
        is_key = top is not None and top.is_map and top.want_key
        path = () if top is None else top.path + ((top.key,) if top.is_map else (top.count,))
        if nodes > limits.max_nodes:
            raise _stop(line, path, *_msg("nodes", n=limits.max_nodes))
        if top is not None and (is_key or not top.is_map):
            if top.count >= limits.max_list:
                kind = "mapping" if top.is_map else "list"
                raise _stop(line, top.path, *_msg("entries", kind=kind, n=limits.max_list))
            top.count += 1
        try:
            scalar = json.loads(token) if token[0] == '"' else None
        except ValueError:
            break
        if top is not None and is_key:
            if not isinstance(scalar, str):
                break
            top.key, path = scalar, top.path + (scalar,)
            if scalar == "":
                problems.append(_problem(line, path, *_msg("empty_key")))
            if scalar in top.seen:
                soft.append(_problem(line, path, *_msg("dup", key=scalar, n=top.seen[scalar])))
            lines.setdefault(path, top.seen.setdefault(scalar, line))
        elif top is not None and not top.is_map:
            lines[path] = line
        at = line if is_key else lines.get(path, line)  # a mapping value is located at its key
        if isinstance(scalar, str) and len(scalar) > limits.max_string:
            too_long = _msg("long", n=len(scalar), limit=limits.max_string)
            problems.append(_problem(at, path, *too_long))
        elif isinstance(scalar, str) and (lone := _SURROGATE.search(scalar)):
            problems.append(_problem(at, path, *_msg("surrogate", code=ord(lone.group()))))
        if _INT.fullmatch(token) and 0 < sys.get_int_max_str_digits() < len(token.lstrip("+-")):
            problems.append(_problem(at, path, *_msg("digits", n=len(token.lstrip("+-")))))
        if token in ("NaN", "Infinity", "-Infinity") or (not _INT.fullmatch(token) and (
                _FLOAT.fullmatch(token) and not math.isfinite(float(token)))):
            problems.append(_problem(at, path, *_msg("finite", token=token[:40])))
        if token in ("[", "{"):
            if len(stack) >= limits.max_depth:
                raise _stop(line, path, *_msg("depth", n=limits.max_depth))
            stack.append(_Frame(path, token == "{"))
    return lines, problems, soft


def _refuse(what: str) -> Any:
    """``json.loads`` hook for NaN/Infinity; the scanner has located them already."""
    raise _Stop([])


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook keeping the first of duplicate keys; the scanner has located them."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def _distinct_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` hook of the one-line path: any key the scanner would report ends it."""
    out = dict(pairs)
    if len(out) != len(pairs) or "" in out:
        raise _Stop([])
    return out


def _one_line_paths(data: Any, limits: Limits) -> dict[Path, int] | None:
    """Every node path of parsed one-line JSON, on line 1; None when the data breaks a limit the
    scanner checks (nodes counted as it counts them: containers, keys and scalars), or holds a
    number that is not finite or a text with a lone surrogate."""
    lines: dict[Path, int] = {}
    nodes, stack = 0, [((), data, 0)]
    while stack:
        path, value, depth = stack.pop()
        lines[path] = 1
        nodes += 1
        if isinstance(value, dict):
            nodes += len(value)
            if depth >= limits.max_depth or len(value) > limits.max_list or any(
                    len(k) > limits.max_string or _SURROGATE.search(k) for k in value):
                return None
            stack.extend((path + (k,), v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            if depth >= limits.max_depth or len(value) > limits.max_list:
                return None
            stack.extend((path + (i,), v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, str):
            if len(value) > limits.max_string or _SURROGATE.search(value):
                return None
        elif isinstance(value, float) and not math.isfinite(value):
            return None
    return lines if nodes <= limits.max_nodes else None


def _one_line_json(text: str, limits: Limits) -> tuple[Any, dict[Path, int]] | None:
    """JSON on one line (a JSON Lines entry): parsed by the C parser alone, every node on line 1.

    Returns None whenever something would need a located problem (bad syntax, duplicate or
    empty keys, NaN, huge numbers, deep nesting, any limit): the scanner then reads the text.
    This path is 5 times faster than the scanner, which batches of JSON Lines feel.
    """
    try:
        data = json.loads(text, object_pairs_hook=_distinct_keys, parse_constant=_refuse)
    except (_Stop, ValueError, RecursionError):     # JSONDecodeError is a ValueError
        return None
    lines = _one_line_paths(data, limits) if isinstance(data, dict) else None
    return None if lines is None else (data, lines)


def _parse_json(text: str, limits: Limits) -> tuple[Any, dict[Path, int], list[Problem]]:
    if not text.strip():
        raise _not_mapping(None, 1)
    if "\n" not in text.rstrip() and (parsed := _one_line_json(text, limits)) is not None:
        return parsed[0], parsed[1], []
    lines, problems, soft = _track_json(text, limits)
    try:
        data = json.loads(text, object_pairs_hook=_first_wins, parse_constant=_refuse)
    except _Stop:
        raise _Stop(problems + soft or [_problem(None, (), "NaN or infinite value", _JSON_HINT)]) from None
    except json.JSONDecodeError as err:
        raise _stop(err.lineno, (), f"invalid JSON: {err.msg} (line {err.lineno}, column "
                    f"{err.colno})", _JSON_HINT) from None
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        if problems:  # the scanner located it
            raise _Stop(sorted(problems + soft, key=lambda p: p.line or 0)) from None
        raise _stop(None, (), f"the JSON cannot be read: {err}", "write shorter numbers") from None
    if not isinstance(data, dict):
        raise _not_mapping(_kind(data), 1)
    if problems:
        raise _Stop(sorted(problems + soft, key=lambda p: p.line or 0))
    return data, lines, soft


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise _stop(None, (), f"the file is {size} bytes, larger than the limit of "
                    f"{limits.max_bytes} bytes", "split it into smaller files")


def _located(error: type[ScaleupError], name: str, problems: list[Problem]) -> ScaleupError:
    return error([replace(problem, file=name) for problem in problems])


def parse_document(raw: bytes | str, name: str, *, fmt: str = "yaml",
                   limits: Limits = DEFAULT_LIMITS,
                   error: type[ScaleupError] = ScaleupError, keep_going: bool = False) -> Document:
    """Parse a YAML or JSON document whose top level is a mapping.

    Args:
        raw: the content; ``bytes`` must be UTF-8 (a leading BOM is ignored).
        name: the file name to show in problems.
        fmt: ``"yaml"`` or ``"json"``.
        limits: size, count, depth and length bounds.
        error: the :class:`ScaleupError` subclass to raise.
        keep_going: return duplicate-key problems in ``Document.recoverable`` (keeping the
            first value) instead of raising, when they are the only problems.

    Returns:
        The document with its data, node lines and SHA-256.

    Raises:
        ScaleupError: (of type ``error``) with located problems when the content is unacceptable.
        ValueError: when ``fmt`` is neither ``"yaml"`` nor ``"json"`` (a programming error).
    """
    if fmt not in ("yaml", "json"):
        raise ValueError(f"fmt must be 'yaml' or 'json', not {fmt!r}")
    blob = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    try:
        _check_size(len(blob), limits)
        if b"\x00" in blob:
            raise _stop(None, (), "this looks like a binary file (it contains NUL bytes), not "
                        "YAML or JSON text", "give a text file saved as UTF-8")
        try:
            text = raw if isinstance(raw, str) else blob.decode("utf-8")
        except UnicodeDecodeError as err:
            line = blob.count(b"\n", 0, err.start) + 1
            raise _stop(line, (), f"the file is not valid UTF-8 text: byte 0x{blob[err.start]:02x} "
                        f"at byte offset {err.start} (line {line}) cannot be decoded",
                        "save the file with UTF-8 encoding") from None
        parse = _parse_json if fmt == "json" else _parse_yaml
        data, lines, soft = parse(text.removeprefix("\ufeff"), limits)
        if soft and not keep_going:
            raise _Stop(soft)
    except _Stop as stop:
        raise _located(error, name, stop.args[0]) from None
    except RecursionError:
        raise _located(error, name, [_problem(None, (), "the document is nested too deeply to "
                                            "read", "flatten the structure")]) from None
    return Document(name, data, MappingProxyType(lines), hashlib.sha256(blob).hexdigest(),
                    tuple(replace(p, file=name) for p in soft))


def load_document(path: str | os.PathLike[str], *, limits: Limits = DEFAULT_LIMITS,
                  error: type[ScaleupError] = ScaleupError, name: str | None = None,
                  keep_going: bool = False) -> Document:
    """Read and parse a file: ``.json`` as JSON, anything else as YAML.

    The size is checked with :func:`os.stat` before reading, and at most ``max_bytes + 1`` bytes
    are read.

    Args:
        path: the file to read.
        limits: size, count, depth and length bounds.
        error: the :class:`ScaleupError` subclass to raise.
        name: the name to show in problems; defaults to ``str(path)``.
        keep_going: see :func:`parse_document`.

    Returns:
        The parsed document.

    Raises:
        ScaleupError: (of type ``error``) when the file cannot be read or is unacceptable.
    """
    name = str(path) if name is None else name
    fmt = "json" if os.path.splitext(os.fsdecode(path))[1].lower() == ".json" else "yaml"
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise _stop(None, (), f"cannot read the file: it is {kind}", "give the path of a file")
        _check_size(info.st_size, limits)
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
        _check_size(len(raw), limits)
    except _Stop as stop:
        raise _located(error, name, stop.args[0]) from None
    except OSError as err:
        why = f"cannot read the file: {err.strerror or err}"
        raise _located(error, name, [_problem(None, (), why, "check that the path exists and is "
                                              "readable")]) from None
    return parse_document(raw, name, fmt=fmt, limits=limits, error=error, keep_going=keep_going)
