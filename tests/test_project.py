"""Project-wide checks: schema matches migrations, the UI is fully translated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app/translations/zh/LC_MESSAGES/messages.po"


def test_migrations_match_the_models(runner):
    """`flask db check` on a database built by `flask db upgrade` finds no drift."""
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, (result.output, result.exception)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with CATALOG.open("rb") as handle:
        catalog = {m.id: m for m in read_po(handle) if m.id}
    missing = sorted(
        str(i)
        for i in wanted
        if i not in catalog or not catalog[i].string or catalog[i].fuzzy
    )
    assert not missing, f"untranslated UI strings: {missing[:20]}"
    check = subprocess.run(
        [sys.executable, "scripts/check_translations.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


def test_code_is_lint_clean_and_formatted():
    ruff = str(Path(sys.executable).parent / "ruff")
    check = subprocess.run(
        [ruff, "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout[-3000:]
    formatted = subprocess.run(
        [ruff, "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, formatted.stdout[-3000:]


def test_no_ui_string_is_translated_twice():
    """A string given two translations would show one of them at random."""
    seen: dict[str, set[str]] = {}
    msgid = None
    for line in CATALOG.read_text(encoding="utf-8").splitlines():
        if line.startswith('msgid "'):
            msgid = line[len('msgid "') : -1]
        elif line.startswith('msgstr "') and msgid:
            seen.setdefault(msgid, set()).add(line[len('msgstr "') : -1])
            msgid = None
    twice = {key: values for key, values in seen.items() if len(values) > 1}
    assert twice == {}
