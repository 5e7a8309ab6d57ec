"""vLLM structured outputs beyond JSON: a reply that matches a regex, is one of some choices, or
follows a grammar. The option is ``structured_outputs``, as vLLM's OpenAI server takes it in its
request body (``extra_body={"structured_outputs": {...}}`` with ``ChatOpenAI``).

Example:
    >>> guided_constraint({"choice": ["yes", "no"]})
    {'choice': ['yes', 'no']}
    >>> guided_constraint({"regex": "[0-9]+", "choice": ["a"]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: structured_outputs takes exactly one of ...
"""

from __future__ import annotations

from typing import Any

GUIDED_KINDS = ("regex", "choice", "grammar")
"""The constraints ``structured_outputs`` accepts (JSON goes through ``response_format``)."""


def guided_constraint(structured_outputs: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keyword arguments for ``vllm.sampling_params.StructuredOutputsParams``, validated."""
    if structured_outputs is None:
        return None
    if not isinstance(structured_outputs, dict):
        raise ValueError(
            f"structured_outputs must be a dict like {{'regex': '...'}}, got {structured_outputs!r}"
        )
    given = {k: v for k, v in structured_outputs.items() if v is not None}
    if len(given) != 1 or next(iter(given)) not in GUIDED_KINDS:
        extra = "; use response_format for JSON" if "json" in given else ""
        raise ValueError(
            f"structured_outputs takes exactly one of {list(GUIDED_KINDS)}, got "
            f"{sorted(given)}{extra}"
        )
    kind, value = next(iter(given.items()))
    if kind == "choice":
        if (
            not isinstance(value, (list, tuple))
            or not value
            or not all(isinstance(c, str) for c in value)
        ):
            raise ValueError(f"structured_outputs choice must be a list of strings, got {value!r}")
        return {"choice": list(value)}
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"structured_outputs {kind} must be a non-empty string, got {value!r}")
    if kind == "regex":
        import re

        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"structured_outputs regex does not compile: {exc}") from None
    return {kind: value}
