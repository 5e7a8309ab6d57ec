"""Tools, ``tool_choice`` and structured-output schemas in the shapes ``ChatRequest`` takes.

Example:
    >>> def get_weather(city: str) -> str:
    ...     '''Weather in a city.'''
    ...     return "Sunny"
    >>> tools = format_tools([get_weather])
    >>> tools[0]["function"]["name"], format_tool_choice("auto", tools)
    ('get_weather', 'auto')
    >>> format_tool_choice("get_wether", tools)
    Traceback (most recent call last):
    ValueError: tool_choice names 'get_wether', which is not among the bound tools ['get_weather']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool

from vllm_native.types import resolve_tool_choice

ToolLike = Any
"""A BaseTool, a function, a Pydantic model, a TypedDict, a JSON schema or an OpenAI tool dict."""


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """OpenAI function tools for ``tools``; ``ValueError`` naming the tool that does not convert.
    (Duplicate names are refused by the core when a request is made.)"""
    formatted = []
    for i, tool in enumerate(tools):
        try:
            formatted.append(convert_to_openai_tool(tool, strict=strict))
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"tools[{i}] ({tool!r}) is not a tool: pass a BaseTool, a function, a Pydantic "
                f"model, a TypedDict, a JSON schema with a 'title' or an OpenAI tool dict ({exc})"
            ) from exc
    return formatted


def format_tool_choice(tool_choice: Any, tools: Sequence[dict[str, Any]]) -> str:
    """``"auto"``, ``"none"``, ``"required"`` or the name of one of ``tools``: the core's rule
    (:func:`vllm_native.types.resolve_tool_choice`), applied at bind time.

    Accepts ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (some tool must be called),
    a tool name, and the OpenAI dict ``{"type": "function", "function": {"name": ...}}``.
    """
    return resolve_tool_choice(tool_choice, [t["function"]["name"] for t in tools])


def json_schema_format(schema: Any, *, strict: bool | None) -> dict[str, Any]:
    """The OpenAI ``response_format`` that makes the output a JSON object matching ``schema``."""
    function = convert_to_openai_function(schema, strict=strict)
    spec: dict[str, Any] = {"name": function["name"], "schema": function["parameters"]}
    if function.get("description"):
        spec["description"] = function["description"]
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}
