"""Words in a template that no one marked for translation.

`unmarked_strings(env, name)` parses the template (Jinja's own parser, so `{% trans %}` and
`{{ _("...") }}` are already calls, not text) and reports, with their lines:

- text of the page: the template's literal text with tags, comments, entities, scripts and
  styles taken out; any word left (letters, not numbers or punctuation) is unmarked;
- user-facing attributes written as text: placeholder, title, aria-label, alt, and the value
  of a submit or button input;
- strings printed as they are (`{{ "nothing" }}`, `{{ x or "none" }}`, `{{ "s" if n > 1 }}`)
  and text handed to a macro as its label or hint (`field("email", "E-mail")`, `hint="..."`).

Which templates must pass lives in app/i18n/scope.py (MARKED_TEMPLATE_DIRS).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from babel.numbers import list_currencies
from jinja2 import Environment, nodes

# Words that read the same in every language and are not translated.
ALLOWED_WORDS = frozenset({"Touchstone", "OpenStreetMap"})

# Functions whose string arguments are marked (Jinja's i18n names, and translate() which
# shows a marked constant) or are not words at all.
GETTEXT_NAMES = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext", "translate"})

# Arguments of macros that are shown as text: by keyword, and by position for `field`.
TEXT_KWARGS = frozenset({"label", "hint", "title", "placeholder", "legend", "help", "empty"})
TEXT_POSITIONAL = {"field": (1,), "checkbox": (1,), "select_field": (1,)}

USER_ATTRS = ("placeholder", "title", "aria-label", "alt")
HOLE = "\x00"  # where an expression stood in the template's text
# A string an expression prints as it is, set in the text where it is printed (so one inside
# a tag, like a class name, is taken out with the tag).
OPEN, CLOSE = "\x01", "\x02"

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[!/?]?[a-zA-Z][^>]*>", re.S)
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*')""", re.S)
_WORD = re.compile(r"[^\W\d_]+")
# A macro that writes attributes for the tag it is called in (`aria-invalid="true"
# aria-describedby="{{ p }}-error"`), or a `{% set %}` block holding attributes for one
# (`hx-vals='{{ data|tojson }}'`): attribute text outside a tag, not words.
_ATTR_TEXT = re.compile(
    r"[a-zA-Z][-a-zA-Z]*=(?:\"[^\"<>\x00]*\"?|'[^'<>\x00]*'?)|(?<=\x00)-[-a-zA-Z]*\""
)
# A placeholder showing an ISO 4217 code ("EUR") gives an example of a code, the same in
# every language: a field for a currency code, not a word to translate.
_CURRENCY_CODES = frozenset(list_currencies())


@dataclass(frozen=True)
class Unmarked:
    template: str
    line: int
    text: str
    where: str  # "text", "attribute placeholder", "string", "macro argument"

    def __str__(self) -> str:
        return f"{self.template}:{self.line}: {self.where}: {self.text!r}"


def words(text: str) -> list[str]:
    """The words of `text` that need translating (numbers, punctuation and allowed names out)."""
    return [w for w in _WORD.findall(text.replace(HOLE, " ")) if w not in ALLOWED_WORDS]


def _stream(node: nodes.Node) -> Iterator[tuple[int, str]]:
    """The template's literal text in document order, a HOLE wherever anything else stood
    and the strings an output prints as they are between OPEN and CLOSE."""
    if isinstance(node, nodes.TemplateData):
        yield node.lineno, node.data
        return
    if isinstance(node, nodes.Block) and node.name.endswith("_class"):
        yield node.lineno, HOLE  # a block of CSS class names (base.html's main_class)
        return
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                yield child.lineno, child.data
                continue
            yield child.lineno, HOLE
            for const in _printed_strings(child):
                if words(const.value):
                    yield const.lineno, OPEN + const.value.replace(HOLE, " ") + CLOSE
        return
    if isinstance(node, nodes.Expr):
        yield node.lineno, HOLE
        return
    if isinstance(node, nodes.Block) and node.name.endswith("_class"):
        yield node.lineno, HOLE  # CSS class names (`{% block main_class %}`), not words
        return
    for inner in node.iter_child_nodes():
        yield from _stream(inner)
    if isinstance(node, nodes.Stmt) and not isinstance(node, nodes.Output):
        yield node.lineno, HOLE


def _line_at(offsets: list[tuple[int, int]], source: str, pos: int) -> int:
    """The template line of `pos` in the joined text: the piece's first line plus the line
    breaks in the piece before `pos`."""
    start, line = 0, 1
    for piece_start, lineno in offsets:
        if piece_start > pos:
            break
        start, line = piece_start, lineno
    return line + source.count("\n", start, pos)


def _attribute_findings(tag: str) -> Iterator[tuple[str, str]]:
    attrs = {name.lower(): value[1:-1] for name, value in _ATTR.findall(tag)}
    for name in USER_ATTRS:
        if name in attrs and words(attrs[name]):
            if name == "placeholder" and attrs[name] in _CURRENCY_CODES:
                continue
            yield f"attribute {name}", attrs[name]
    kind = attrs.get("type", "").lower()
    if tag.lower().startswith("<input") and kind in ("submit", "button", "reset"):
        if words(attrs.get("value", "")):
            yield "attribute value", attrs["value"]


def _text_findings(template: str, ast: nodes.Template) -> Iterator[Unmarked]:
    offsets: list[tuple[int, int]] = []
    parts: list[str] = []
    size = 0
    for lineno, text in _stream(ast):
        offsets.append((size, lineno))
        parts.append(text)
        size += len(text)
    source = original = "".join(parts)

    def blank(match: re.Match[str]) -> str:
        # Keep the length, so a position still finds its template line.
        return re.sub(r"[^\x00\n]", " ", match.group(0))

    source = _COMMENT.sub(blank, source)
    source = _SCRIPT.sub(blank, source)
    for match in _TAG.finditer(source):
        for where, value in _attribute_findings(match.group(0)):
            value = value.replace(OPEN, "").replace(CLOSE, "").strip()
            yield Unmarked(template, _line_at(offsets, original, match.start()), value, where)
    source = _TAG.sub(blank, source)
    source = _ENTITY.sub(lambda m: " " * len(m.group(0)), source)
    source = _ATTR_TEXT.sub(blank, source)
    for match in re.finditer(OPEN + "(.*?)" + CLOSE, source, re.S):
        line = _line_at(offsets, original, match.start())
        yield Unmarked(template, line, match.group(1), "string")
    source = re.sub(OPEN + ".*?" + CLOSE, blank, source, flags=re.S)
    for match in re.finditer(r"[^\x00]+", source):
        text = match.group(0)
        if words(text):
            line = _line_at(offsets, original, match.start() + len(text) - len(text.lstrip()))
            yield Unmarked(template, line, " ".join(text.split()), "text")


def _printed_strings(expr: nodes.Node) -> Iterator[nodes.Const]:
    """The string constants an output expression prints as they are."""
    if isinstance(expr, nodes.Const):
        if isinstance(expr.value, str):
            yield expr
    elif isinstance(expr, nodes.CondExpr):
        yield from _printed_strings(expr.expr1)
        if expr.expr2 is not None:
            yield from _printed_strings(expr.expr2)
    elif isinstance(expr, (nodes.Or, nodes.And)):
        yield from _printed_strings(expr.left)
        yield from _printed_strings(expr.right)
    elif isinstance(expr, nodes.Concat):
        for part in expr.nodes:
            yield from _printed_strings(part)
    elif isinstance(expr, nodes.Filter) and expr.node is not None:
        if expr.name not in ("format",):  # "%.1f"|format(x): a pattern, not words
            yield from _printed_strings(expr.node)


def _call_name(call: nodes.Call) -> str | None:
    return call.node.name if isinstance(call.node, nodes.Name) else None


def _macro_findings(template: str, ast: nodes.Template) -> Iterator[Unmarked]:
    for call in ast.find_all(nodes.Call):
        name = _call_name(call)
        if name is None or name in GETTEXT_NAMES:
            continue
        for index in TEXT_POSITIONAL.get(name, ()):
            if index < len(call.args):
                for const in _printed_strings(call.args[index]):
                    if words(const.value):
                        yield Unmarked(template, const.lineno, const.value, "macro argument")
        for kw in call.kwargs:
            if kw.key in TEXT_KWARGS:
                for const in _printed_strings(kw.value):
                    if words(const.value):
                        yield Unmarked(template, const.lineno, const.value, "macro argument")
            elif kw.key == "attrs":
                for const in _printed_strings(kw.value):
                    for where, value in _attribute_findings("<x " + const.value + ">"):
                        yield Unmarked(template, const.lineno, value, where)


def unmarked_strings(env: Environment, template: str) -> list[Unmarked]:
    """Every unmarked user-facing string of the template named `template` (see the module)."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, template)
    ast = env.parse(source, name=template)
    found = list(_text_findings(template, ast)) + list(_macro_findings(template, ast))
    return sorted(set(found), key=lambda u: (u.line, u.where, u.text))
