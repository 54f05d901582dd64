"""The interface in several languages: Babel message catalogs (gettext), the request's
language, and dates and numbers written the way each language writes them (CLDR).

Rooms: `languages` (which languages ship and choosing one from a browser's Accept-Language),
`catalogs` (the .po files read and compiled in memory, gettext per language, the `N_` marker),
`current` (the language of the page or e-mail being drawn), `formats` (dates and numbers),
`unmarked` (finds words in a template that no one marked for translation) and `completeness`
(what a fresh extraction finds that a committed catalog lacks). docs/development.md says how
to mark strings and refresh the catalogs.
"""
