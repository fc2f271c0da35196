"""The fast YAML path: libyaml's events (PyYAML's C bindings) turned into values under scaleup's checks.

:func:`read_fast` reads a document as :mod:`scaleup.scenario.yamlio`'s pure-Python reader does
(the same values, through :func:`scaleup.scenario.yamlcore.scalar_value`, and the same line for
every node), about ten times faster, or returns None. It returns None -- and the caller reads the
text again with the pure-Python reader, which locates every problem -- whenever anything is
unusual: libyaml is not installed; the text holds something the two scanners could read
differently (a tab, a BOM after the first character, NEL, U+2028/U+2029, a character YAML refuses,
``|#``, a directive, ``?`` in a plain scalar in a flow collection); libyaml reports an error; or
one of the reader's own checks fails (anchors, aliases, tags, limits, keys that are not unique
non-empty text, merge keys, values that do not resolve, a second document, a top level that is
not a mapping). So every problem a user sees comes from one reader, word for word, and the fast
path only answers for documents both readers accept (``tests/test_yamlfast.py`` compares them on
every YAML file in the repository, the fuzz corpus and generated hostile text).
"""

from __future__ import annotations

import re
from typing import Any

from .reading import KeyPath, Limits
from .yamlcore import CORE, TAGS, scalar_value

try:
    # Events and errors are taken from the C module itself: they are yaml.events' and yaml.error's
    # classes, but the extension module keeps the ones it was first loaded with when yaml is
    # imported afresh (as coverage.py does when it measures a single module).
    from yaml._yaml import (  # type: ignore[attr-defined]  # types-PyYAML lists only CParser in yaml._yaml
        CParser, DocumentEndEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent,
        ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent, YAMLError)
except ImportError:                      # pragma: no cover - PyYAML built without libyaml
    CParser = None  # type: ignore[misc, assignment]  # None marks the C parser as missing (available())

__all__ = ["available", "read_fast"]

# What the two scanners could read differently: any character outside YAML's printable ones
# (yaml.reader.Reader.NON_PRINTABLE) and the tab (libyaml takes it for a space where PyYAML refuses
# it), NEL, U+2028, U+2029 (line breaks to YAML 1.1, where the two could count lines differently),
# U+FEFF (libyaml skips a BOM at the start of any line, PyYAML only at the start of the stream);
# a block scalar header followed by `#` without a space (`|-#`: libyaml reads a comment); and
# directives (`%YAML 1.1#`: the same).
_UNSURE = re.compile("[^\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD"
                     "\U00010000-\U0010FFFF]|[|>][-+0-9]*#|(?:\\A|[\r\n])%")
# Deeper than this, the pure reader's recursion could run out where libyaml's loop does not.
_SAFE_DEPTH = 64
_MAP_TAGS, _SEQ_TAGS = (None, "!", CORE + "map"), (None, "!", CORE + "seq")


class _Fallback(Exception):
    """The fast path does not answer for this document: read it with the pure-Python reader."""


def available() -> bool:
    """True when PyYAML was built with libyaml, so :func:`read_fast` can answer."""
    return CParser is not None


def read_fast(text: str, limits: Limits) -> tuple[dict[str, Any], dict[KeyPath, int]] | None:
    """Read a YAML document with libyaml, as the pure-Python reader would read it.

    Args:
        text: the document (BOM removed).
        limits: the reader's bounds.

    Returns:
        The data (a mapping) and the 1-based line of every node path, exactly as
        :func:`scaleup.scenario.yamlio.parse_document` gives them; or None when the pure-Python reader
        must read the document (see the module docstring).
    """
    if CParser is None or _UNSURE.search(text):
        return None
    parser = CParser(text)
    try:
        return _build(parser.get_event, limits)
    except (_Fallback, ValueError, YAMLError):   # ValueError: a scalar that does not resolve
        return None
    finally:
        parser.dispose()


def _build(get: Any, limits: Limits) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """Values and lines from the events; raises :class:`_Fallback` on anything unusual."""
    get()                                                    # StreamStartEvent
    if type(get()) is not DocumentStartEvent:
        raise _Fallback("an empty stream")
    event = get()
    if type(event) is not MappingStartEvent or event.anchor is not None or event.tag not in _MAP_TAGS:
        raise _Fallback("the top level is not a plain mapping")
    max_nodes, max_depth, max_list = limits.max_nodes, min(limits.max_depth, _SAFE_DEPTH), limits.max_list
    if max_nodes < 1 or max_depth < 1:
        raise _Fallback("limits that refuse the top level itself")
    lines: dict[KeyPath, int] = {(): 1}
    root: dict[str, Any] = {}
    # the open collection: its value, path, whether it is a mapping, whether it is in flow style,
    # and (in a mapping) the key read but not yet given a value and that key's line
    box: Any = root
    path: KeyPath = ()
    is_map, flow, key, key_line = True, bool(event.flow_style), None, 0
    stack: list[tuple[Any, KeyPath, bool, bool, Any, int]] = []
    nodes = depth = 1
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent:
            nodes += 1
            tag = event.tag
            if nodes > max_nodes or event.anchor is not None or (tag is not None and tag not in TAGS):
                raise _Fallback("a node the reader refuses")
            if kind is ScalarEvent:
                plain = not event.style
                if plain and flow and "?" in event.value:   # libyaml reads `[a?b]`; PyYAML refuses it
                    raise _Fallback("a question mark in a plain scalar in a flow collection")
            if is_map and key is None:                       # a key
                if kind is not ScalarEvent:
                    raise _Fallback("a collection used as a key")
                if plain and event.value == "<<" and tag is None:
                    raise _Fallback("a merge key")
                key = scalar_value(event.value, tag, plain, limits)
                if type(key) is not str or not key or key in box:
                    raise _Fallback("a key that is not unique non-empty text")
                key_line = event.start_mark.line + 1
                continue
            if is_map:
                assert key is not None   # for mypy: a mapping's key is read before its value
                where = path + (key,)
                lines[where] = key_line
            else:
                where = path + (len(box),)
                lines[where] = event.start_mark.line + 1
            if kind is ScalarEvent:
                value = scalar_value(event.value, tag, plain, limits)
            else:
                depth += 1
                if depth > max_depth or tag not in (_MAP_TAGS if kind is MappingStartEvent else _SEQ_TAGS):
                    raise _Fallback("too deep, or a tag that does not fit")
                value = {} if kind is MappingStartEvent else []
            if is_map:
                box[key] = value
                key = None
            else:
                box.append(value)
            if len(box) > max_list:
                raise _Fallback("too many entries")
            if kind is not ScalarEvent:
                stack.append((box, path, is_map, flow, key, key_line))
                box, path, key = value, where, None
                is_map, flow = kind is MappingStartEvent, flow or bool(event.flow_style)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not stack:
                break
            box, path, is_map, flow, key, key_line = stack.pop()
            depth -= 1
        else:
            raise _Fallback("an alias")
    if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        raise _Fallback("a second document")
    return root, lines
