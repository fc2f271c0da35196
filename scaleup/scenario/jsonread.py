"""JSON documents with a line for every node: a small scanner records lines and locates what
:func:`json.loads` cannot (duplicate keys, NaN, huge numbers, limits); one-line JSON (a JSON Lines
entry) is read by the C parser alone whenever nothing needs locating.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from scaleup.errors import Problem

from .reading import (FLOAT_RE, INT_RE, SURROGATE_RE, KeyPath, Limits, Stop, message_of, not_mapping, problem_at,
                      stop_at, value_kind)

# an unterminated string is one token up to the line end, so scanning stays linear
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[^\s,:\[\]{}"]+|\n|\S')
_JSON_HINT = "check for missing or trailing commas and that keys and text use double quotes"


@dataclass
class _Frame:
    """An open JSON object or array while scanning."""

    path: KeyPath
    is_map: bool
    count: int = 0
    key: str = ""
    want_key: bool = True
    seen: dict[str, int] = field(default_factory=dict)  # key -> line


def _track_json(text: str, limits: Limits) -> tuple[dict[KeyPath, int], list[Problem], list[Problem]]:
    """Scan JSON text for node lines, enforcing the limits and locating what json.loads cannot.

    Finds duplicate keys, NaN/Infinity, overflowing numbers and over-long texts. Malformed input
    just ends the scan: :func:`json.loads` diagnoses it.

    Raises:
        Stop: when the node, depth or entry limit is exceeded.
    """
    lines: dict[KeyPath, int] = {(): 1}
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
            raise stop_at(line, path, *message_of("nodes", n=limits.max_nodes))
        if top is not None and (is_key or not top.is_map):
            if top.count >= limits.max_list:
                kind = "mapping" if top.is_map else "list"
                raise stop_at(line, top.path, *message_of("entries", kind=kind, n=limits.max_list))
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
                problems.append(problem_at(line, path, *message_of("empty_key")))
            if scalar in top.seen:
                soft.append(problem_at(line, path, *message_of("dup", key=scalar, n=top.seen[scalar])))
            lines.setdefault(path, top.seen.setdefault(scalar, line))
        elif top is not None and not top.is_map:
            lines[path] = line
        at = line if is_key else lines.get(path, line)  # a mapping value is located at its key
        if isinstance(scalar, str) and len(scalar) > limits.max_string:
            too_long = message_of("long", n=len(scalar), limit=limits.max_string)
            problems.append(problem_at(at, path, *too_long))
        elif isinstance(scalar, str) and (lone := SURROGATE_RE.search(scalar)):
            problems.append(problem_at(at, path, *message_of("surrogate", code=ord(lone.group()))))
        if INT_RE.fullmatch(token) and 0 < sys.get_int_max_str_digits() < len(token.lstrip("+-")):
            problems.append(problem_at(at, path, *message_of("digits", n=len(token.lstrip("+-")))))
        if token in ("NaN", "Infinity", "-Infinity") or (not INT_RE.fullmatch(token) and (
                FLOAT_RE.fullmatch(token) and not math.isfinite(float(token)))):
            problems.append(problem_at(at, path, *message_of("finite", token=token[:40])))
        if token in ("[", "{"):
            if len(stack) >= limits.max_depth:
                raise stop_at(line, path, *message_of("depth", n=limits.max_depth))
            stack.append(_Frame(path, token == "{"))
    return lines, problems, soft


def _refuse(what: str) -> Any:
    """``json.loads`` hook for NaN/Infinity; the scanner has located them already."""
    raise Stop([])


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
        raise Stop([])
    return out


def _one_line_paths(data: Any, limits: Limits) -> dict[KeyPath, int] | None:
    """Every node path of parsed one-line JSON, on line 1; None when the data breaks a limit the
    scanner checks (nodes counted as it counts them: containers, keys and scalars), or holds a
    number that is not finite or a text with a lone surrogate."""
    lines: dict[KeyPath, int] = {}
    nodes = 0
    stack: list[tuple[tuple[str | int, ...], Any, int]] = [((), data, 0)]
    while stack:
        path, value, depth = stack.pop()
        lines[path] = 1
        nodes += 1
        if isinstance(value, dict):
            nodes += len(value)
            if depth >= limits.max_depth or len(value) > limits.max_list or any(
                    len(k) > limits.max_string or SURROGATE_RE.search(k) for k in value):
                return None
            stack.extend((path + (k,), v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            if depth >= limits.max_depth or len(value) > limits.max_list:
                return None
            stack.extend((path + (i,), v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, str):
            if len(value) > limits.max_string or SURROGATE_RE.search(value):
                return None
        elif isinstance(value, float) and not math.isfinite(value):
            return None
    return lines if nodes <= limits.max_nodes else None


def _one_line_json(text: str, limits: Limits) -> tuple[Any, dict[KeyPath, int]] | None:
    """JSON on one line (a JSON Lines entry): parsed by the C parser alone, every node on line 1.

    Returns None whenever something would need a located problem (bad syntax, duplicate or
    empty keys, NaN, huge numbers, deep nesting, any limit): the scanner then reads the text.
    This path is 5 times faster than the scanner, which batches of JSON Lines feel.
    """
    try:
        data = json.loads(text, object_pairs_hook=_distinct_keys, parse_constant=_refuse)
    except (Stop, ValueError, RecursionError):     # JSONDecodeError is a ValueError
        return None
    lines = _one_line_paths(data, limits) if isinstance(data, dict) else None
    return None if lines is None else (data, lines)


def parse_json(text: str, limits: Limits) -> tuple[Any, dict[KeyPath, int], list[Problem]]:
    if not text.strip():
        raise not_mapping(None, 1)
    if "\n" not in text.rstrip() and (parsed := _one_line_json(text, limits)) is not None:
        return parsed[0], parsed[1], []
    lines, problems, soft = _track_json(text, limits)
    try:
        data = json.loads(text, object_pairs_hook=_first_wins, parse_constant=_refuse)
    except Stop:
        raise Stop(problems + soft or [problem_at(None, (), "NaN or infinite value", _JSON_HINT)]) from None
    except json.JSONDecodeError as err:
        raise stop_at(err.lineno, (), f"invalid JSON: {err.msg} (line {err.lineno}, column "
                    f"{err.colno})", _JSON_HINT) from None
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        if problems:  # the scanner located it
            raise Stop(sorted(problems + soft, key=lambda p: p.line or 0)) from None
        raise stop_at(None, (), f"the JSON cannot be read: {err}", "write shorter numbers") from None
    if not isinstance(data, dict):
        raise not_mapping(value_kind(data), 1)
    if problems:
        raise Stop(sorted(problems + soft, key=lambda p: p.line or 0))
    return data, lines, soft


