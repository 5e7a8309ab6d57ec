"""What a family is shown of earlier turns: their reasoning, and the ``developer`` role.

Interleaved-thinking families (Kimi K2 Thinking, MiniMax M2, DeepSeek V3.2+, Qwen3 inside a tool
loop, GLM-4.5+, Seed-OSS) were trained to see the reasoning of the assistant turns since the last
user message; their templates read it from ``reasoning_content`` (vLLM's renderer passes its input
key ``reasoning`` on as both ``reasoning`` and ``reasoning_content``), gpt-oss's from ``thinking``,
DeepSeek V3.2's encoder from ``reasoning``. The templates decide themselves which turns to show
(Qwen3 and MiniMax M2 only those after the last user message), so the core's only choice is whether
to send earlier reasoning at all:

- ``history_reasoning="resend"``: the reasoning of every earlier assistant turn goes back, under
  each key the family reads. The default where the family's renderer reads reasoning (the chat
  template mentions one of those keys; DeepSeek's own encoders).
- ``"drop"``: no earlier reasoning is sent. The default elsewhere, and for mistral_common, which
  rejects reasoning in assistant messages before tokenizer v13.

Incoming messages may carry reasoning as ``reasoning`` (vLLM's key, LlamaIndex's ``ThinkingBlock``)
or ``reasoning_content`` (LangChain's ``additional_kwargs``). A ``developer`` message stays one
where the family knows the role (the template mentions it, e.g. gpt-oss; DeepSeek V3.2's encoder);
elsewhere it is sent as ``system``, since templates that do not know a role drop or reject it.

Example:
    >>> policy = history_policy("{{ message.reasoning_content }}", "hf")
    >>> policy.reasoning, policy.developer_role
    ('resend', False)
    >>> apply_history_policy([
    ...     {"role": "developer", "content": "Be brief."},
    ...     {"role": "assistant", "content": "", "reasoning": "Plan."},
    ... ], policy)  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'system', 'content': 'Be brief.'},
     {'role': 'assistant', 'content': '', 'reasoning': 'Plan.', 'reasoning_content': 'Plan.'}]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import get_args

from .formats.detect import detect_family
from .types import HistoryReasoning, Message

HISTORY_REASONING: tuple[str, ...] = get_args(HistoryReasoning)

_REASONING_KEYS = ("reasoning", "reasoning_content")
_TEMPLATE_READS_REASONING = ("reasoning_content", ".reasoning", "'reasoning'", '"reasoning"')
_TEMPLATE_READS_THINKING = (".thinking", "'thinking'", '"thinking"')
_RESENDING_MODES = ("deepseek_v32", "deepseek_v4", "deepseek_v41")
_DEVELOPER_MODES = ("deepseek_v32", "deepseek_v4", "deepseek_v41")


@dataclass(frozen=True)
class HistoryPolicy:
    """How earlier turns are rendered for one family."""

    reasoning: HistoryReasoning
    keys: tuple[str, ...] = _REASONING_KEYS
    """Message keys the reasoning is sent under when resent."""
    developer_role: bool = False
    """Whether ``developer`` messages keep their role (else they become ``system``)."""
    one_call_per_message: bool = False
    """The family writes one call per assistant message (gpt-oss's harmony): an earlier turn
    with several calls is sent as one assistant message per call, each followed by its result."""

    def choosing(self, requested: str | None) -> HistoryPolicy:
        """This family policy with a request's ``history_reasoning`` (``None``: as it is)."""
        chosen = check_history_reasoning(requested)
        return self if chosen is None else replace(self, reasoning=chosen)


def check_history_reasoning(value: str | None) -> HistoryReasoning | None:
    """``value`` if it is ``None``, ``"drop"`` or ``"resend"``; else a ``ValueError``."""
    if value is None or value in HISTORY_REASONING:
        return value  # type: ignore[return-value]
    raise ValueError(
        f"history_reasoning={value!r}; use 'drop', 'resend' or None (the family's default)"
    )


def history_policy(
    chat_template: str | None, tokenizer_mode: str, requested: str | None = None
) -> HistoryPolicy:
    """The policy for a family known by its chat template and vLLM tokenizer mode;
    ``requested`` (``"drop"``/``"resend"``) overrides the family's default."""
    requested = check_history_reasoning(requested)
    template = chat_template or ""
    if tokenizer_mode != "hf":
        default: HistoryReasoning = "resend" if tokenizer_mode in _RESENDING_MODES else "drop"
        return HistoryPolicy(
            requested or default, developer_role=tokenizer_mode in _DEVELOPER_MODES
        )
    thinking = any(marker in template for marker in _TEMPLATE_READS_THINKING)
    reads = thinking or any(marker in template for marker in _TEMPLATE_READS_REASONING)
    return HistoryPolicy(
        requested or ("resend" if reads else "drop"),
        keys=_REASONING_KEYS + (("thinking",) if thinking else ()),
        developer_role="developer" in template,
        # harmony messages carry one recipient each; gpt-oss's template renders only
        # tool_calls[0] of a turn and names every result after the latest call
        one_call_per_message=detect_family(template).reasoning == "openai_gptoss",
    )


def apply_history_policy(messages: list[Message], policy: HistoryPolicy) -> list[Message]:
    """``messages`` as the family expects them (changed messages are copies)."""
    applied = [_apply(message, policy) for message in messages]
    return _one_call_per_message(applied) if policy.one_call_per_message else applied


def _one_call_per_message(messages: list[Message]) -> list[Message]:
    """Each assistant turn with several calls as one message per call, each followed by the
    tool message answering it (as vLLM's harmony renderer writes one message per call).

    >>> calls = [{"id": i, "function": {"name": "f", "arguments": {}}} for i in "ab"]
    >>> [(m["role"], m.get("tool_call_id") or m["tool_calls"][0]["id"]) for m in
    ...  _one_call_per_message([{"role": "assistant", "content": "", "tool_calls": calls},
    ...     {"role": "tool", "tool_call_id": "a"}, {"role": "tool", "tool_call_id": "b"}])]
    [('assistant', 'a'), ('tool', 'a'), ('assistant', 'b'), ('tool', 'b')]
    """
    out: list[Message] = []
    i = 0
    while i < len(messages):
        message, i = messages[i], i + 1
        calls = (message.get("tool_calls") or []) if message.get("role") == "assistant" else []
        if len(calls) < 2:
            out.append(message)
            continue
        results = []
        while i < len(messages) and messages[i].get("role") == "tool":
            results.append(messages[i])
            i += 1
        for n, call in enumerate(calls):
            # the first keeps the turn's content and reasoning; the others are calls only
            out.append({**message, "tool_calls": [call]} if n == 0 else _call_only(call))
            answer = next((r for r in results if r.get("tool_call_id") == call.get("id")), None)
            if answer is not None:
                out.append(answer)
                results.remove(answer)
        out.extend(results)  # results that answer no call of the turn stay after it
    return out


def _call_only(call: dict) -> Message:
    return {"role": "assistant", "content": "", "tool_calls": [call]}


def _apply(message: Message, policy: HistoryPolicy) -> Message:
    role = message.get("role")
    if role == "developer" and not policy.developer_role:
        return {**message, "role": "system"}
    if role != "assistant":
        return message
    reasoning = message.get("reasoning") or message.get("reasoning_content") or ""
    out = {k: v for k, v in message.items() if k not in _REASONING_KEYS and k != "thinking"}
    if policy.reasoning == "resend" and reasoning:
        for key in policy.keys:
            # gpt-oss's template refuses a call turn with both content and thinking
            if key != "thinking" or not (message.get("content") and message.get("tool_calls")):
                out[key] = reasoning
    return out
