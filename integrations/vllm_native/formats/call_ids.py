"""Tool-call ids in each family's own shape: fresh ids for new calls, history ids normalised.

Some families read call ids back, and insist on their shape:

- ``mistral``: ``mistral_common`` rejects any id that is not 9 ASCII letters or digits ("Tool call
  id ... must be a-z, A-Z, 0-9, with a length of 9"); new ids are 9 random alphanumerics, as
  vLLM's server makes them (``MistralToolCall.generate_random_id``).
- ``kimi_k2``: Kimi K2 writes and reads ``functions.{name}:{idx}``, ``idx`` counting every call of
  the conversation (vLLM's ``make_tool_call_id(id_type="kimi_k2")`` with its history count).
- ``openai``: everyone else, ``call_<24 hex>``; any id in the history is fine as it is.

A conversation can carry ids made elsewhere (started on OpenAI, Anthropic, another model):
:meth:`CallIds.normalize` rewrites those that do not fit, in the assistant calls and in the tool
messages that answer them alike, so they still pair up. Mistral ids are rewritten by a hash of the
old id (the same on every turn, with nothing to remember); Kimi ids by the call's position.
vLLM's server truncates long ids to their last 9 characters instead, which still fails for ids
such as ``toolu_01-x_y``: a hash always gives a valid id.

Example:
    >>> ids = call_ids("mistral")
    >>> history = [
    ...     {"role": "assistant", "content": "", "tool_calls": [
    ...         {"id": "call_Q2xpY2s-1", "function": {"name": "f", "arguments": {}}}]},
    ...     {"role": "tool", "content": "42", "tool_call_id": "call_Q2xpY2s-1"},
    ... ]
    >>> fixed = ids.normalize(history)
    >>> new = fixed[0]["tool_calls"][0]["id"]
    >>> len(new), new.isalnum(), fixed[1]["tool_call_id"] == new
    (9, True, True)
    >>> call_ids("kimi_k2").new_id_factory(fixed)("get_weather", 0)
    'functions.get_weather:1'
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from ..types import Message

NewId = Callable[[str | None, int], str]
"""Makes the id of a new call from its tool name (``None`` when unknown) and its index."""

_ALPHANUMERIC = string.ascii_letters + string.digits
_MISTRAL_ID = re.compile(r"[a-zA-Z0-9]{9}")
_KIMI_ID = re.compile(r"functions\.(.+):(\d+)")


class CallIds:
    """The ``openai`` style: ``call_<24 hex>``; history ids are kept as they are."""

    name: ClassVar[str] = "openai"

    def new_id(self, name: str | None, index: int) -> str:
        return f"call_{uuid.uuid4().hex[:24]}"

    def new_id_factory(self, history: list[Message]) -> NewId:
        """The id maker for the calls of the turn that follows ``history``."""
        return self.new_id

    def fits(self, call_id: Any, name: str | None) -> bool:
        """Whether ``call_id`` can be rendered as it is."""
        return True

    def replacement(self, call_id: Any, name: str | None, position: int) -> str:
        """The id rendered instead of ``call_id`` (the ``position``-th call of the history)."""
        return str(call_id)

    def normalize(self, messages: list[Message]) -> list[Message]:
        """``messages`` with every id that does not fit replaced, consistently in assistant
        ``tool_calls`` and tool messages' ``tool_call_id``; other messages are not copied."""
        mapping: dict[str, str] = {}
        out: list[Message] = []
        position = 0
        for message in messages:
            calls = message.get("tool_calls") if message.get("role") == "assistant" else None
            if calls:
                fixed = []
                for call in calls:
                    name = (call.get("function") or {}).get("name")
                    old = call.get("id")
                    if not self.fits(old, name):
                        new = self.replacement(old, name, position)
                        if old is not None:
                            mapping[str(old)] = new
                        call = {**call, "id": new}
                    fixed.append(call)
                    position += 1
                message = {**message, "tool_calls": fixed}
            elif message.get("role") == "tool" and "tool_call_id" in message:
                old = message["tool_call_id"]
                if old is not None and str(old) in mapping:
                    message = {**message, "tool_call_id": mapping[str(old)]}
                elif old is not None and not self.fits(old, None):
                    message = {**message, "tool_call_id": self.replacement(old, None, -1)}
            out.append(message)
        return out


class MistralCallIds(CallIds):
    """9 ASCII letters or digits, as ``mistral_common`` requires."""

    name = "mistral"

    def new_id(self, name: str | None, index: int) -> str:
        return "".join(random.choices(_ALPHANUMERIC, k=9))

    def fits(self, call_id: Any, name: str | None) -> bool:
        return isinstance(call_id, str) and _MISTRAL_ID.fullmatch(call_id) is not None

    def replacement(self, call_id: Any, name: str | None, position: int) -> str:
        seed = str(call_id) if call_id is not None else f"position {position}"
        number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
        chars = []
        for _ in range(9):
            number, digit = divmod(number, len(_ALPHANUMERIC))
            chars.append(_ALPHANUMERIC[digit])
        return "".join(chars)


class KimiCallIds(CallIds):
    """``functions.{name}:{idx}``, ``idx`` counting the calls of the whole conversation."""

    name = "kimi_k2"

    def new_id_factory(self, history: list[Message]) -> NewId:
        earlier = sum(
            len(m.get("tool_calls") or ()) for m in history if m.get("role") == "assistant"
        )
        return lambda name, index: f"functions.{name}:{earlier + index}"

    def fits(self, call_id: Any, name: str | None) -> bool:
        match = _KIMI_ID.fullmatch(call_id) if isinstance(call_id, str) else None
        return match is not None and (name is None or match.group(1) == name)

    def replacement(self, call_id: Any, name: str | None, position: int) -> str:
        if position < 0:  # a tool result whose call is not in the history
            return str(call_id)
        return f"functions.{name}:{position}"


_STYLES: dict[str, CallIds] = {
    style.name: style for style in (CallIds(), MistralCallIds(), KimiCallIds())
}


def call_ids(style: str) -> CallIds:
    """The id style called ``style``: ``"openai"``, ``"mistral"`` or ``"kimi_k2"``."""
    try:
        return _STYLES[style]
    except KeyError:
        raise ValueError(
            f"unknown tool-call id style {style!r}; expected one of {sorted(_STYLES)}"
        ) from None


def family_call_ids(format_style: str, tokenizer_mode: str = "hf") -> CallIds:
    """The id style for a turn: the format's, except that a mistral_common tokenizer always
    validates Mistral ids (whatever format parses the output)."""
    return call_ids("mistral" if tokenizer_mode == "mistral" else format_style)
