"""Where each value of a JSON text starts, for messages that name a line and a column.

The standard library's parser keeps no positions, and a journey file's problems are found
after parsing (by the schema, by the question rules), so the text is walked once more.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from json.decoder import scanstring  # type: ignore[attr-defined]
from json.scanner import NUMBER_RE

PathKey = tuple[str | int, ...]
_SPACE = re.compile(r"[ \t\n\r]*")


class Positions:
    """Where each value (and each object key) of an already well-formed JSON text starts.

    The standard library's parser keeps no positions, so this walks the text once more with
    the parser's own pieces (its string scanner and number pattern); it needs no checks of
    its own, because json.loads has accepted the text already.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.values: dict[PathKey, int] = {}
        self.keys: dict[PathKey, int] = {}
        self.duplicates: list[tuple[PathKey, int]] = []
        self._lines = [m.end() for m in re.finditer("\n", text)]
        self._value(0, ())

    def _skip(self, i: int) -> int:
        match = _SPACE.match(self.text, i)
        return match.end() if match else i

    def _value(self, i: int, path: PathKey) -> int:
        text = self.text
        i = self._skip(i)
        self.values[path] = i
        char = text[i]
        if char == "{":
            i = self._skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = self._skip(i)
                key, after = scanstring(text, i + 1)
                here = (*path, key)
                if here in self.keys:
                    self.duplicates.append((here, i))
                else:
                    self.keys[here] = i
                i = self._skip(after) + 1  # past the colon
                i = self._skip(self._value(i, here))
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if char == "[":
            i = self._skip(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = self._skip(self._value(i, (*path, index)))
                index += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1
        if char == '"':
            return int(scanstring(text, i + 1)[1])
        number = NUMBER_RE.match(text, i)
        if number:
            return int(number.end())
        for word in ("true", "false", "null", "NaN", "Infinity", "-Infinity"):
            if text.startswith(word, i):
                return i + len(word)
        return i + 1

    def line_column(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._lines, offset)
        start = self._lines[line - 1] if line else 0
        return line + 1, offset - start + 1

    def of(self, path: PathKey, *, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of the value at `path` (of its key, with key=True, when it has one);
        the nearest enclosing value when the path is not in the file (a missing key)."""
        found = self.keys.get(path) if key else None
        while found is None:
            found = self.values.get(path)
            if found is None:
                if not path:
                    return None, None
                path = path[:-1]
        return self.line_column(found)


def json_path(path: PathKey) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
