"""Safe loading of human-written YAML and JSON documents, keeping a line number for every node.

YAML is read from libyaml's events when it can (:mod:`scaleup.scenario.yamlfast`); any document
that path does not answer for is composed by PyYAML's pure-Python safe composer and turned into
values here, where every problem is located. Scalars follow YAML 1.2 core-schema rules
(:mod:`scaleup.scenario.yamlcore`): ``NO``/``yes``/``on`` stay text, ``010`` is ten, ``1e6`` is a
float, ``YYYY-MM-DD`` is a ``datetime.date``, infinities and NaN are refused. Anchors and aliases,
merge keys, non-core tags, duplicate or non-text keys and second documents are refused; size,
node count, depth and lengths are bounded. JSON is read by :mod:`scaleup.scenario.jsonread`; the
limits and problem helpers both readers share are in :mod:`scaleup.scenario.reading`. Every failure is a
located :class:`~scaleup.errors.Problem`.

Longer than 300 lines because the safe reader is one composer whose limits and line tracking apply
at every node.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import yaml
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scaleup.errors import Problem, ScaleupError

from .jsonread import parse_json
from .reading import DEFAULT_LIMITS, KeyPath, Limits, Stop, line_of, message_of, not_mapping, problem_at, stop_at, value_kind
from .yamlcore import CORE, NULLS, TAGS, scalar_value
from .yamlfast import read_fast

__all__ = ["DEFAULT_LIMITS", "Document", "Limits", "load_document", "parse_document"]


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
    lines: Mapping[KeyPath, int]
    sha256: str
    recoverable: tuple[Problem, ...] = ()

    def line(self, path: Sequence[str | int]) -> int | None:
        """Line of the deepest existing ancestor-or-self of ``path``.

        Args:
            path: keys and list indexes from the root, e.g. ``("hazard", "types", 2)``.

        Returns:
            The line, so that an error about a missing child points at its parent.
        """
        return line_of(self.lines, tuple(path))


_BAD: Any = object()  # stands for a value that produced a problem


class _Loader(yaml.SafeLoader):
    """Safe composer that refuses anchors, aliases and non-core tags and bounds nodes and depth."""

    def __init__(self, text: str, limits: Limits) -> None:
        super().__init__(text)
        self.limits, self.nodes, self.depth = limits, 0, 0
        self.path: list[str | int] = []
        self.tags: dict[int, str] = {}  # id(node) -> explicit tag

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
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
            raise stop_at(*where, "anchors and aliases (&name / *name) are not supported (found "
                        f"{sigil}{event.anchor})", "write the value out in full where it is used")
        if event.tag is not None and event.tag not in TAGS:
            raise stop_at(*where, f"the tag {event.tag.replace(CORE, '!!')} is refused: YAML tags "
                        "that construct objects are refused", "remove the tag, write a plain value")
        self.nodes += 1
        nested = isinstance(event, (SequenceStartEvent, MappingStartEvent))
        self.depth += nested
        if self.nodes > limits.max_nodes:
            raise stop_at(*where, *message_of("nodes", n=limits.max_nodes))
        if self.depth > limits.max_depth:
            raise stop_at(*where, *message_of("depth", n=limits.max_depth))
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
            raise stop_at(self.peek_event().start_mark.line + 1, (), "the file holds more than one "
                        "YAML document (a second `---` starts here)",
                        "keep one document per file: remove this `---` and what follows")
        return root


@dataclass
class _Builder:
    """Turns a composed node tree into plain values, recording lines and collecting problems."""

    limits: Limits
    tags: dict[int, str]
    lines: dict[KeyPath, int] = field(default_factory=lambda: {(): 1})
    problems: list[Problem] = field(default_factory=list)
    soft: list[Problem] = field(default_factory=list)  # duplicate keys: the first value is kept

    def add(self, line: int, path: KeyPath, message: str, hint: str) -> Any:
        self.problems.append(problem_at(line, path, message, hint))
        return _BAD

    def value(self, node: Node, path: KeyPath) -> Any:
        tag, line = self.tags.get(id(node)), self.lines[path]
        if isinstance(node, ScalarNode):
            return self.scalar(node, path, line)
        kind, want = ("list", "seq") if isinstance(node, SequenceNode) else ("mapping", "map")
        if tag not in (None, "!", CORE + want):
            return self.add(line, path, f"the tag {str(tag).replace(CORE, '!!')} cannot be used "
                            f"on a {kind}", "remove the tag")
        if len(node.value) > self.limits.max_list:
            return self.add(line, path, *message_of("entries", kind=kind, n=self.limits.max_list))
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        for i, item in enumerate(node.value):
            self.lines[path + (i,)] = item.start_mark.line + 1
        return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self.key(key_node, path, line)
            if key is _BAD:
                continue
            if key in out:
                self.soft.append(problem_at(line, path + (key,), *message_of("dup", key=key, n=self.lines[path + (key,)])))
                continue
            self.lines[path + (key,)] = line
            out[key] = self.value(value_node, path + (key,))
        return out

    def key(self, node: Node, path: KeyPath, line: int) -> Any:
        if not isinstance(node, ScalarNode):
            return self.add(line, path, "a list or mapping is used as a key; keys must be text",
                            "write the key as plain text followed by `: `")
        if node.value == "<<" and node.style is None and id(node) not in self.tags:
            return self.add(line, path, "merge keys (<<) are not supported",
                            "write the merged fields out in full")
        key = self.scalar(node, path + (node.value,), line)
        if key == "":
            return self.add(line, path + (key,), *message_of("empty_key"))
        if key is _BAD or isinstance(key, str):
            return key
        return self.add(line, path + (node.value,), f"the key {node.value!r} is read as "
                        f"{value_kind(key)}; keys must be text", f'quote the key: "{node.value}": ...')

    def scalar(self, node: ScalarNode, path: KeyPath, line: int) -> Any:
        try:
            return scalar_value(node.value, self.tags.get(id(node)), node.style is None, self.limits)
        except ValueError as err:
            return self.add(line, path, *err.args)


def _syntax_hint(text: str, err: yaml.MarkedYAMLError, mark: Any) -> tuple[str, str] | None:
    """A clearer message and hint for the YAML syntax errors people make most, or None."""
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if err.problem == "could not find expected ':'" and err.context == "while scanning a simple key":
        start = err.context_mark.line if err.context_mark else mark.line
        key = lines[start] if start < len(lines) else ""
        head = key.split(":", 1)[0].strip()
        if len(head) >= 1024:
            return (f"the key is {len(head)} characters long; YAML allows at most 1024 characters in a key",
                    "shorten the key: field names are short (docs/scenario.md)")
    if err.problem == "mapping values are not allowed here":
        found = re.match(r"^(\s*(?:-\s+)?)([A-Za-z_][\w.]*):\s+([^'\"{\[#].*?)\s*$", line)
        if found and ": " in found[3]:
            value = found[3].replace("\\", "\\\\").replace('"', '\\"')
            return (f"invalid YAML: the value of {found[2]!r} contains ': ', which YAML reads as a second key",
                    f'put the value in quotes: {found[2]}: "{value}"')
    return None


def _parse_yaml(text: str, limits: Limits) -> tuple[Any, dict[KeyPath, int], list[Problem]]:
    if not text.strip():
        raise not_mapping(None, 1)     # blank, spaces, tabs: empty (a tab alone is a YAML error)
    fast = read_fast(text, limits)
    if fast is not None:               # libyaml read it exactly as the code below would
        return fast[0], fast[1], []
    try:
        loader = _Loader(text, limits)
    except yaml.reader.ReaderError as err:
        raise stop_at(text.count("\n", 0, err.position) + 1, (), f"the file contains the character "
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
        message, hint = _syntax_hint(text, err, mark) or (message, hint)
        raise stop_at(mark.line + 1 if mark else None, (), message, hint) from None
    except ValueError as err:   # PyYAML's scanner calls chr() on "\U0011FFFF" unchecked
        raise stop_at(loader.get_mark().line + 1, (), f"invalid YAML: an escape names no character ({err})",
                      "\\U escapes go up to \\U0010FFFF; write the character itself") from None
    finally:
        loader.dispose()
    if root is None or (isinstance(root, ScalarNode) and root.style is None
                        and root.value in NULLS):
        raise not_mapping(None, 1)
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise not_mapping(kind, root.start_mark.line + 1)
    builder = _Builder(limits, loader.tags)
    data = builder.value(root, ())
    if builder.problems:
        raise Stop(sorted(builder.problems + builder.soft, key=lambda p: p.line or 0))
    return data, builder.lines, builder.soft


def _check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise stop_at(None, (), f"the file is {size} bytes, larger than the limit of "
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
            raise stop_at(None, (), "this looks like a binary file (it contains NUL bytes), not "
                        "YAML or JSON text", "give a text file saved as UTF-8")
        try:
            text = raw if isinstance(raw, str) else blob.decode("utf-8")
        except UnicodeDecodeError as err:
            line = blob.count(b"\n", 0, err.start) + 1
            raise stop_at(line, (), f"the file is not valid UTF-8 text: byte 0x{blob[err.start]:02x} "
                        f"at byte offset {err.start} (line {line}) cannot be decoded",
                        "save the file with UTF-8 encoding") from None
        parse = parse_json if fmt == "json" else _parse_yaml
        data, lines, soft = parse(text.removeprefix("\ufeff"), limits)
        if soft and not keep_going:
            raise Stop(soft)
    except Stop as stop:
        raise _located(error, name, stop.args[0]) from None
    except RecursionError:
        raise _located(error, name, [problem_at(None, (), "the document is nested too deeply to "
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
            raise stop_at(None, (), f"cannot read the file: it is {kind}", "give the path of a file")
        _check_size(info.st_size, limits)
        with open(path, "rb") as handle:
            raw = handle.read(limits.max_bytes + 1)
        _check_size(len(raw), limits)
    except Stop as stop:
        raise _located(error, name, stop.args[0]) from None
    except OSError as err:
        why = f"cannot read the file: {err.strerror or err}"
        raise _located(error, name, [problem_at(None, (), why, "check that the path exists and is "
                                              "readable")]) from None
    return parse_document(raw, name, fmt=fmt, limits=limits, error=error, keep_going=keep_going)
