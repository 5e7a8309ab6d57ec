"""Reasoning controls (thinking on/off, ``reasoning_effort``) -> the chat-template variables that
the model's own prompt reads, or a ``ValueError`` when it cannot do what was asked.

Families switch reasoning with different variables, and vLLM's renderer silently drops any
chat-template variable a template does not read (``resolve_chat_template_kwargs``), so passing
``enable_thinking=False`` to a model without that switch would quietly do nothing. Here the
variables a template really reads are found from its Jinja source, as vLLM finds them:

- ``enable_thinking`` (Qwen3, Qwen3.5, QwQ, GLM-4.5+, Gemma 4) and ``thinking`` (DeepSeek V3.1,
  Granite 3.3): booleans; every one the template reads is set;
- ``reasoning_effort`` (gpt-oss: ``"low"``, ``"medium"``, ``"high"``); gpt-oss always reasons, so
  thinking off is refused;
- ``thinking_budget`` (Seed-OSS): thinking off is a budget of 0; effort levels are refused (the
  template takes a number of tokens: pass ``chat_template_kwargs={"thinking_budget": N}``);
- vLLM's own encoders: DeepSeek V3.2 reads ``thinking``, DeepSeek V4 also ``reasoning_effort``.

A model that always thinks (Kimi-K2-Thinking, MiniMax-M2, DeepSeek-R1, Magistral) refuses thinking
off; one that never thinks refuses thinking on. ``reasoning_effort="none"`` is thinking off, as in
vLLM's OpenAI server. A value set both by a control and in ``chat_template_kwargs`` must agree.

Example:
    >>> qwen3 = ReasoningSwitches(on_off=("enable_thinking",), thinks=True)
    >>> reasoning_template_kwargs(qwen3, thinking=False)
    {'enable_thinking': False}
    >>> reasoning_template_kwargs(qwen3, reasoning_effort="high")
    Traceback (most recent call last):
    ValueError: reasoning_effort='high': this model's chat template only turns thinking on or off \
(enable_thinking); pass thinking on/off (reasoning=True/False in LangChain, thinking=True/False \
in LlamaIndex) instead
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ON_OFF_VARIABLES = ("enable_thinking", "thinking")
"""Boolean chat-template variables that turn thinking on or off."""
EFFORT_VARIABLE = "reasoning_effort"
BUDGET_VARIABLE = "thinking_budget"
HARMONY_EFFORTS = ("low", "medium", "high")
"""The efforts gpt-oss's harmony format knows (vLLM's ``harmony_utils.REASONING_EFFORT``)."""

_NATIVE_VARIABLES: dict[str, frozenset[str]] = {
    "deepseek_v32": frozenset({"thinking", "enable_thinking"}),
    "deepseek_v4": frozenset({"thinking", "enable_thinking", EFFORT_VARIABLE}),
    "deepseek_v41": frozenset({"thinking", "enable_thinking", EFFORT_VARIABLE}),
}
"""What vLLM's own encoders (``vllm/tokenizers/deepseek_v*.py``) read, by tokenizer mode."""

_HOW_TO_SWITCH = (
    "thinking on/off (reasoning=True/False in LangChain, thinking=True/False in LlamaIndex)"
)


@dataclass(frozen=True)
class ReasoningSwitches:
    """What a model's prompt lets a request change about its reasoning: the boolean variables it
    reads (``on_off``), whether it reads ``reasoning_effort`` and ``thinking_budget``, whether it
    reasons at all (``thinks``) and whether it is gpt-oss (``harmony``: always reasons)."""

    on_off: tuple[str, ...] = ()
    effort: bool = False
    budget: bool = False
    thinks: bool = False
    harmony: bool = False


def reasoning_switches(
    chat_template: str | None, *, reasoning: str, tokenizer_mode: str = "hf"
) -> ReasoningSwitches:
    """The switches of a model: its chat template's variables (or, for vLLM's own encoders, what
    they read) and its reasoning setting (``none``, ``think``, ... as
    :mod:`vllm_native.formats.detect` names them, or an explicit reasoning parser).

    >>> reasoning_switches("{% if reasoning_effort %}{% endif %}", reasoning="openai_gptoss")
    ReasoningSwitches(on_off=(), effort=True, budget=False, thinks=True, harmony=True)
    """
    names = _NATIVE_VARIABLES.get(tokenizer_mode)
    if names is None:
        names = template_variables(chat_template or "") if tokenizer_mode == "hf" else frozenset()
    return ReasoningSwitches(
        on_off=tuple(v for v in ON_OFF_VARIABLES if v in names),
        effort=EFFORT_VARIABLE in names,
        budget=BUDGET_VARIABLE in names,
        thinks=reasoning != "none",
        harmony=reasoning == "openai_gptoss",
    )


@lru_cache(maxsize=64)
def template_variables(chat_template: str) -> frozenset[str]:
    """The variables a chat template reads from its caller (Jinja's undeclared variables, which is
    how vLLM decides which chat-template kwargs reach the template).

    >>> sorted(template_variables("{% if enable_thinking is false %}<think></think>{% endif %}"))
    ['enable_thinking']
    """
    import jinja2.ext
    import jinja2.meta
    import jinja2.sandbox

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(extensions=[jinja2.ext.loopcontrols])
    try:
        return frozenset(jinja2.meta.find_undeclared_variables(env.parse(chat_template)))
    except jinja2.TemplateSyntaxError:
        # e.g. transformers' {% generation %} tag: fall back to the names written in it
        return frozenset(re.findall(r"[A-Za-z_]\w*", chat_template))


def reasoning_template_kwargs(
    switches: ReasoningSwitches,
    *,
    thinking: bool | None = None,
    reasoning_effort: str | None = None,
    explicit: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The chat-template variables that make the prompt do what ``thinking`` and
    ``reasoning_effort`` ask (``None``: leave as the model's default), merged over ``explicit``
    (the request's ``chat_template_kwargs``). ``ValueError`` when the model cannot honour a
    control or ``explicit`` sets the same variable differently.

    >>> gpt_oss = ReasoningSwitches(effort=True, thinks=True, harmony=True)
    >>> reasoning_template_kwargs(gpt_oss, reasoning_effort="low", explicit={"x": 1})
    {'x': 1, 'reasoning_effort': 'low'}
    >>> reasoning_template_kwargs(ReasoningSwitches(budget=True, thinks=True), thinking=False)
    {'thinking_budget': 0}
    """
    explicit = dict(explicit or {})
    if thinking is None and reasoning_effort is None:
        return explicit
    if reasoning_effort is not None and thinking is (reasoning_effort == "none"):
        raise ValueError(
            f"thinking {'on' if thinking else 'off'} and reasoning_effort={reasoning_effort!r} "
            "contradict each other; pass one of them"
        )
    if reasoning_effort is not None and reasoning_effort != "none":
        wanted = _effort(switches, reasoning_effort)
    else:
        wanted = _on_off(switches, thinking is True, reasoning_effort)
    for name, value in wanted.items():
        if name in explicit and explicit[name] != value:
            raise ValueError(
                f"the reasoning controls set the chat-template variable {name}={value!r}, but "
                f"chat_template_kwargs has {name}={explicit[name]!r}; pass only one of them"
            )
    return {**explicit, **wanted}


def _effort(switches: ReasoningSwitches, effort: str) -> dict[str, Any]:
    asked = f"reasoning_effort={effort!r}"
    if not switches.effort:
        if switches.budget:
            raise ValueError(
                f"{asked}: this model's chat template takes a thinking budget in tokens, not an "
                f'effort level; pass chat_template_kwargs={{"{BUDGET_VARIABLE}": N}} instead'
            )
        if switches.on_off:
            raise ValueError(
                f"{asked}: this model's chat template only turns thinking on or off "
                f"({', '.join(switches.on_off)}); pass {_HOW_TO_SWITCH} instead"
            )
        raise ValueError(f"{asked}: this model's chat template has no reasoning-effort setting")
    if switches.harmony and effort not in HARMONY_EFFORTS:
        raise ValueError(f"{asked}: gpt-oss takes one of {list(HARMONY_EFFORTS)}")
    return {EFFORT_VARIABLE: effort, **dict.fromkeys(switches.on_off, True)}


def _on_off(switches: ReasoningSwitches, on: bool, effort: str | None) -> dict[str, Any]:
    asked = "reasoning_effort='none'" if effort == "none" else f"thinking {'on' if on else 'off'}"
    if switches.on_off:
        return dict.fromkeys(switches.on_off, on)
    if switches.effort and effort == "none" and not switches.harmony:
        return {EFFORT_VARIABLE: "none"}
    if on == switches.thinks:  # already so: an always-thinking model asked to think, ...
        return {}
    if on:
        raise ValueError(f"{asked}: this model does not reason (its chat template has no thinking)")
    if switches.budget:
        return {BUDGET_VARIABLE: 0}
    if switches.harmony:
        raise ValueError(f"{asked}: gpt-oss always reasons; the least is reasoning_effort='low'")
    raise ValueError(
        f"{asked}: this model always reasons; its chat template has no switch to turn thinking off"
    )


def call_reasoning_controls(
    defaults: tuple[bool | None, str | None], call: tuple[bool | None, str | None]
) -> tuple[bool | None, str | None]:
    """The ``(thinking, reasoning_effort)`` of one call: a call that sets either control replaces
    both defaults (set at construction), so ``reasoning_effort="high"`` at construction and
    thinking off for one call is thinking off, not a contradiction; a call that sets neither
    keeps the defaults.

    >>> call_reasoning_controls((None, "high"), (False, None))
    (False, None)
    >>> call_reasoning_controls((True, "low"), (None, None))
    (True, 'low')
    """
    return defaults if call == (None, None) else call
