"""Every user-facing string is translated into Dutch, French and German, and the
compiled catalogues the application loads are the ones in the .po files."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import missing_service

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ["nl", "fr", "de", "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False
    sources: list[str] = field(default_factory=list)


def read_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for the files makemessages writes."""
    entries, entry, key = [], Entry(), None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if key is not None:
                entries.append(entry)
            entry, key = Entry(), None
        elif line.startswith("#,"):
            entry.fuzzy = "fuzzy" in line
        elif line.startswith("#:"):
            entry.sources += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(key, int):
                entry.msgstr[key] += value
            else:
                setattr(entry, key, getattr(entry, key) + value)
        else:
            name, value = line.split(" ", 1)
            value = ast.literal_eval(value)
            if name.startswith("msgstr"):
                key = int(name[7:-1]) if "[" in name else 0
                entry.msgstr[key] = value
            else:
                key = name
                setattr(entry, key, value)
    return entries


def _catalogue(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", LOCALES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    entries = read_po(_catalogue(language))
    assert len(entries) > 100
    header, messages = entries[0], entries[1:]
    assert not header.fuzzy and f"Language: {language}" in header.msgstr[0]
    untranslated = [e.msgid for e in messages if not all(e.msgstr.values())]
    fuzzy = [e.msgid for e in messages if e.fuzzy]
    assert untranslated == [], f"untranslated in {language}"
    assert fuzzy == [], f"fuzzy in {language}"


@pytest.mark.parametrize("language", LOCALES)
def test_translations_keep_every_placeholder(language):
    for entry in read_po(_catalogue(language))[1:]:
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        for form, text in entry.msgstr.items():
            source = entry.msgid_plural if form and entry.msgid_plural else entry.msgid
            found = sorted(PLACEHOLDER.findall(text))
            assert found == sorted(PLACEHOLDER.findall(source)) or (
                # a singular form may spell out "one" instead of the number
                entry.msgid_plural and set(found) <= set(expected) | {"%(count)s"}
            ), f"{language}: {entry.msgid!r}"


@pytest.mark.parametrize("language", LOCALES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    po = _catalogue(language)
    with open(po.with_suffix(".mo"), "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    for entry in read_po(po)[1:]:
        context = f"{entry.msgctxt}\x04" if entry.msgctxt is not None else ""
        if entry.msgid_plural:
            assert catalogue._catalog[(context + entry.msgid, 0)] == entry.msgstr[0]
        else:
            assert catalogue._catalog[context + entry.msgid] == entry.msgstr[0], (
                f"{language}: run `make compilemessages`"
            )


def test_every_string_in_the_code_is_in_the_catalogues(tmp_path):
    """makemessages on a copy of the code finds no msgid the catalogues lack."""
    if not shutil.which("xgettext"):
        missing_service("needs GNU gettext (xgettext) to extract the strings")
    for name in ["manage.py", "institute", "cases", "intake", "reporting", "templates"]:
        source = ROOT / name
        copy = shutil.copytree if source.is_dir() else shutil.copy
        copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    extracted = {e.msgid for e in read_po(tmp_path / "locale/fr/LC_MESSAGES/django.po")[1:]}
    assert len(extracted) > 100
    for language in LOCALES:
        known = {e.msgid for e in read_po(_catalogue(language))[1:]}
        missing = sorted(extracted - known)
        assert missing == [], f"not in {language}: run `make messages` and translate"


# The public pages address the reader one way per language, chosen on purpose (README,
# "How the public pages speak"): Dutch "je", French "vous", German "Sie". A string in the
# other form would read as if written by someone else.
PUBLIC_SOURCES = ("templates/intake/", "intake/", "cases/report_form.py", "templates/base.html")
OTHER_FORM = {
    "nl": r"\b(u|uw)\b",
    "fr": r"\b(tu|toi|ton|ta|tes|te)\b",
    "de": r"\b(du|dich|dir|dein\w*)\b",
}


@pytest.mark.parametrize("language", OTHER_FORM)
def test_the_public_pages_address_the_reader_one_way(language):
    public = [
        entry
        for entry in read_po(_catalogue(language))[1:]
        if any(source.startswith(PUBLIC_SOURCES) for source in entry.sources)
    ]
    assert len(public) > 100
    other = re.compile(OTHER_FORM[language], re.IGNORECASE)
    mixed = [text for e in public for text in e.msgstr.values() if other.search(text)]
    assert mixed == [], f"{language}: the public pages use the other form of address"


@pytest.mark.parametrize("language", ["nl", "fr", "de"])  # English: the library's own
def test_every_message_of_the_passkey_script_is_translated(language):
    """django-otp-webauthn's script speaks through Django's JavaScript catalogue; the
    project's djangojs catalogue covers each of its messages (the library has no French,
    and a new version's new message would otherwise show in English)."""
    import django_otp_webauthn

    scripts = Path(django_otp_webauthn.__file__).parent / "static" / "django_otp_webauthn"
    source = "".join(path.read_text() for path in scripts.glob("*.js"))
    wanted = set(re.findall(r'gettext\("((?:[^"\\]|\\.)+)"\)', source))
    assert len(wanted) > 15
    path = ROOT / "locale" / language / "LC_MESSAGES" / "djangojs.po"
    translated = {e.msgid for e in read_po(path)[1:] if e.msgstr.get(0) and not e.fuzzy}
    assert sorted(wanted - translated) == []


def test_the_passkey_script_gets_its_messages_in_the_persons_language(client):
    from django.urls import reverse

    french = client.get(reverse("otp_webauthn:js-i18n-catalog"), HTTP_ACCEPT_LANGUAGE="fr")
    assert french.status_code == 200
    assert "Confirmer avec une cl\\u00e9 d\\u2019acc\\u00e8s" in french.content.decode()
