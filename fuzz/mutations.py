"""Perturbations of scenario data and mutations of serialised documents.

Structural perturbations change the data (delete or add keys, retype values, extreme numbers,
unusual Unicode, huge strings, deep nesting, long lists, hexadecimal and octal literals
thousands of digits long, dates near and beyond the accepted range, terminal control sequences
in keys and values); :func:`dump` serialises it as YAML or JSON in a random style; :func:`mutate_text`
then works on the bytes (duplicated keys and lines, tabs, truncation, stray bytes, raw control
characters, YAML anchors, aliases and object tags).
"""

from __future__ import annotations

import copy
import json
import random
import re
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
# Numbers as YAML 1.1 (and 1.2) hexadecimal and octal literals; the long ones go past the
# bounded digit counts (3,571 hexadecimal, 4,761 octal digits give 4,300 decimal ones).
HEX_OCTAL = ("0x10", "0x1F", "0xff_ff", "-0x10", "+0x7", "0x0", "0x", "0X1F", "0x1g", "0x_ff",
             "0o17", "0o0", "-0o7", "0o8", "0o", "017", "0017", "0b1010", "1:30", "0x" + "f" * 13,
             "0x" + "f" * 14, "0x" + "0" * 5_000 + "1", "0o" + "0" * 6_000 + "7", "0" * 5_000 + "7")
HEX_OCTAL_SIZES = ((16, "0123456789abcdefABCDEF", (3_571, 3_572, 9_000)), (8, "01234567", (4_761, 4_762, 9_000)))
# Dates near and beyond the accepted range (1900-01-01 .. 2100-12-31), and impossible ones.
FAR_DATES = ("9999-12-31", "0001-01-01", "0000-01-01", "2100-12-31", "2101-01-01", "1899-12-31",
             "1900-01-01", "2026-02-30", "2023-02-29", "2024-02-29", "2026-13-01", "2026-00-10",
             "2026-04-31", "10000-01-01", "-2026-01-01", "2026-1-1", "2026-03-20T00:00:00",
             "2100-12-31 23:59:59", "1970-01-01")
DATE_FIELDS = (("as_of",), ("hazard", "started"), ("activation", "date"), ("activation", "extensions", 0, "date"),
               ("activation", "extensions", 1, "date"), ("capacity", "flash_appeal_date"))
# Terminal control sequences: CSI (clear, colour, cursor), OSC (title, hyperlink, clipboard),
# DCS, BEL, backspaces, C1 controls (CSI as one byte), bidi override, line/paragraph separators.
CONTROLS = ("\x1b[2J\x1b[H", "\x1b[31mred\x1b[0m", "\x1b]0;owned\x07", "\x1b]8;;http://evil.example\x07link\x1b]8;;\x07",
            "\x1b]52;c;aGVsbG8=\x07", "\x1bP+q\x1b\\", "\x07", "\x08\x08\x08", "\rerror: forged",
            "\nerror: forged", "\x0b\x0c", "\x9b31m", "\x9d0;t\x9c", "\x85", "\x90\x9f", "\x7f",
            "\u202eevil", "\u2028", "\u2029", "\u200f\u2066x\u2069", "\ufeff", "\x01\x02\x03\x1f",
            "\t", "\x1b")

TOKENS = ("&a ", "*a", "!!python/object/apply:os.system [\"touch " + PWNED + "\"] ",
          "!!python/name:os.system ", "!!binary aGVsbG8= ", "!custom ", "<<: *a\n", "---\n",
          "%YAML 1.1\n---\n", "? ", "- ", ": ", "{", "[", "}", "]", "\"", "'", "#", "|\n", ">\n",
          ".nan", "-.inf", "1e400", "0x1F", "0o17", "1_000", "~", "NO", "yes", "2026-02-30",
          "12:30:00", "9" * 5000, "\t", "\\", "\\ud800", "\"\\ud800\"", "\"\\0\"", ",", "@", "`",
          *HEX_OCTAL[-6:], "0x" + "f" * 9_000, "0o" + "7" * 9_000, "9999-12-31", "0001-01-01", "1899-12-31",
          "2100-12-31", "\"\\e[2J\\a\"", "\"\\x9b\\u202e\\L\"", "\"\\N\\P\\x07\"")
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




def raw(literal: str) -> str:
    """A placeholder :func:`dump` replaces by ``literal`` written as is (unquoted in YAML): the
    dumpers would quote a hexadecimal number or an impossible date, or refuse to write it."""
    return f"zzraw{literal.encode('utf-8').hex()}zz"


_RAW = re.compile(r"([\"']?)zzraw([0-9a-f]*)zz\1")


def hex_octal(rnd: random.Random) -> str:
    """A YAML 1.1 / 1.2 hexadecimal or octal literal: short, odd, or thousands of digits long."""
    if rnd.random() < 0.6:
        return rnd.choice(HEX_OCTAL)
    base, digits, sizes = rnd.choice(HEX_OCTAL_SIZES)
    body = "".join(rnd.choice(digits) for _ in range(rnd.choice(sizes)))
    if rnd.random() < 0.2:   # underscores between digits, which YAML 1.1 allows
        body = "_".join(body[i:i + 4] for i in range(0, len(body), 4))
    return rnd.choice(("", "", "-", "+")) + ("0x" if base == 16 else "0o") + body


def far_date(rnd: random.Random) -> str:
    """A date near or beyond the accepted range 1900-01-01 .. 2100-12-31, or an impossible one."""
    if rnd.random() < 0.7:
        return rnd.choice(FAR_DATES)
    year = rnd.choice((1, 1000, 1899, 1900, 1901, 2099, 2100, 2101, 9998, 9999))
    return f"{year:04d}-{rnd.choice((1, 2, 12)):02d}-{rnd.choice((1, 28, 29, 30, 31)):02d}"


def _set_path(data: dict[str, Any], path: tuple, value: Any) -> tuple:
    """Set ``value`` at ``path``, making missing sections; returns the path set (``as_of`` when
    the path goes through a list too short or a value that is not a section)."""
    target: Any = data
    for part in path[:-1]:
        nxt = target.get(part) if isinstance(target, dict) else (
            target[part] if isinstance(target, list) and isinstance(part, int) and part < len(target) else None)
        if nxt is None and isinstance(target, dict) and isinstance(part, str):
            nxt = target[part] = {}
        if not isinstance(nxt, (dict, list)):
            data["as_of"] = value
            return ("as_of",)
        target = nxt
    if isinstance(target, list) and not (isinstance(path[-1], int) and path[-1] < len(target)):
        data["as_of"] = value
        return ("as_of",)
    target[path[-1]] = value
    return path


def _with_control(rnd: random.Random, text: str) -> str:
    control = rnd.choice(CONTROLS) * rnd.choice((1, 1, 1, 3))
    at = rnd.randrange(len(text) + 1)
    return text[:at] + control + text[at:]


TEXT_FIELDS = (("title",), ("description",), ("country", "name"), ("capacity", "lead_deliverer"),
               ("outbreak", "disease"), ("id",))


def _targeted(rnd: random.Random, data: dict[str, Any], op: str, slots: list[tuple]) -> str:
    """The perturbations aimed at one kind of value: hex, far_date, control_key, control_value."""
    if op == "hex":
        numbers = [(p, k) for p, k in slots if isinstance(_at(data, p)[k], (int, float))
                   and not isinstance(_at(data, p)[k], bool)]
        path, key = rnd.choice(numbers) if numbers else ((), "as_of")
        _at(data, path)[key] = raw(hex_octal(rnd))
        return f"hex@{'.'.join(map(str, path + (key,)))}"
    if op == "far_date":
        path = _set_path(data, rnd.choice(DATE_FIELDS), raw(far_date(rnd)))
        if rnd.random() < 0.3:   # a second date at the edge too: as_of and what comes before it
            _set_path(data, rnd.choice(DATE_FIELDS), raw(rnd.choice(("1900-01-01", "2100-12-31", "2100-12-30"))))
        return f"far_date@{'.'.join(map(str, path))}"
    if op == "control_key":
        sections = [()] + [p + (k,) for p, k in slots if isinstance(_at(data, p)[k], dict)]
        path = rnd.choice(sections)
        section = _at(data, path)
        keys = [k for k in section if isinstance(k, str)]
        if keys and rnd.random() < 0.6:   # a known key with a control character inside it
            old = rnd.choice(keys)
            section[_with_control(rnd, old)] = section.pop(old)
        else:
            section[_with_control(rnd, rnd.choice(("", "note", "title")))] = rnd.choice((1, "x", None))
        return f"control_key@{'.'.join(map(str, path))}"
    texts = [(p, k) for p, k in slots if isinstance(_at(data, p)[k], str)]
    if rnd.random() < 0.5 or not texts:
        path = rnd.choice(TEXT_FIELDS)   # the texts reports show
        section = data.get(path[0]) if len(path) > 1 else data
        current = section.get(path[-1]) if isinstance(section, dict) else None
        path = _set_path(data, path, _with_control(rnd, current if isinstance(current, str) else "Flood"))
    else:
        parent_path, key = rnd.choice(texts)
        _at(data, parent_path)[key] = _with_control(rnd, _at(data, parent_path)[key])
        path = parent_path + (key,)
    return f"control_value@{'.'.join(map(str, path))}"


PERTURBATIONS = ("delete", "unknown_key", "retype", "extreme", "unicode", "huge", "nest", "long_list", "bad_key",
                 "hex", "far_date", "control_key", "control_value")


def _perturb_once(rnd: random.Random, data: dict[str, Any]) -> str:
    slots = _slots(data) or [((), None)]
    op = rnd.choice(PERTURBATIONS)
    if op in ("hex", "far_date", "control_key", "control_value"):
        return _targeted(rnd, data, op, [s for s in slots if s[1] is not None])
    path, key = rnd.choice(slots)
    parent = _at(data, path)
    where = ".".join(map(str, path + ((key,) if key is not None else ())))
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


def _unraw(rnd: random.Random, text: str, fmt: str) -> str:
    """Replace every :func:`raw` placeholder by its literal: as is in YAML; in JSON mostly as a
    string (JSON has no hexadecimal numbers or dates), sometimes as is (invalid JSON but for
    plain numbers)."""
    if "zzraw" not in text:
        return text

    def literal(match: re.Match) -> str:
        value = bytes.fromhex(match.group(2)).decode("utf-8")
        return json.dumps(value) if fmt == "json" and rnd.random() < 0.8 else value
    return _RAW.sub(literal, text)


def dump(rnd: random.Random, data: Any) -> tuple[str, bytes]:
    """Serialise as YAML or JSON in a random style; returns (fmt, bytes)."""
    if rnd.random() < 0.45:
        text = json.dumps(data, default=str, ensure_ascii=rnd.random() < 0.5, indent=rnd.choice((None, 2)))
        return "json", _unraw(rnd, text, "json").encode("utf-8", "surrogatepass")
    style = dict(sort_keys=False, allow_unicode=rnd.random() < 0.5, default_flow_style=rnd.choice((False, None)),
                 width=rnd.choice((80, 10**6)))
    try:
        text = yaml.dump(data, Dumper=_FastNoAliases, **style)
    except UnicodeEncodeError:   # LibYAML cannot write lone surrogates; PyYAML escapes them
        text = yaml.dump(data, Dumper=_NoAliases, **style)
    return "yaml", _unraw(rnd, text, "yaml").encode("utf-8", "surrogatepass")


def _lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")


def mutate_text(rnd: random.Random, raw: bytes, fmt: str) -> tuple[bytes, str]:
    """One byte-level mutation of a serialised document."""
    lines = _lines(raw)
    i = rnd.randrange(len(lines))
    op = rnd.choice(("dup_line", "dup_key", "delete_line", "swap_lines", "tab", "truncate",
                     "flip", "bytes", "token", "indent", "number", "control"))
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
    elif op == "control":   # raw control characters in a key or a value, unescaped
        line = lines[i].decode("utf-8", "replace")
        lines[i] = _with_control(rnd, line).encode("utf-8", "surrogatepass")
    elif op == "indent":
        lines[i] = b" " * rnd.choice((1, 2, 3, 7)) + lines[i]
    return b"\n".join(lines), op
