"""Which tool-call format and which reasoning markers a model uses, from what the model ships.

Three sources, most specific first:

1. the chat template's markers and instructions (what the model is told to write: Llama 3.2's
   ``"parameters": dictionary of argument name``, Gemma/Llama 4's ``[func_name1(params...``,
   Kimi's ``<|tool_calls_section_begin|>``, ...);
2. the tokenizer: its kind (vLLM's ``mistral_common`` tokenizer has no chat template; DeepSeek
   V3.2's encoder is not Jinja either) and its special/added tokens;
3. ``config.json`` (``model_type``), read from the model directory when it is local, never from
   the hub.

The result names a tool format (ours where we have one, else a parser in vLLM's registry, which
:func:`~vllm_native.formats.get_format` serves through our adapter) and a reasoning setting:
``none``; ``think`` (``<think>...</think>``; the output starts inside reasoning when the rendered
prompt ends with the opening marker); ``starts_in_reasoning`` (a template that writes only
``</think>``, as vLLM's DeepSeek-R1 template: the output always starts inside reasoning); or the
name of vLLM's reasoning parser for families whose markers are not ``<think>`` (see
:data:`REASONING_MARKERS`).

Example:
    >>> detect_family('... "parameters": dictionary of argument name and its value ...')
    Detection(tool_parser='llama3_json', reasoning='none', source='chat template')
    >>> detect_family("{{ '<think>' }} <tool_call>").reasoning
    'think'
    >>> detect_family("plain {{ messages }}").tool_parser is None
    True
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .tokenizer_mode import format_for_tokenizer, tokenizer_mode


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_family` found: ``tool_parser`` (``None``: nothing recognisable),
    ``reasoning`` (see the module docstring) and ``source``, what decided the tool format."""

    tool_parser: str | None
    reasoning: str
    source: str
    content_wrapper: tuple[str, ...] = field(default=(), repr=False)
    """Markers the family wraps its answer in after thinking (Granite 3.3's
    ``<response>...</response>``): removed from the content, as vLLM's ``ernie45`` reasoning
    parser removes the same tags."""


REASONING_MARKERS: dict[str, tuple[str, str]] = {
    "think": ("<think>", "</think>"),
    "starts_in_reasoning": ("<think>", "</think>"),
    "seed_oss": ("<seed:think>", "</seed:think>"),
    "mistral": ("[THINK]", "[/THINK]"),
    # vLLM's gemma4 parser strips the channel's ``thought\n`` label the same way
    "gemma4": ("<|channel>thought\n", "<channel|>"),
}
"""Reasoning settings that are a pair of markers around the thought, by setting name (the vLLM
reasoning-parser name where the family's markers are not ``<think>``)."""

# Checked in order; the first marker found in the chat template decides. Specific syntaxes come
# before the generic ones they contain (Seed-OSS and Qwen3.5 templates also mention <tool_call>,
# Llama 3.2's pythonic template also says "Environment: ipython").
_TEMPLATE_TOOL_MARKERS: tuple[tuple[str, str], ...] = (
    ("<|channel|>commentary", "openai"),  # gpt-oss harmony
    ("｜DSML｜", "deepseek_v32"),
    ("<|tool_calls_section_begin|>", "kimi_k2"),
    ("<minimax:tool_call>", "minimax_m2"),
    ("<seed:tool_call>", "seed_oss"),
    ("{function-name}<arg_key>", "glm47"),  # GLM-4.7: no newline between name and arguments
    ("<arg_key>", "glm45"),
    ("<|tool_call>", "gemma4"),
    ("<|tool_call|>", "granite"),
    ("<function_call>", "granite-20b-fc"),
    ("functools[", "phi4_mini_json"),
    ("<function=", "qwen3_coder"),
    ("<tool_call>", "hermes"),
    ("[TOOL_CALLS]", "mistral"),
    ("[func_name1(", "pythonic"),  # Llama 3.2/4 and Gemma 3 pythonic templates
    ("<|python_start|>", "llama4_json"),  # Llama 4's own template asks for JSON calls
    ("<|header_start|>", "llama4_json"),  # Llama 4's header tokens (3.x has <|start_header_id|>)
    ("<|python_tag|>", "llama3_json"),
    ('"parameters": dictionary of argument name', "llama3_json"),
    ("Environment: ipython", "llama3_json"),
)

_CONTENT_WRAPPERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Granite 3.3 thinking mode: "Write your thoughts between <think></think> and write your
    # response between <response></response>"
    ("<response></response>", ("<response>", "</response>")),
)

_TEMPLATE_REASONING_MARKERS: tuple[tuple[str, str], ...] = (
    ("<seed:think>", "seed_oss"),
    ("[THINK]", "mistral"),
    ("<|channel>", "gemma4"),  # Gemma 4's thought channel (harmony's is <|channel|>)
)

_DEEPSEEK_SEP = "<｜tool▁sep｜>"

_TOKEN_TOOL_MARKERS: tuple[tuple[str, str], ...] = (
    ("[TOOL_CALLS]", "mistral"),
    ("<|tool_calls_section_begin|>", "kimi_k2"),
    ("<minimax:tool_call>", "minimax_m2"),
    ("<seed:tool_call>", "seed_oss"),
    ("<|python_tag|>", "llama3_json"),
    ("<|tool_call>", "gemma4"),
    ("<|tool_call|>", "granite"),
)

_TOKEN_REASONING_MARKERS: tuple[tuple[str, str], ...] = (
    ("[THINK]", "mistral"),
    ("<seed:think>", "seed_oss"),
)

_CONFIG_FAMILIES: dict[str, tuple[str, str]] = {
    "gpt_oss": ("openai", "openai_gptoss"),
    "kimi_k2": ("kimi_k2", "none"),
    "minimax_m2": ("minimax_m2", "think"),
    "seed_oss": ("seed_oss", "seed_oss"),
    "glm4_moe": ("glm45", "think"),
    "glm4_moe_lite": ("glm47", "think"),
    "deepseek_v32": ("deepseek_v32", "think"),
    "llama4": ("llama4_json", "none"),
    "gemma4": ("gemma4", "gemma4"),
}
"""``config.json`` ``model_type`` -> (tool format, reasoning), for model types that name one
family. Generic ones (``llama``, ``qwen2``, ``mistral``) are left to the template."""


def detect_family(
    chat_template: str | None,
    *,
    config: Mapping[str, Any] | None = None,
    tokenizer: Any = None,
) -> Detection:
    """Tool format and reasoning from the chat template, then the tokenizer, then ``config``
    (a parsed ``config.json``). ``tool_parser`` is ``None`` when nothing is recognisable.

    >>> detect_family(None, config={"model_type": "gpt_oss"})
    Detection(tool_parser='openai', reasoning='openai_gptoss', source='config.json')
    """
    found = _detect(chat_template or "", config, tokenizer)
    wrapper = next((m for marker, m in _CONTENT_WRAPPERS if marker in (chat_template or "")), ())
    return replace(found, content_wrapper=wrapper) if wrapper else found


def _detect(template: str, config: Mapping[str, Any] | None, tokenizer: Any) -> Detection:
    model_type = str((config or {}).get("model_type") or "")
    tokens = _special_tokens(tokenizer)
    reasoning = _template_reasoning(template)
    if reasoning == "none":
        reasoning = _token_reasoning(tokens) or _CONFIG_FAMILIES.get(model_type, ("", "none"))[1]
    tool = _template_tool_parser(template)
    if tool is not None:
        return Detection(tool, reasoning, "chat template")
    native = format_for_tokenizer(tokenizer)  # vLLM's own encoders: no template to read
    if native == "mistral":
        return Detection(native, _token_reasoning(tokens) or "none", "mistral_common tokenizer")
    if native is not None:
        return Detection(native, "think", f"vLLM tokenizer_mode {tokenizer_mode(tokenizer)}")
    for marker, name in _TOKEN_TOOL_MARKERS:
        if marker in tokens:
            return Detection(name, reasoning, "tokenizer special tokens")
    if model_type in _CONFIG_FAMILIES:
        return Detection(_CONFIG_FAMILIES[model_type][0], reasoning, "config.json")
    return Detection(None, reasoning, "nothing recognisable")


def read_model_config(model: str | None) -> dict[str, Any] | None:
    """``config.json`` of a local model directory (``None`` for a hub id or without one: the
    hub is never asked).

    >>> read_model_config("Qwen/Qwen3-8B-not-a-local-dir") is None
    True
    """
    if not model or not os.path.isdir(model):
        return None
    path = os.path.join(model, "config.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def detect_format(chat_template: str | None) -> str:
    """The tool-call format a chat template asks for (``hermes`` when nothing is recognisable;
    :func:`detect_family` says so instead).

    >>> detect_format("... <tool_call> ...")
    'hermes'
    >>> detect_format("... Environment: ipython ...")
    'llama3_json'
    """
    return _template_tool_parser(chat_template or "") or "hermes"


def _template_tool_parser(template: str) -> str | None:
    if _DEEPSEEK_SEP in template:  # V3 wraps arguments in a ```json fence, V3.1 does not
        return "deepseek_v3" if "```json" in template else "deepseek_v31"
    for marker, name in _TEMPLATE_TOOL_MARKERS:
        if marker in template:
            return name
    return None


def _template_reasoning(template: str) -> str:
    if "<|channel|>" in template and "<|start|>" in template:
        return "openai_gptoss"  # harmony channels, not a pair of markers
    for marker, name in _TEMPLATE_REASONING_MARKERS:
        if marker in template:
            return name
    if "<think>" in template:
        return "think"
    if "</think>" in template:
        return "starts_in_reasoning"
    return "none"


def _token_reasoning(tokens: frozenset[str]) -> str | None:
    for marker, name in _TOKEN_REASONING_MARKERS:
        if marker in tokens:
            return name
    return None


def _special_tokens(tokenizer: Any) -> frozenset[str]:
    if tokenizer is None:
        return frozenset()
    names = set(getattr(tokenizer, "all_special_tokens", None) or [])
    added = getattr(tokenizer, "get_added_vocab", None)
    if callable(added):
        try:
            names.update(added().keys())
        except (AttributeError, NotImplementedError, TypeError):
            pass
    return frozenset(str(n) for n in names)
