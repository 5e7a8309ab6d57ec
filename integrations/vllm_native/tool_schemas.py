"""Tool parameter schemas as the world writes them -> schemas templates and vLLM's grammars accept.

Two jobs, both schema-aware (they walk subschemas, never ``default``/``enum``/``const`` data):

* :func:`normalize_type_names`: type names used in the wild (``float``, ``int``, ``dict``,
  ``list``, ``tuple``, ``bool``, ``str``, ``any``, ... as BFCL, hand-written and LLM-written tools
  use them) become JSON Schema's own; vLLM coerces the same aliases when it parses XML-style
  arguments (``_TYPE_ALIASES`` in ``vllm/tool_parsers/utils.py``).
* :func:`hoist_into` for forced calls: a tool's schema nested inside the ``required`` array
  constraint would leave its ``#/$defs/...`` references pointing at the wrong root (xgrammar:
  "Cannot find field $defs in #/$defs/X"). The whole schema moves to the constraint's root
  ``$defs`` under the tool's own key and every local reference is re-rooted there, so tools whose
  ``$defs`` share names (``Location`` in two tools) never clash. vLLM's server instead merges the
  tools' ``$defs`` and rejects two different definitions of one name
  (``_get_tool_schema_defs``); re-rooting needs no merge.

Example:
    >>> normalize_type_names({"type": "dict", "properties": {"x": {"type": "float"}}})[1]
    ['float -> number', 'dict -> object']
    >>> defs: dict = {}
    >>> hoist_into(defs, "f", {"$defs": {"P": {"type": "string"}}, "$ref": "#/$defs/P"})
    {'$ref': '#/$defs/f'}
    >>> defs["f"]["$ref"]
    '#/$defs/f/$defs/P'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TYPE_ALIASES: dict[str, str | None] = {
    "float": "number",
    "double": "number",
    "float32": "number",
    "float64": "number",
    "int": "integer",
    "int32": "integer",
    "int64": "integer",
    "long": "integer",
    "dict": "object",
    "list": "array",
    "tuple": "array",
    "bool": "boolean",
    "str": "string",
    "any": None,  # any value: the type keyword goes
}
"""Type names seen in the wild -> JSON Schema's (``None``: no type restriction)."""

_JSON_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
"""Keywords whose value maps names to subschemas."""
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = (
    "additionalProperties",
    "unevaluatedProperties",
    "propertyNames",
    "contains",
    "additionalItems",
    "unevaluatedItems",
    "not",
    "if",
    "then",
    "else",
    "contentSchema",
)


def map_schema(schema: Any, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """A copy of ``schema`` with ``fn`` applied to every (sub)schema object, innermost first.

    >>> map_schema({"items": {"type": "int"}}, lambda s: {**s, "seen": True})
    {'items': {'type': 'int', 'seen': True}, 'seen': True}
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {k: map_schema(v, fn) for k, v in out[key].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [map_schema(v, fn) for v in out[key]]
    for key in _SCHEMA_ONE:
        if key in out:
            out[key] = map_schema(out[key], fn)
    items = out.get("items")
    if isinstance(items, list):  # draft-04 tuple form
        out["items"] = [map_schema(v, fn) for v in items]
    elif items is not None:
        out["items"] = map_schema(items, fn)
    return fn(out)


def normalize_type_names(schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``schema`` with wild type names replaced, and the replacements made (``"float -> number"``,
    once each, innermost first). Unknown names are left alone for the validator to reject."""
    changes: list[str] = []

    def fix(sub: dict[str, Any]) -> dict[str, Any]:
        kind = sub.get("type")
        names = kind if isinstance(kind, list) else [kind]
        if not any(_is_alias(n) for n in names):
            return sub
        fixed: list[Any] = []
        for name in names:
            target = _json_type(name) if isinstance(name, str) and _is_alias(name) else name
            if target != name:
                note = f"{name} -> {target or 'any type'}"
                changes.extend([note] if note not in changes else [])
            if target is None:  # "any": the value is not restricted at all
                out = dict(sub)
                del out["type"]
                return out
            if target not in fixed:
                fixed.append(target)
        return {**sub, "type": fixed if isinstance(kind, list) else fixed[0]}

    return map_schema(schema, fix), changes


def _is_alias(name: Any) -> bool:
    """A wild type name, or a JSON Schema type in another case (``"String"``)."""
    if not isinstance(name, str):
        return False
    lowered = name.strip().lower()
    return lowered in TYPE_ALIASES or (lowered != name and lowered in _JSON_TYPES)


def _json_type(alias: str) -> str | None:
    lowered = alias.strip().lower()
    return TYPE_ALIASES.get(lowered, lowered)


def local_refs(schema: Any) -> list[str]:
    """Every ``$ref`` in ``schema``'s subschemas, in order.

    >>> local_refs({"properties": {"a": {"$ref": "#/$defs/A"}}, "default": {"$ref": "x"}})
    ['#/$defs/A']
    """
    found: list[str] = []

    def collect(sub: dict[str, Any]) -> dict[str, Any]:
        if isinstance(sub.get("$ref"), str):
            found.append(sub["$ref"])
        return sub

    map_schema(schema, collect)
    return found


def check_refs(tool: str, schema: dict[str, Any]) -> None:
    """Raise ``ValueError`` for a reference a grammar cannot follow: outside the schema
    (``http://...``, another file) or to a place in it that does not exist."""
    for ref in local_refs(schema):
        if not ref.startswith("#"):
            raise ValueError(
                f"tool {tool!r}: $ref {ref!r} points outside the tool's schema; only local "
                "references ('#/$defs/...') can be enforced: inline the referenced schema"
            )
        if _resolve(schema, ref) is None:
            raise ValueError(
                f"tool {tool!r}: $ref {ref!r} points to nothing in its schema (references must "
                "be JSON pointers such as '#/$defs/Name')"
            )


def hoist_into(defs: dict[str, Any], key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Put ``schema`` at ``defs[key]`` with its local references re-rooted there; return the
    schema to use in its place: itself when it has no references, else a ``$ref`` to it."""
    check_refs(key, schema)
    if not local_refs(schema):
        return schema
    base = "#/$defs/" + key.replace("~", "~0").replace("/", "~1")

    def reroot(sub: dict[str, Any]) -> dict[str, Any]:
        ref = sub.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            return {**sub, "$ref": base + ref[1:]}
        return sub

    defs[key] = map_schema(schema, reroot)
    return {"$ref": base}


def _resolve(schema: Any, ref: str) -> Any:
    node = schema
    pointer = ref[1:]
    if not pointer:
        return node
    if not pointer.startswith("/"):
        return None  # an anchor ("#name"): not followed by the grammars
    for part in pointer[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
