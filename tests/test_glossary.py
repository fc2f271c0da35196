"""docs/glossary.md defines the abbreviations a newcomer meets: those the issue names, and every one
in the shipped rule set's titles and texts (what a recommendation prints); its citations are the
rule set's own sources, with the same addresses."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import yaml

from scaleup.rules.load import load_ruleset

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
ABBREVIATION = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*[A-Z](?:/[A-Z]+)*s?(?![\w-])")
TEXT_KEYS = {"title", "text", "description", "timing", "note", "actor", "lead", "name", "value"}
NOT_TERMS = {"II", "DOMAIN", "FAQ", "UN"}   # a section number, a file name, "FAQs", "the United Nations"


def section(title: str) -> str:
    return GLOSSARY.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def headwords(text: str) -> list[str]:
    return re.findall(r"^- \*\*(.+?)\*\*", text, flags=re.M)


def defined() -> set[str]:
    return {word for head in headwords(GLOSSARY) for word in re.split(r"[ ,]+", head)}


def texts(node: Any, key: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from texts(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from texts(v, key)
    elif isinstance(node, str) and key in TEXT_KEYS:
        yield node


def rule_set_abbreviations() -> set[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "rulesets" / "iasc-2018").rglob("*.yaml")):
        for text in texts(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for token in ABBREVIATION.findall(text):
                found.update(part[:-1] if part.endswith("s") else part for part in token.split("/"))
    return found - NOT_TERMS


def test_the_abbreviations_the_issue_names_are_defined() -> None:
    wanted = ["ERC", "HC", "RC/HC", "HCT", "IASC", "EDG", "CCCM", "RCM", "RRP", "HRP", "OPR", "IAHE", "IARRM", "PHEIC",
              "IPC", "GAM", "LCC"]
    missing = [a for a in wanted if a not in defined()]
    assert not missing


def test_every_abbreviation_a_recommendation_can_print_is_defined() -> None:
    found = rule_set_abbreviations()
    assert {"ERC", "UNHCR", "CCCM", "IDP", "RC", "HC"} <= found   # the scan finds them (RC/HC as RC and HC)
    missing = sorted(found - defined())
    assert not missing, f"define {missing} in docs/glossary.md (or add a non-term to NOT_TERMS)"


def test_abbreviations_are_in_alphabetical_order() -> None:
    heads = headwords(section("Abbreviations"))
    assert len(heads) > 50
    assert heads == sorted(heads, key=str.casefold)


def test_every_citation_is_a_source_of_the_shipped_rule_set_at_its_address() -> None:
    sources = load_ruleset("iasc-2018").sources
    cited = re.findall(r"\[([A-Z][A-Z0-9-]+)\]\(([^)]+)\)", GLOSSARY)
    assert len(cited) > 20
    for source_id, url in cited:
        if source_id == "HDX-SIGNALS":   # the rule set names the code it read, without an address
            assert url == "https://github.com/OCHA-DAP/hdx-signals" and source_id in sources
            continue
        assert source_id in sources, f"{source_id} is not a source of iasc-2018"
        assert sources[source_id].url == url, f"{source_id}: the rule set cites {sources[source_id].url}"


def test_every_entry_says_something() -> None:
    entries = re.split(r"^- \*\*", GLOSSARY, flags=re.M)[1:]
    assert all(len(entry.split("**", 1)[1].strip(" :\n")) > 20 for entry in entries)
