"""A griffe extension for the API reference: docstring examples (``>>>`` lines and their output)
are shown as Python console code blocks, not read as Markdown.

Our docstrings put doctests under headings such as ``Example:`` (the suite runs them with
``--doctest-modules``); Markdown would otherwise turn ``[...]`` in their output into link syntax.
"""

from __future__ import annotations

from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with every doctest (prompt lines and the output up to a blank line) fenced.

    >>> fence_doctests("Example:\\n  >>> [1][0]\\n  1\\n\\nDone.").splitlines()
    ['Example:', '  ```pycon', '  >>> [1][0]', '  1', '  ```', '', 'Done.']
    """
    out: list[str] = []
    indent: str | None = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if indent is None and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif indent is not None and not stripped:
            out.append(f"{indent}```")
            indent = None
        out.append(line)
    if indent is not None:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the doctests of every docstring griffe loads."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
