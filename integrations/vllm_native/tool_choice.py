"""``tool_choice`` -> how a turn is parsed and which structured-output constraint enforces it.

* ``auto``: the model's native format; with ``strict=True`` a vLLM structural tag makes every call
  it starts follow the tool's parameter schema.
* ``none``: no parsing, no call can come out (all text is content).
* ``required`` / ``any``: a JSON-schema constraint forces ``[{"name", "arguments"}, ...]`` with each
  tool's parameter schema inside (hoisted to the root so its references resolve, see
  :mod:`vllm_native.tool_schemas`). One tool may be called several times ("weather in Paris and
  in Rome"); ``parallel_tool_calls=False`` allows one call, otherwise at most
  :data:`MAX_FORCED_CALLS`.
* a tool name: the constraint forces exactly that tool's arguments object.

Where the model reasons first (``think_first``: a ``<think>`` family whose prompt has not closed
the thought), a forced call would otherwise start at the first token and suppress the thinking:
the constraint is then a vLLM structural tag, free text up to ``</think>`` and the forced JSON
after it (:func:`after_thinking`). A model that never closes its thought makes no call, and the
finish reason says so (``stop``/``length``, never a tool finish).

Example:
    >>> from vllm_native.formats import get_format
    >>> tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    >>> plan = plan_turn(tools, "f", fmt=get_format("hermes"))
    >>> plan.structured
    {'json': {'type': 'object'}, 'disable_any_whitespace': True}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .formats.base import FormatParser, ToolCallFormat
from .formats.forced import JsonArrayParser, NamedToolParser
from .tool_schemas import check_refs, hoist_into
from .types import ToolChoice, ToolSpec, resolve_tool_choice

EMPTY_OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
MAX_FORCED_CALLS = 8
"""Most calls ``tool_choice="required"`` lets one turn make. The grammar ends the turn when the
array closes; this bound only stops a small model that keeps repeating a call (measured in
``benchmarks/forced_calls.py``; ``docs/benchmarks.md``)."""
COMPACT: dict[str, Any] = {"disable_any_whitespace": True}
"""Forced calls are written as compact JSON: no tokens spent on (or lost to) indentation."""


@dataclass(frozen=True)
class TurnPlan:
    """How to parse one turn and what vLLM must enforce while generating it."""

    new_parser: Callable[[], FormatParser] | None
    tool_names: frozenset[str] | None
    structured: dict[str, Any] | None
    """Keyword arguments for ``vllm.sampling_params.StructuredOutputsParams``, or ``None``."""


def tool_name(tool: ToolSpec) -> str:
    return str(tool["function"]["name"])


def tool_parameters(tool: ToolSpec) -> dict[str, Any]:
    params = tool["function"].get("parameters")
    return dict(params) if params else dict(EMPTY_OBJECT_SCHEMA)


def plan_turn(
    tools: list[ToolSpec] | None,
    tool_choice: ToolChoice | None,
    *,
    fmt: ToolCallFormat,
    parallel_tool_calls: bool = True,
    strict: bool = False,
    response_format: dict[str, Any] | None = None,
    guided: dict[str, Any] | None = None,
    think_first: bool = False,
) -> TurnPlan:
    """Decide parser and constraint for one turn; raises ``ValueError`` for impossible requests.
    ``guided`` is a regex/choice/grammar constraint (see ``guided.py``), treated like
    ``response_format``: the whole reply follows it, so no tool call can be forced."""
    names = [tool_name(t) for t in tools or []]
    choice = resolve_tool_choice(tool_choice, names, parallel_tool_calls=parallel_tool_calls)
    structured = _response_format_constraint(response_format)
    if guided is not None:
        if structured is not None:
            raise ValueError(
                "structured_outputs cannot be combined with response_format: the output can "
                "follow only one constraint"
            )
        if strict:
            raise ValueError("structured_outputs cannot be combined with strict tool calls")
        structured = guided
    plain = fmt.plain_parser_factory()  # no call may come out (harmony: channels still)
    if not names:
        return TurnPlan(plain, None, structured)
    if choice == "none":
        return TurnPlan(plain, frozenset(names), structured)
    if structured is not None:
        if choice != "auto":
            what = "structured_outputs" if guided is not None else "response_format"
            raise ValueError(
                f"{what} cannot be combined with tool_choice="
                f"{tool_choice!r}: the output can follow only one constraint"
            )
        return TurnPlan(plain, frozenset(names), structured)
    by_name = {tool_name(t): t for t in tools or []}
    if choice != "auto":
        native = _native_forced(fmt, [by_name[choice]] if choice in by_name else tools or [])
        if native is not None:
            return TurnPlan(fmt.new_parser, frozenset(names), native)
    forced = after_thinking if think_first else _compact_json
    if choice == "required":
        return TurnPlan(
            JsonArrayParser,
            frozenset(names),
            forced(required_schema(tools or [], parallel_tool_calls)),
        )
    if choice == "auto":
        constraint = _strict_constraint(tools or [], fmt) if strict else None
        return TurnPlan(fmt.new_parser, frozenset(names), constraint)
    arguments = tool_parameters(by_name[choice])
    check_refs(choice, arguments)  # the tool's schema is the root: its own references resolve
    return TurnPlan(lambda: NamedToolParser(choice), frozenset(names), forced(arguments))


def _native_forced(
    fmt: ToolCallFormat, tools: list[ToolSpec], *, answer: bool = False
) -> dict[str, Any] | None:
    """The format's own forced-call constraint over ``tools``, where it has one (harmony: the
    model keeps its channels and reasons first), with each schema checked as its own root."""
    calls = [(tool_name(t), tool_parameters(t)) for t in tools]
    native = fmt.forced_calls(calls, answer=answer)
    if native is not None:
        for name, schema in calls:
            check_refs(name, schema)
    return native


def _compact_json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"json": schema, **COMPACT}


def after_thinking(schema: dict[str, Any], end: str = "</think>") -> dict[str, Any]:
    """A structural tag: any text up to ``end`` (the thought), then JSON following ``schema``.

    >>> tag = json.loads(after_thinking({"type": "object"})["structural_tag"])
    >>> [e["type"] for e in tag["format"]["elements"]]
    ['tag', 'const_string', 'json_schema']
    """
    thought = {"type": "tag", "begin": "", "content": {"type": "any_text"}, "end": end}
    elements = [
        thought,
        {"type": "const_string", "value": "\n\n"},  # what the templates put after the thought
        {"type": "json_schema", "json_schema": schema},
    ]
    tag = {"type": "structural_tag", "format": {"type": "sequence", "elements": elements}}
    return {"structural_tag": json.dumps(tag)}


def required_schema(tools: list[ToolSpec], parallel_tool_calls: bool) -> dict[str, Any]:
    """JSON schema of ``[{"name": ..., "arguments": {...}}, ...]`` over ``tools``.

    >>> tool = {"function": {"name": "f", "parameters": {"$defs": {"D": {}}, "$ref": "#/$defs/D"}}}
    >>> schema = required_schema([tool], parallel_tool_calls=True)
    >>> schema["items"]["anyOf"][0]["properties"]["arguments"], schema["$defs"]["f"]["$ref"]
    ({'$ref': '#/$defs/f'}, '#/$defs/f/$defs/D')
    """
    defs: dict[str, Any] = {}
    items = [
        {
            "type": "object",
            "properties": {
                "name": {"type": "string", "enum": [tool_name(t)]},
                "arguments": hoist_into(defs, tool_name(t), tool_parameters(t)),
            },
            "required": ["name", "arguments"],
        }
        for t in tools
    ]
    max_items = MAX_FORCED_CALLS if parallel_tool_calls else 1
    schema = {"type": "array", "minItems": 1, "maxItems": max_items, "items": {"anyOf": items}}
    return {**schema, "$defs": defs} if defs else schema


def _strict_constraint(tools: list[ToolSpec], fmt: ToolCallFormat) -> dict[str, Any]:
    native = _native_forced(fmt, tools, answer=True)  # harmony: its channels, or an answer
    if native is not None:
        return native
    structures: list[dict[str, Any]] = []
    for tool in tools:
        around = fmt.call_structure(tool_name(tool))
        if around is None:
            raise ValueError(f"strict=True is not supported for the {fmt.name!r} tool-call format")
        schema = tool_parameters(tool)
        check_refs(tool_name(tool), schema)  # each structure's schema is its own root
        structures.append({"begin": around[0], "schema": schema, "end": around[1]})
    triggers = sorted({_common_prefix([s["begin"] for s in structures])}) or [""]
    tag = {"type": "structural_tag", "structures": structures, "triggers": triggers}
    return {"structural_tag": json.dumps(tag)}


def _common_prefix(texts: list[str]) -> str:
    prefix = texts[0]
    for text in texts[1:]:
        while not text.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


def _response_format_constraint(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return {"json_object": True}
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise ValueError("response_format json_schema needs {'json_schema': {'schema': {...}}}")
        return {"json": schema}
    if kind == "text":
        return None
    raise ValueError(
        f"response_format type {kind!r} is not supported; use 'json_object' or 'json_schema'"
    )
