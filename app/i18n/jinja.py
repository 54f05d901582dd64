"""Jinja's i18n extension wired to the catalogs: `_()`, `{% trans %}`, plurals and `translate`
read the language from the template's context (`lang`), else from the render under way.

Any Jinja environment that draws user-facing words calls `install(env)`: the pages'
(app/templating.py) and the printed reports' (reports/pdf/documents.py).
"""

from __future__ import annotations

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.i18n import catalogs
from app.i18n.current import current_language
from app.i18n.message import Message


def context_language(context: Context) -> str:
    """The language a template draws in: its context's `lang` (render() sets it from the
    request; e-mails and PDFs from their reader), else the one of the render under way."""
    lang = context.get("lang")
    return lang if isinstance(lang, str) and lang else current_language.get()


@pass_context
def _gettext(context: Context, message: str) -> str:
    return catalogs.translations(context_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return catalogs.translations(context_language(context)).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, ctx: str, message: str) -> str:
    return str(catalogs.translations(context_language(context)).pgettext(ctx, message))


@pass_context
def _npgettext(context: Context, ctx: str, singular: str, plural: str, n: int) -> str:
    return catalogs.translations(context_language(context)).npgettext(ctx, singular, plural, n)


@pass_context
def translate(context: Context, message: object) -> str:
    """A message that came from the code (a service's MSG_ constant marked with `N_()`, a
    flash) in the page's language; as it came when no catalog has it. A `Message` (a
    service's text with values, `app.i18n.message`) is written anew with its values in place;
    a plain string gets no `%(name)s` filled in, so a message with a literal "%" is safe."""
    if not message:
        return ""
    if isinstance(message, Markup) or not isinstance(message, str):
        return message  # type: ignore[return-value]  # markup built by the code, or no text
    if isinstance(message, Message):
        return message.text(context_language(context))
    return catalogs.translations(context_language(context)).gettext(message)


def install(env: Environment) -> None:
    """Give `env` the i18n extension with the catalogs' gettext (newstyle: `_("Hello
    %(name)s", name=x)` escapes and fills in one go) and the `translate` global."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.globals["translate"] = translate
