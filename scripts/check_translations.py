#!/usr/bin/env python
"""Check a gettext catalog: every message translated, placeholders kept.

Usage: python scripts/check_translations.py [PO_FILE ...]
(default: app/translations/zh/LC_MESSAGES/messages.po)

Exits 1 when a msgid has no (or a fuzzy) translation, or when the set of
placeholders (%(name)s, %d, %s ... and {name}) differs between msgid and msgstr.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po

DEFAULT = Path(__file__).resolve().parent.parent / (
    "app/translations/zh/LC_MESSAGES/messages.po"
)

# %(name)s / %(count)d, plain %s / %d (not "%%" and not "100 %."), and {name}.
PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa])"
)
BRACES = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")


def placeholders(text: str) -> list[str]:
    """Sorted placeholders of a message (a bag: repeated ones count)."""
    text = text.replace("%%", "")
    found = [
        f"%({m['name']}){m['conv']}" if m["name"] is not None else f"%{m['conv']}"
        for m in PERCENT.finditer(text)
    ]
    found += [f"{{{m['name']}}}" for m in BRACES.finditer(text)]
    return sorted(found)


def forms(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(v or "" for v in value)
    return (value or "",)


def check(path: Path) -> list[str]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue  # header
        ids = forms(message.id)
        strings = forms(message.string)
        where = f"{path}:{message.lineno}" if message.lineno else str(path)
        shown = ids[0] if len(ids[0]) <= 70 else ids[0][:67] + "..."
        if not all(s.strip() for s in strings):
            problems.append(f"{where}: untranslated: {shown!r}")
            continue
        if message.fuzzy:
            problems.append(f"{where}: fuzzy: {shown!r}")
        # With plurals, every msgstr[n] must use the placeholders of the msgid
        # (or of msgid_plural, which may differ by the count placeholder only).
        allowed = [placeholders(i) for i in ids]
        for string in strings:
            got = placeholders(string)
            if got not in allowed:
                problems.append(
                    f"{where}: placeholders differ in {shown!r}: "
                    f"msgid {allowed[0]} vs msgstr {got}"
                )
    return problems


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [DEFAULT]
    problems: list[str] = []
    total = 0
    for path in paths:
        with path.open("rb") as handle:
            total += sum(1 for m in read_po(handle) if m.id)
        problems += check(path)
    for line in problems:
        print(line)
    print(f"{total} messages checked, {len(problems)} problem(s).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
