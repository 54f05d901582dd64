"""No template of the marked folders has a user-facing word left unmarked, and the finder
catches each kind of unmarked word."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment

from app.config import PROJECT_ROOT
from app.i18n import jinja as i18n_jinja
from app.i18n.scope import MARKED_TEMPLATE_DIRS
from app.i18n.unmarked import unmarked_strings
from app.templating import templates

TEMPLATE_ROOT = PROJECT_ROOT / "templates"


def marked_templates() -> list[str]:
    names: list[str] = []
    for entry in MARKED_TEMPLATE_DIRS:
        path = TEMPLATE_ROOT / entry
        assert path.exists(), f"MARKED_TEMPLATE_DIRS names {entry}, which does not exist"
        files = [path] if path.is_file() else sorted(path.rglob("*.html"))
        names += [str(f.relative_to(TEMPLATE_ROOT)) for f in files]
    return names


@pytest.mark.parametrize("name", marked_templates())
def test_template_marks_every_word(name: str) -> None:
    found = unmarked_strings(templates.env, name)
    assert not found, "unmarked words (wrap them in _() or {% trans %}):\n" + "\n".join(
        str(u) for u in found
    )


def _env(source: str) -> Environment:
    env = Environment(loader=DictLoader({"t.html": source}))
    i18n_jinja.install(env)
    return env


@pytest.mark.parametrize(
    ("source", "text", "where"),
    [
        ("<p>Hello there</p>", "Hello there", "text"),
        ('<p>{{ _("Marked") }} and not</p>', "and not", "text"),
        ('<input placeholder="Your name">', "Your name", "attribute placeholder"),
        ('<a href="/" title="Home page">⌂</a>', "Home page", "attribute title"),
        ('<button aria-label="Close menu">×</button>', "Close menu", "attribute aria-label"),
        ('<img src="x.png" alt="A chart">', "A chart", "attribute alt"),
        ('<input type="submit" value="Send it">', "Send it", "attribute value"),
        ('{{ owed or "nothing" }}', "nothing", "string"),
        ('shop{{ "s" if n != 1 }}', "shop", "text"),
        ('{{ "s" if n != 1 }}', "s", "string"),
        ('{{ field("email", "E-mail address") }}', "E-mail address", "macro argument"),
        ('{{ field("x", _("X"), hint="Say more") }}', "Say more", "macro argument"),
        (
            '{{ field("x", _("X"), attrs=\'placeholder="Type here"\') }}',
            "Type here",
            "attribute placeholder",
        ),
        ("{% if x %}<p>Only {{ x }} then</p>{% endif %}", "Only", "text"),
        ("{% block content %}Plain words{% endblock %}", "Plain words", "text"),
        ('<p>Say "yes" to it</p>', 'Say "yes" to it', "text"),
        # Only an ISO 4217 code passes as a placeholder; a currency's name is a word.
        ('<input placeholder="Euro">', "Euro", "attribute placeholder"),
        ('<input placeholder="EUR or USD">', "EUR or USD", "attribute placeholder"),
        ('<p title="EUR">x</p>', "EUR", "attribute title"),
    ],
)
def test_finder_catches(source: str, text: str, where: str) -> None:
    found = unmarked_strings(_env(source), "t.html")
    assert (text, where) in [(u.text, u.where) for u in found], found


@pytest.mark.parametrize(
    "source",
    [
        '<p>{{ _("Hello there") }}</p>',
        "<p>{% trans %}Hello {{ name }}, welcome{% endtrans %}</p>",
        "<p>{% trans n=count %}{{ n }} shop{% pluralize %}{{ n }} shops{% endtrans %}</p>",
        '<input placeholder="{{ _(\'Your name\') }}" type="text" name="who" class="wide">',
        '<input type="submit" value="{{ _(\'Send\') }}">',
        '<input type="hidden" name="next" value="/home">',
        "<!-- a note for developers --><p>{{ x }} · 12 % — {{ y }}</p>",
        "{# a Jinja comment #}<p>&nbsp;&mdash;&#8226;</p>",
        '<script type="application/json" id="data">{"words": "not shown as text"}</script>',
        "<style>.a { color: red }</style>",
        '{{ "%.1f"|format(v) }} {{ " · " if not loop.last }}',
        "<p>Touchstone</p>",
        '<span class="chip {{ \'chip-bad\' if bad }}" data-kind="x">{{ translate(msg) }}</span>',
        # A block that holds CSS classes, and a macro that writes attributes for its caller.
        "{% block main_class %}container wide{% endblock %}",
        '{% if e %}aria-invalid="true" aria-describedby="{{ p }}-{{ n }}-error"{% endif %}',
        '{% set a %}hx-post="/x" hx-vals=\'{{ {"k": v}|tojson }}\' hx-swap="none"{% endset %}',
        # A field for a currency code shows a code as its example.
        '<input maxlength="3" placeholder="EUR">',
    ],
)
def test_finder_passes_marked_or_wordless(source: str) -> None:
    assert unmarked_strings(_env(source), "t.html") == []


def test_lines_point_at_the_word() -> None:
    found = unmarked_strings(_env("<div>\n{{ _('ok') }}\n</div>\n<p>\nLate word</p>"), "t.html")
    assert [(u.line, u.text) for u in found] == [(5, "Late word")]


def test_marked_dirs_exist() -> None:
    assert all((TEMPLATE_ROOT / entry).exists() for entry in MARKED_TEMPLATE_DIRS)
    assert Path(TEMPLATE_ROOT / "base.html").is_file()
