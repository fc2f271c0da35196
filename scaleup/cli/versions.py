"""What ``scaleup --version`` reports: scaleup, each shipped rule set and durable_rules.

A recommendation's stamp records the same three (``stamp.scaleup_version``, ``ruleset_id`` and
``ruleset_version``, ``durable_rules_version``); this is the view before any evaluation.
"""

from __future__ import annotations

import sys
from importlib import metadata

from ..errors import RulesetError
from ..rules.load import shipped_rulesets_dir
from ..scenario.yamlio import load_document
from ..version import __version__

DISTRIBUTION = "scaleup-iasc"   # the name on the package index (pyproject.toml); the import name is scaleup


def shipped_ruleset_versions() -> list[tuple[str, str]]:
    """``(id, version)`` of every shipped rule set, read from its ``ruleset.yaml`` without
    compiling it; a file that cannot be read shows ``unreadable`` (``rules check`` says why)."""
    out = []
    for head in sorted(shipped_rulesets_dir().glob("*/ruleset.yaml")):
        try:
            data = load_document(head, error=RulesetError).data
        except RulesetError:
            data = None
        version = data.get("version") if isinstance(data, dict) else None
        out.append((head.parent.name, str(version) if version is not None else "unreadable"))
    return out


def durable_rules_version() -> str:
    """The installed durable_rules distribution's version, or ``not installed``."""
    try:
        return metadata.version("durable_rules")
    except metadata.PackageNotFoundError:
        return "not installed"


def version_text() -> str:
    """The lines ``scaleup --version`` prints, the first one ``scaleup X.Y.Z``."""
    lines = [f"scaleup {__version__} (distribution {DISTRIBUTION})"]
    lines += [f"rule set {name} {version}" for name, version in shipped_ruleset_versions()]
    lines.append(f"durable_rules {durable_rules_version()}")
    lines.append(f"Python {sys.version.split()[0]}")
    return "\n".join(lines)
