"""Nothing in the code or the templates switches HTML escaping off, and plain-text
templates come out as plain str, so a page that shows them escapes them."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.safestring import SafeData

from institute.text import render_text

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["cases", "intake", "reporting", "institute", "templates"]
# What would mark text as safe HTML or turn escaping off.
FORBIDDEN = re.compile(
    r"autoescape\s+off|\|\s*safe\b|\|\s*safeseq\b|mark_safe|SafeString\(|format_html|"
    r"\{%\s*filter\s+safe"
)


def _files():
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".html", ".txt"} and "migrations" not in path.parts:
                yield path


def test_no_template_or_module_turns_escaping_off():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert found == []


def test_plain_text_templates_render_to_plain_str():
    context = {"platform": "A & B", "url": "<b>x</b>", "explanations": [], "reference": "1"}
    text = render_text("cases/notice.txt", context)
    assert type(text) is str and not isinstance(text, SafeData)
    assert "<b>x</b>" in text and "A & B" in text  # plain, for copying: not escaped


def test_every_plain_text_template_is_rendered_only_as_text():
    """A .txt template rendered by the HTML engine would escape (or be marked safe);
    the modules that render them go through institute.text."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files()
        if path.suffix == ".py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"render_to_string\(.*\.txt", line)
    ]
    assert offenders == []
