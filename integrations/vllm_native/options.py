"""Where each keyword belongs: the checks behind both adapters' constructors and call options.

Three kinds of settings reach vLLM: sampling options we name (``temperature``, ``max_tokens``,
...), any other ``vllm.SamplingParams`` field (``sampling_kwargs={...}``) and vLLM's engine
arguments (``engine_args={...}``; ``vllm_kwargs`` is another name for them, as in
langchain-community's ``VLLM`` and llama-index-llms-vllm's ``Vllm``). A keyword that is none of
an object's options is an error that says where it goes: the right name for a name other
libraries use, the dict an engine argument or a ``SamplingParams`` field goes in, or the closest
option name. Nothing is dropped, nothing is guessed.

Example:
    >>> accepted = {"model", "temperature", "max_tokens", "engine_args", "sampling_kwargs"}
    >>> check_keywords({"temprature": 0, "tensor_parallel_size": 2}, accepted, owner="ChatVLLM")
    Traceback (most recent call last):
    ValueError: ChatVLLM got keyword arguments it does not take:
      temprature: did you mean temperature=?
      tensor_parallel_size: a vLLM engine argument: pass engine_args={'tensor_parallel_size': 2}
    >>> merge_engine_kwargs({"max_model_len": 4096}, {"tensor_parallel_size": 2}, accepted)
    {'max_model_len': 4096, 'tensor_parallel_size': 2}
"""

from __future__ import annotations

import copy
import difflib
import reprlib
from collections.abc import Collection, Mapping
from typing import Any, Literal

from .vllm_sources import engine_arg_names, sampling_param_names

SAMPLING_KWARGS = "sampling_kwargs"
"""The option that passes other ``vllm.SamplingParams`` fields, at construction and per call."""

ENGINE_KWARGS_ALIAS = "vllm_kwargs"
"""langchain-community's and llama-index-llms-vllm's name for engine arguments."""

COMMON_NAMES: dict[str, str] = {
    "max_new_tokens": "max_tokens",
    "max_completion_tokens": "max_tokens",
    "max_output_tokens": "max_tokens",
    "num_predict": "max_tokens",
    "stop_sequences": "stop",
    "stop_words": "stop",
    "random_seed": "seed",
    "num_return_sequences": "n",
    "repeat_penalty": "repetition_penalty",
    "model_name": "model",
    "model_id": "model",
    "model_path": "model",
    "model_name_or_path": "model",
    "tool_call_parser": "tool_parser",
    "thinking": "reasoning",
    "enable_thinking": "reasoning",
}
"""Names other libraries give an option -> ours (the adapter may rename ours in turn)."""

SERVER_ONLY = frozenset(
    {"api_key", "openai_api_key", "base_url", "openai_api_base", "api_base", "api_url"}
)
"""Options of clients that talk to a vLLM server; here vLLM runs in the process."""

KWARG_BAGS = ("model_kwargs", "additional_kwargs", "generate_kwargs")
"""Catch-all dicts of other libraries (LangChain's ``model_kwargs``, LlamaIndex's
``additional_kwargs``); each key inside is routed to where it belongs."""

Where = Literal["construction", "call"]


def check_keywords(
    given: Mapping[str, Any],
    accepted: Collection[str],
    *,
    owner: str,
    renamed: Mapping[str, str] | None = None,
    where: Where = "construction",
) -> None:
    """Raise ``ValueError`` naming every key of ``given`` that is not in ``accepted``, each with
    where it belongs (see :func:`keyword_hint`)."""
    unknown = [name for name in given if name not in accepted]
    if not unknown:
        return
    lines = [
        f"  {name}: {keyword_hint(name, given[name], accepted, renamed=renamed, where=where)}"
        for name in unknown
    ]
    what = "keyword arguments" if where == "construction" else "call options"
    raise ValueError(f"{owner} got {what} it does not take:\n" + "\n".join(lines))


def keyword_hint(
    name: str,
    value: Any,
    accepted: Collection[str],
    *,
    renamed: Mapping[str, str] | None = None,
    where: Where = "construction",
) -> str:
    """Where ``name=value`` belongs, for an object whose options are ``accepted``.

    ``renamed`` maps our option names to the adapter's own (LlamaIndex's ``max_new_tokens``).

    >>> keyword_hint("max_tokens", 5, {"max_new_tokens"}, renamed={"max_tokens": "max_new_tokens"})
    'called max_new_tokens= here'
    >>> keyword_hint("min_p", 0.1, {"temperature"})
    "a vllm.SamplingParams field: pass sampling_kwargs={'min_p': 0.1}"
    """
    renamed = renamed or {}
    shown = reprlib.repr(value)
    if name in SERVER_ONLY:
        return "vLLM runs in this process, there is no server: pass model= (a path or hub id)"
    if name in KWARG_BAGS and isinstance(value, Mapping):
        routes = "; ".join(
            f"{key!r}: {_route(key, item, accepted, renamed, where)}" for key, item in value.items()
        )
        return f"not used here (nothing in it would reach vLLM): {routes or 'it is empty'}"
    canonical = COMMON_NAMES.get(name, name)
    ours = renamed.get(canonical, canonical)
    if ours != name and ours in accepted:
        return f"called {ours}= here"
    if where == "call" and name == ENGINE_KWARGS_ALIAS:
        return (
            "vllm_kwargs are vLLM engine arguments, fixed when the engine starts: set them at "
            f"construction (engine_args=...); per-call SamplingParams fields go in "
            f"{SAMPLING_KWARGS}={{...}}"
        )
    sampling, engine = sampling_param_names(), engine_arg_names()
    if canonical in sampling and canonical not in engine:
        return f"a vllm.SamplingParams field: pass {SAMPLING_KWARGS}={{{canonical!r}: {shown}}}"
    if canonical in engine:
        if where == "call":
            return (
                "a vLLM engine argument, fixed when the engine starts: set it at construction, "
                f"engine_args={{{canonical!r}: {shown}}}"
            )
        return f"a vLLM engine argument: pass engine_args={{{canonical!r}: {shown}}}"
    closest = _closest(name, accepted, sampling, engine)
    if closest is not None:
        return closest
    options = ", ".join(sorted(o for o in accepted if not o.startswith("_")))
    return f"not an option here; the options are: {options}"


def merge_engine_kwargs(
    engine_args: Mapping[str, Any],
    vllm_kwargs: Mapping[str, Any],
    accepted: Collection[str],
    *,
    renamed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``engine_args`` with ``vllm_kwargs`` (engine arguments too, under the other libraries'
    name) added; the same key with two values, or a key that is not an engine argument (a
    sampling option there, as a migrating user may have it), is a ``ValueError``.

    >>> merge_engine_kwargs({}, {"min_tokens": 2}, {"temperature"})
    Traceback (most recent call last):
    ValueError: vllm_kwargs holds vLLM engine arguments (as in langchain-community's VLLM and llama-index-llms-vllm's Vllm), and 'min_tokens' is not one: a vllm.SamplingParams field: pass sampling_kwargs={'min_tokens': 2}
    """
    merged = dict(engine_args)
    engine = engine_arg_names()
    for key, value in vllm_kwargs.items():
        if key in merged and merged[key] != value:
            raise ValueError(
                f"engine argument {key!r} is given twice with different values: "
                f"engine_args has {merged[key]!r}, vllm_kwargs has {value!r}; keep one"
            )
        if engine and key not in engine:
            hint = _route(key, value, accepted, renamed or {}, "construction")
            raise ValueError(
                "vllm_kwargs holds vLLM engine arguments (as in langchain-community's VLLM and "
                f"llama-index-llms-vllm's Vllm), and {key!r} is not one: {hint}"
            )
        merged[key] = value
    return merged


def constructor_keywords(
    values: Mapping[str, Any],
    accepted: Collection[str],
    *,
    owner: str,
    renamed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An adapter's constructor keywords, checked: every key must be one of ``accepted`` (or
    ``vllm_kwargs``, merged into ``engine_args`` by :func:`merge_engine_kwargs`), and every
    ``engine_args`` key one of vLLM's engine arguments.

    >>> constructor_keywords({"vllm_kwargs": {"max_model_len": 512}}, {"engine_args"}, owner="X")
    {'engine_args': {'max_model_len': 512}}
    >>> constructor_keywords({"engine_args": {"max_tokens": 5}}, {"engine_args", "max_tokens"},
    ...                      owner="X")
    Traceback (most recent call last):
    ValueError: engine_args key 'max_tokens' is not a vLLM engine argument: pass max_tokens= directly
    """
    values = dict(values)
    given = {k: v for k, v in values.items() if k != ENGINE_KWARGS_ALIAS}
    check_keywords(given, accepted, owner=owner, renamed=renamed)
    args = values.get("engine_args")
    engine = engine_arg_names()
    if isinstance(args, Mapping) and engine:
        for key, value in args.items():
            if key not in engine:
                hint = _route(key, value, accepted, renamed or {}, "construction")
                raise ValueError(f"engine_args key {key!r} is not a vLLM engine argument: {hint}")
    extra = values.pop(ENGINE_KWARGS_ALIAS, None)
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise ValueError(f"vllm_kwargs must be a dict of vLLM engine arguments, got {extra!r}")
        base = args if isinstance(args, Mapping) else {}
        values["engine_args"] = merge_engine_kwargs(base, extra, accepted, renamed=renamed)
    return values


def copy_keywords(
    model: Any,
    update: Mapping[str, Any] | None,
    *,
    deep: bool = False,
    derived: Collection[str] = (),
) -> dict[str, Any]:
    """Constructor keywords for a copy of the pydantic ``model`` with ``update`` applied (an
    adapter's ``model_copy`` builds the copy from them, so every check runs again): the fields it
    was given, except ``derived`` ones (computed again), then ``update``. A new ``engine``
    replaces ``model`` and ``engine_args``; a new ``model``, ``engine_args`` or ``vllm_kwargs``
    replaces an explicit engine. ``deep`` deep-copies the values, except the engine: engines are
    shared, never copied.

    >>> from types import SimpleNamespace
    >>> given = SimpleNamespace(model_fields_set={"engine", "top_p"}, engine="E1", top_p=0.5)
    >>> copy_keywords(given, {"model": "Qwen/Qwen3-8B"})
    {'model': 'Qwen/Qwen3-8B', 'top_p': 0.5}
    """
    update = dict(update or {})
    values = {name: getattr(model, name) for name in model.model_fields_set if name not in derived}
    if update.get("engine") is not None:
        values.pop("model", None)
        values.pop("engine_args", None)
    if {"model", "engine_args", ENGINE_KWARGS_ALIAS} & update.keys() and "engine" not in update:
        values.pop("engine", None)
    if deep:
        engine = values.get("engine")
        values = copy.deepcopy(values, {id(engine): engine} if engine is not None else {})
    values.update(update)
    return dict(sorted(values.items()))


def check_sampling_extra(extra: Mapping[str, Any], named: Collection[str]) -> None:
    """Every key of ``extra`` (``sampling_kwargs``) must be a ``vllm.SamplingParams`` field that
    none of the ``named`` options (nor vllm-native itself) sets.

    >>> check_sampling_extra({"min_tokens": 2}, {"temperature"})
    >>> check_sampling_extra({"temperature": 0}, {"temperature"})
    Traceback (most recent call last):
    ValueError: sampling_kwargs key 'temperature': pass temperature= as its own option
    """
    fields = sampling_param_names()
    for key in extra:
        if key in named:
            how = " (logprobs=True, top_logprobs=k)" if key == "logprobs" else ""
            raise ValueError(f"{SAMPLING_KWARGS} key {key!r}: pass {key}= as its own option{how}")
        if key in ("output_kind", "structured_outputs"):
            raise ValueError(
                f"{SAMPLING_KWARGS} key {key!r} is set by vllm-native; structured outputs are "
                "the response_format and structured_outputs options"
            )
        if fields and key not in fields:
            engine = engine_arg_names()
            if key in engine:
                hint = keyword_hint(key, extra[key], named)
            else:
                closest = _closest(key, named, fields, engine)
                hint = closest or "see help(vllm.SamplingParams) for the fields it takes"
            raise ValueError(
                f"{SAMPLING_KWARGS} key {key!r} is not a vllm.SamplingParams field: {hint}"
            )


def _route(
    key: str, value: Any, accepted: Collection[str], renamed: Mapping[str, str], where: Where
) -> str:
    if key in accepted and key not in KWARG_BAGS:
        return f"pass {key}= directly"
    return keyword_hint(key, value, accepted, renamed=renamed, where=where)


def _closest(
    name: str, accepted: Collection[str], sampling: Collection[str], engine: Collection[str]
) -> str | None:
    for pool, form in (
        (accepted, "{}="),
        (sampling, SAMPLING_KWARGS + "={{'{}': ...}}"),
        (engine, "engine_args={{'{}': ...}}"),
    ):
        match = difflib.get_close_matches(name, list(pool), n=1, cutoff=0.8)
        if match:
            return f"did you mean {form.format(match[0])}?"
    return None
