"""Pydantic objects built without validation, for the per-token objects of the framework adapters.

Streaming makes one framework object (or four) per token, and pydantic's validation of them was
most of a token's CPU (docs/benchmarks.md). ``model_construct`` is no faster: it looks up every
absent field's default and alias on each call. ``trusted`` sets the fields directly when the
caller gives every field the class has - and falls back to ``model_construct`` (slower, still
correct) when the class has other fields than the caller knows, as a newer langchain-core or
llama-index-core may add. The check is a comparison of key sets, computed once per class.

Example:
    >>> from pydantic import BaseModel
    >>> class Point(BaseModel):
    ...     x: int
    ...     y: int = 0
    >>> trusted(Point, {"x"}, {"x": 1, "y": 0}) == Point(x=1)
    True
    >>> trusted(Point, {"x"}, {"x": 1})  # a field the caller did not know: pydantic fills it
    Point(x=1, y=0)
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


@cache
def _field_names(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(cls.model_fields)


@cache
def _allows_extra(cls: type[BaseModel]) -> bool:
    return cls.model_config.get("extra") == "allow"


def trusted(cls: type[M], fields_set: set[str], values: dict[str, Any]) -> M:
    """``cls.model_construct(fields_set, **values)``, without its per-field lookups when
    ``values`` holds exactly ``cls``'s fields. The values are trusted: nothing is validated."""
    if values.keys() != _field_names(cls):
        return cls.model_construct(fields_set, **values)
    obj = cls.__new__(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", {} if _allows_extra(cls) else None)
    _set(obj, "__pydantic_private__", None)
    return obj
