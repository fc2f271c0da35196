"""Perturbations of scenario data and mutations of serialised documents.

Structural perturbations change the data (delete or add keys, retype values, extreme numbers,
unusual Unicode, huge strings, deep nesting, long lists); :func:`dump` serialises it as YAML or
JSON in a random style; :func:`mutate_text` then works on the bytes (duplicated keys and lines,
tabs, truncation, stray bytes, YAML anchors, aliases and object tags).
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import yaml

PWNED = "fuzz-pwned"   # a YAML object tag in a case would create this file if it ever ran

BAD_KEYS = ("populations.affected", "Affected", "AFFECTED", "pöpulation", "id", "sid", "t", "_id",
            "__class__", "", " ", "k" * 300, "🌀", "\u202eevil", "1", "true", "null", "a b",
            "x\u0000y", "\ud800")
EXTREMES: tuple[Any, ...] = (
    0, -1, 1, 2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, -2**63, 2**64, 10**20, 10**400,
    1e308, -1e308, 1e-320, 5e-324, -0.0, 1e-5, 1e16, 1e15, 0.1 + 0.2, 123456789.123456789,
    float("nan"), float("inf"), float("-inf"), True, False, None,
    "nan", "inf", "-inf", ".nan", "NaN", "1e5", "0x10", "1_000", " 5 ", "50", "1,000", "", "~")
UNICODE = ("🌀 cyclone", "مرحبا بالعالم", "abc\u202edef", "e\u0301\u0301\u0301", "zero\u200bwidth",
           "nul\x00byte", "\ud800", "a\udfffb", "\x1b[31mred\x1b[0m", "line\r\nbreak", "tab\there",
           "<script>alert(1)</script>", "\"quoted\" 'single'", "| pipe | * star _under_ # [l](u)",
           "\ufeffbom", "\uffff\ufffe", "\U0010ffff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "ǅ", "İ", "\u00a0nbsp")
TOKENS = ("&a ", "*a", "!!python/object/apply:os.system [\"touch " + PWNED + "\"] ",
          "!!python/name:os.system ", "!!binary aGVsbG8= ", "!custom ", "<<: *a\n", "---\n",
          "%YAML 1.1\n---\n", "? ", "- ", ": ", "{", "[", "}", "]", "\"", "'", "#", "|\n", ">\n",
          ".nan", "-.inf", "1e400", "0x1F", "0o17", "1_000", "~", "NO", "yes", "2026-02-30",
          "12:30:00", "9" * 5000, "\t", "\\", "\\ud800", "\"\\ud800\"", "\"\\0\"", ",", "@", "`")
BYTES = (b"\xff\xfe", b"\x00", b"\xef\xbb\xbf", b"\r", b"\x1b", b"\xed\xa0\x80", b"\xc3", b"\x85",
         b"\xe2\x80\xa8", b"\x7f")


def _slots(data: Any, path: tuple = ()) -> list[tuple]:
    """Every (container path, key) inside ``data``."""
    out: list[tuple] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append((path, key))
        out.extend(_slots(value, path + (key,)))
    return out


def _at(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


def _retype(rnd: random.Random, value: Any) -> Any:
    if isinstance(value, bool):
        return rnd.choice(("yes", "true", 1, "on", [value], None))
    if isinstance(value, (int, float)):
        return rnd.choice((str(value), f"{value:,}", [value], {"value": value}, True, None, str(value) + " people"))
    if isinstance(value, str):
        return rnd.choice(([value], {value[:20] or "k": value}, 0, None, 3.5, True))
    if isinstance(value, dict):
        return rnd.choice(("a section", [], 1, None, list(value.values())))
    if isinstance(value, list):
        return rnd.choice(({str(i): v for i, v in enumerate(value)}, "a list", 0, None, value * 2))
    return rnd.choice(("text", 0, []))


def _nest(rnd: random.Random, depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = [leaf] if rnd.random() < 0.5 else {"a": leaf}
    return leaf


def _huge(rnd: random.Random) -> str:
    size = rnd.choice((81, 201, 501, 4_001, 10_001, 100_000, 1_100_000))
    return rnd.choice(("x", "é", "🌀", "ab ")) * (size // 3 + 1)




def _perturb_once(rnd: random.Random, data: dict[str, Any]) -> str:
    slots = _slots(data) or [((), None)]
    path, key = rnd.choice(slots)
    parent = _at(data, path)
    where = ".".join(map(str, path + ((key,) if key is not None else ())))
    op = rnd.choice(("delete", "unknown_key", "retype", "extreme", "unicode", "huge", "nest", "long_list", "bad_key"))
    if key is None:
        op = "unknown_key"
    if op == "delete":
        del parent[key]
    elif op == "unknown_key" or op == "bad_key":
        target = parent if isinstance(parent, dict) else data
        target[rnd.choice(BAD_KEYS)] = rnd.choice((1, "x", {"a": 1}, None))
    elif op == "retype":
        parent[key] = _retype(rnd, parent[key])
    elif op == "extreme":
        parent[key] = rnd.choice(EXTREMES)
    elif op == "unicode":
        parent[key] = rnd.choice(UNICODE) * rnd.choice((1, 1, 3, 60))
    elif op == "huge":
        parent[key] = _huge(rnd)
    elif op == "nest":
        parent[key] = _nest(rnd, rnd.choice((2, 5, 31, 33, 60)), parent[key])   # PyYAML recurses: stay shallow
    elif op == "long_list":
        count = rnd.choice((2, 9, 11, 100, 5_001))   # over 5,000: the list limit
        size = len(json.dumps(parent[key], default=str))
        item = parent[key]   # copies, not references: a later perturbation changes one entry only
        parent[key] = [copy.deepcopy(item) for _ in range(max(2, min(count, 2_000_000 // size)))]
    return f"{op}@{where}"


def perturb(rnd: random.Random, data: dict[str, Any], times: int) -> tuple[dict[str, Any], str]:
    """Apply ``times`` random perturbations to a copy of ``data``."""
    data = copy.deepcopy(data)
    return data, ",".join(_perturb_once(rnd, data) for _ in range(times))


class _NoAliases(yaml.SafeDumper):
    """PyYAML writes an object seen twice as &anchor/*alias, which scenario files refuse."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


class _FastNoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):   # LibYAML's emitter when built
    ignore_aliases = _NoAliases.ignore_aliases


def dump(rnd: random.Random, data: Any) -> tuple[str, bytes]:
    """Serialise as YAML or JSON in a random style; returns (fmt, bytes)."""
    if rnd.random() < 0.45:
        text = json.dumps(data, default=str, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice((None, 2)))
        return "json", text.encode("utf-8", "surrogatepass")
    style = dict(sort_keys=False, allow_unicode=rnd.random() < 0.5, default_flow_style=rnd.choice((False, None)),
                 width=rnd.choice((80, 10**6)))
    try:
        text = yaml.dump(data, Dumper=_FastNoAliases, **style)
    except UnicodeEncodeError:   # LibYAML cannot write lone surrogates; PyYAML escapes them
        text = yaml.dump(data, Dumper=_NoAliases, **style)
    return "yaml", text.encode("utf-8", "surrogatepass")


def _lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")


def mutate_text(rnd: random.Random, raw: bytes, fmt: str) -> tuple[bytes, str]:
    """One byte-level mutation of a serialised document."""
    lines = _lines(raw)
    i = rnd.randrange(len(lines))
    op = rnd.choice(("dup_line", "dup_key", "delete_line", "swap_lines", "tab", "truncate",
                     "flip", "bytes", "token", "indent", "number"))
    if op == "dup_line":
        lines.insert(i, lines[i])
    elif op == "dup_key":   # repeat a `key: value` (or `"key": value,`) pair on the same level
        keyed = [n for n, line in enumerate(lines) if b":" in line and not line.strip().startswith(b"#")]
        if keyed:
            n = rnd.choice(keyed)
            lines.insert(n + 1, lines[n] + (b"," if fmt == "json" and not lines[n].rstrip().endswith((b",", b"{")) else b""))
    elif op == "delete_line":
        del lines[i]
    elif op == "swap_lines":
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "tab":
        lines[i] = b"\t" + lines[i]
    elif op == "truncate":
        return raw[: rnd.randrange(len(raw) + 1)], op
    elif op == "flip":
        pos = rnd.randrange(len(raw) or 1)
        return raw[:pos] + bytes([rnd.randrange(256)]) + raw[pos + 1:], op
    elif op == "bytes":
        pos = rnd.randrange(len(raw) + 1)
        return raw[:pos] + rnd.choice(BYTES) + raw[pos:], op
    elif op in ("token", "number"):
        line = lines[i].decode("utf-8", "replace")
        pos = line.find(": ") + 2 if op == "number" and ": " in line else rnd.randrange(len(line) + 1)
        token = rnd.choice(TOKENS)
        lines[i] = (line[:pos] + token + (line[pos:] if op == "token" else "")).encode("utf-8", "surrogatepass")
    elif op == "indent":
        lines[i] = b" " * rnd.choice((1, 2, 3, 7)) + lines[i]
    return b"\n".join(lines), op
