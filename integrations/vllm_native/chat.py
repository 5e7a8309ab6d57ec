"""The one entry point the adapters call: a chat request in, events (or a final message) out.

Example (a scripted engine stands in for vLLM; with ``model=...`` the real engine runs):
    >>> from vllm_native.testing import ScriptedEngine
    >>> from vllm_native.types import ChatRequest, ToolCallDelta
    >>> tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    >>> client = ChatClient(engine=ScriptedEngine(
    ...     ['<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>']), tool_parser="hermes")
    >>> events = list(client.stream(ChatRequest([{"role": "user", "content": "1+?"}], tools=tools)))
    >>> [e.name for e in events if isinstance(e, ToolCallDelta) and e.name]
    ['add']
    >>> events[-1].message.tool_calls[0].arguments, events[-1].reason
    ({'a': 1}, 'function_call')
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .engine import Engine, EngineDelta, EngineError, RenderedPrompt, get_engine
from .formats import available_formats, get_format, is_known_format
from .formats.base import ToolCallFormat
from .formats.call_ids import CallIds, family_call_ids
from .formats.detect import REASONING_MARKERS, Detection, detect_family, read_model_config
from .formats.reasoning import ReasoningSplitter, reasoning_end_markers
from .formats.tokenizer_mode import tokenizer_mode
from .guided import guided_constraint
from .history import HistoryPolicy, history_policy
from .lora import lora_engine_args, resolve_adapter
from .reasoning_controls import ReasoningSwitches, reasoning_switches, reasoning_template_kwargs
from .render import check_prompt_length, checked_tools, render_request
from .sampling import build_sampling_params, choice_options
from .stream import StreamAssembler
from .tool_choice import plan_turn
from .types import (
    ChatEvent,
    ChatMessage,
    ChatRequest,
    Finish,
    LogprobsDelta,
    SamplingOptions,
    TextDelta,
    TokenLogprob,
    Usage,
    check_reasoning_parser,
)
from .vllm_sources import multimodal_architectures

_T = TypeVar("_T")

DEFAULT_ENGINE_ARGS: dict[str, Any] = {"max_model_len": 4096}
"""Engine arguments used with the default model when the caller gives none."""

_COUNT_CACHE_SIZE = 256
"""Token counts ``count_tokens`` keeps (trimming a long history counts many prefixes)."""


@dataclass
class _Turn:
    """A request ready to submit (what the engine gets) and the state that turns its deltas into
    events."""

    prompt: RenderedPrompt
    params: Any
    lora: str | None
    assembler: StreamAssembler
    logprobs: list[TokenLogprob] | None = None
    """The log probabilities so far, when the request asked for them."""
    count_tokens: Callable[[str], int] | None = None
    """Counts the reasoning's tokens, for a turn of a model that reasons."""

    def events(self, deltas: Iterator[EngineDelta]) -> Generator[ChatEvent, None, None]:
        """The one pump from engine deltas to events (sync)."""
        last: EngineDelta | None = None
        for delta in deltas:
            last = delta
            yield from self.step(delta)
        yield from self.end(last)

    async def aevents(self, deltas: AsyncIterator[EngineDelta]) -> AsyncGenerator[ChatEvent, None]:
        """The one pump from engine deltas to events (async)."""
        last: EngineDelta | None = None
        async for delta in deltas:
            last = delta
            for event in self.step(delta):
                yield event
        for event in self.end(last):
            yield event

    def step(self, delta: EngineDelta) -> list[ChatEvent]:
        events = self.assembler.feed(delta.text)  # a fresh list
        if self.logprobs is not None and delta.logprobs:
            self.logprobs.extend(delta.logprobs)
            events.append(LogprobsDelta(delta.logprobs))
        return events

    def end(self, last: EngineDelta | None) -> list[ChatEvent]:
        events = list(self.assembler.finish(*_ending(last)))
        if events and isinstance(events[-1], Finish):
            events[-1] = self._completed(events[-1])
        return events

    def _completed(self, finish: Finish) -> Finish:
        """The final event with what only the whole turn knows: its log probabilities and how
        many tokens its reasoning took (vLLM's server counts the tokens between the reasoning
        markers; here the reasoning text, markers excluded, is counted in the model's
        tokenizer, which the streamed deltas cannot attribute token by token)."""
        message = finish.message
        if self.logprobs is not None:
            message = replace(message, logprobs=tuple(self.logprobs))
        if self.count_tokens is not None:
            reasoning = self.count_tokens(message.reasoning) if message.reasoning else 0
            usage = replace(finish.usage, reasoning_tokens=reasoning)
            message = replace(message, usage=usage)
            finish = replace(finish, usage=usage)
        return replace(finish, message=message)


class ChatClient:
    """Runs chat turns on one engine: shared by configuration, started on first use.

    ``model`` is a path or hub id (``None``: the prepared default model); ``engine_args`` are
    vLLM's own engine arguments, untouched. ``engine`` passes an explicit engine instead (e.g.
    :class:`vllm_native.testing.ScriptedEngine`). ``tool_parser`` names a tool-call format as
    vLLM's ``--tool-call-parser`` does (``None``: detected once from the model's chat template,
    tokenizer and local ``config.json``, see :mod:`vllm_native.formats.detect`; when nothing is
    recognisable and tools are bound, a warning says to pass ``tool_parser=`` and ``hermes`` is
    used); ``reasoning_parser`` turns reasoning splitting on (a name in vLLM's reasoning-parser
    registry: ``<think>`` markers, or the family's own for ``seed_oss``, ``mistral``,
    ``gemma4``) or off (``"none"``; ``None``: as detected). ``lora`` is the LoRA adapter of requests that name none (a folder, a shipped
    adapter name or a hub id): it turns LoRA serving on in the engine arguments
    (``vllm_native.lora.lora_engine_args``) without making the adapter part of the engine's
    configuration, so clients with different adapters on one base share one engine.
    ``tool_calls_in_reasoning``: a ``<tool_call>`` written while thinking ends the thought and is
    a call, as vLLM's ``qwen3`` reasoning parser has it (``None``: where vLLM does it; ``False``:
    never, the call text stays reasoning).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        engine: Engine | None = None,
        engine_args: Mapping[str, Any] | None = None,
        tool_parser: str | None = None,
        reasoning_parser: str | None = None,
        lora: str | None = None,
        tool_calls_in_reasoning: bool | None = None,
    ) -> None:
        if engine is not None and (model is not None or engine_args):
            raise ValueError("pass either engine= or model=/engine_args=, not both")
        if tool_parser is not None and not is_known_format(tool_parser):
            raise ValueError(
                f"Unknown tool_parser {tool_parser!r}; ours are {available_formats()}, "
                "or any name in vLLM's tool-parser registry"
            )
        self._engine = engine
        self._model = model
        self._engine_args = dict(engine_args or {})
        self.lora = resolve_adapter(lora) if lora is not None else None
        if self.lora is not None and engine is None:
            base_args = self._engine_args or (DEFAULT_ENGINE_ARGS if model is None else {})
            self._engine_args = lora_engine_args(base_args, self.lora)
        self.tool_parser = tool_parser
        self.reasoning_parser = check_reasoning_parser(reasoning_parser)
        self._detected: Detection | None = None
        self._history: HistoryPolicy | None = None  # the family's, found with the detection
        self._switches: ReasoningSwitches | None = None  # what reasoning controls can set
        self._warned_undetected = False
        self.tool_calls_in_reasoning = tool_calls_in_reasoning
        self._counts: dict[str, int] = {}  # count_tokens cache, oldest first
        self._counts_lock = threading.Lock()

    # -- engine -------------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The engine (created, not started, on first access)."""
        if self._engine is None:
            from .default_model import resolve_model

            args = self._engine_args or (DEFAULT_ENGINE_ARGS if self._model is None else {})
            self._engine = get_engine(resolve_model(self._model), args)
        return self._engine

    @property
    def model_name(self) -> str:
        if self._engine is None and self._model is not None:
            return _short_name(self._model)
        return _short_name(self.engine.model_name)

    @property
    def context_window(self) -> int:
        return int(self.engine.max_model_len)

    def close(self) -> None:
        """Shut the engine down (a shared engine is shut for every user; the next request
        starts it again)."""
        if self._engine is not None:
            self._engine.close()

    # -- chat -----------------------------------------------------------------------------------
    def stream(self, request: ChatRequest) -> Generator[ChatEvent, None, None]:
        """Events of one turn; leaving the loop early aborts the request in the engine."""
        return self._events(self._prepare(request))

    def chat(self, request: ChatRequest) -> ChatMessage:
        return _final(self.stream(request))

    def chat_batch(self, requests: Sequence[ChatRequest]) -> list[ChatMessage]:
        """All requests are submitted to the engine together (continuous batching)."""
        return self._run_all([self._prepare(r) for r in requests])

    async def astream(self, request: ChatRequest) -> AsyncGenerator[ChatEvent, None]:
        """Async events of one turn; cancelling the task aborts the request in the engine."""
        turn = await self._aprepare(self._prepare, request)
        async for event in self._aevents(turn):
            yield event

    async def achat(self, request: ChatRequest) -> ChatMessage:
        return await _afinal(self.astream(request))

    async def achat_batch(self, requests: Sequence[ChatRequest]) -> list[ChatMessage]:
        turns = [await self._aprepare(self._prepare, r) for r in requests]
        return await self._arun_all(turns)

    # -- several choices ------------------------------------------------------------------------
    def choices(self, request: ChatRequest) -> list[ChatMessage]:
        """The ``request.sampling.n`` generations of one request (submitted together)."""
        return self.choices_batch([request])[0]

    def choices_batch(self, requests: Sequence[ChatRequest]) -> list[list[ChatMessage]]:
        """Every request's ``n`` generations; all are submitted to the engine together (each
        prompt is rendered once, its choices share it)."""
        groups = [self._prepare_choices(r) for r in requests]
        return _regroup(self._run_all([t for g in groups for t in g]), groups)

    async def achoices(self, request: ChatRequest) -> list[ChatMessage]:
        return (await self.achoices_batch([request]))[0]

    async def achoices_batch(self, requests: Sequence[ChatRequest]) -> list[list[ChatMessage]]:
        groups = [await self._aprepare(self._prepare_choices, r) for r in requests]
        return _regroup(await self._arun_all([t for g in groups for t in g]), groups)

    # -- completion (raw prompt, no chat template) ----------------------------------------------
    def complete_stream(
        self, prompt: str, sampling: SamplingOptions, *, lora: str | None = None
    ) -> Generator[TextDelta | Finish, None, None]:
        """Events of a raw completion of ``prompt``; ``lora`` overrides the client's adapter."""
        turn = self._prepare_text(prompt, sampling, lora)
        return self._events(turn)  # type: ignore[return-value]

    def complete(
        self, prompt: str, sampling: SamplingOptions, *, lora: str | None = None
    ) -> ChatMessage:
        """The raw completion of ``prompt`` (no chat template).

        >>> from vllm_native.testing import ScriptedEngine
        >>> client = ChatClient(engine=ScriptedEngine(["Paris."]))
        >>> client.complete("The capital of France is", SamplingOptions(max_tokens=4)).content
        'Paris.'
        """
        return _final(self.complete_stream(prompt, sampling, lora=lora))

    def complete_batch(
        self, prompts: Sequence[str], sampling: SamplingOptions, *, lora: str | None = None
    ) -> list[ChatMessage]:
        """All completions are submitted to the engine together."""
        return self._run_all([self._prepare_text(p, sampling, lora) for p in prompts])

    async def acomplete_stream(
        self, prompt: str, sampling: SamplingOptions, *, lora: str | None = None
    ) -> AsyncGenerator[TextDelta | Finish, None]:
        turn = await self._aprepare(self._prepare_text, prompt, sampling, lora)
        async for event in self._aevents(turn):
            yield event  # type: ignore[misc]

    async def acomplete(
        self, prompt: str, sampling: SamplingOptions, *, lora: str | None = None
    ) -> ChatMessage:
        """Async :meth:`complete`."""
        return await _afinal(self.acomplete_stream(prompt, sampling, lora=lora))

    def complete_choices(
        self, prompts: Sequence[str], sampling: SamplingOptions, *, lora: str | None = None
    ) -> list[list[ChatMessage]]:
        """The ``sampling.n`` completions of every prompt, submitted together (each prompt is
        tokenized once, its choices share it)."""
        options = choice_options(sampling)
        groups = [self._prepare_texts(p, options, lora) for p in prompts]
        return _regroup(self._run_all([t for g in groups for t in g]), groups)

    # -- token counting -------------------------------------------------------------------------
    def count_tokens(self, request: ChatRequest) -> int:
        """Tokens of the prompt ``request`` renders to: the model's own chat template and
        tokenizer, its tools and generation prompt, exactly what a turn would send (a prompt
        longer than the context is counted, not refused). Counts are cached by request, so
        counting the same conversation again is cheap.

        >>> from vllm_native.testing import ScriptedEngine
        >>> client = ChatClient(engine=ScriptedEngine([]))
        >>> client.count_tokens(ChatRequest([{"role": "user", "content": "Hi there"}]))
        8
        """
        request = self._apply_reasoning_controls(request)
        key = json.dumps(
            [request.messages, request.tools, request.chat_template_kwargs],
            sort_keys=True,
            default=repr,
        )
        with self._counts_lock:
            count = self._counts.get(key)
        if count is None:
            request = replace(request, tools=checked_tools(request.tools))
            _, call_ids, history = self._format(request)
            prompt = render_request(self.engine, request, call_ids, history, check_length=False)
            count = prompt.num_tokens
            with self._counts_lock:
                self._counts[key] = count
                while len(self._counts) > _COUNT_CACHE_SIZE:
                    self._counts.pop(next(iter(self._counts)))
        return count

    def count_text_tokens(self, text: str) -> int:
        """Tokens of ``text`` as the model's tokenizer encodes a raw prompt."""
        return self.engine.render_text(text).num_tokens

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` in the model's own tokenizer, no special tokens added: a
        ``str -> list`` tokenizer function, the kind LlamaIndex's memory and token counters take.

        >>> from vllm_native.testing import ScriptedEngine
        >>> len(ChatClient(engine=ScriptedEngine([])).encode("three words here"))
        3
        """
        return self.engine.encode(text)

    def _count(self, text: str) -> int:
        return len(self.engine.encode(text))

    # -- internals ------------------------------------------------------------------------------
    def _format(self, request: ChatRequest) -> tuple[ToolCallFormat, CallIds, HistoryPolicy]:
        """The tool-call format of this model, how it wants history call ids written, and what
        of the history it is sent (earlier reasoning, the developer role)."""
        engine = self.engine
        tokenizer = engine.tokenizer
        fmt = get_format(
            self._tool_parser_for(request),
            tokenizer=tokenizer,
            tools=request.tools,
        )
        mode = tokenizer_mode(tokenizer)
        call_ids = family_call_ids(fmt.call_ids, mode)
        self.detection()
        assert self._history is not None
        history = self._history.choosing(request.history_reasoning)
        return fmt, call_ids, history

    def _apply_reasoning_controls(self, request: ChatRequest) -> ChatRequest:
        """``request`` with its ``thinking`` / ``reasoning_effort`` turned into the variables this
        model's chat template reads (``ValueError`` where it cannot honour them)."""
        if request.thinking is None and request.reasoning_effort is None:
            return request
        if self._switches is None:
            engine = self.engine
            parser = self.reasoning_parser  # an explicit parser says the model reasons
            reasoning = self.detection().reasoning if parser in (None, "none") else parser
            self._switches = reasoning_switches(
                engine.chat_template(),
                reasoning=reasoning,
                tokenizer_mode=tokenizer_mode(engine.tokenizer),
            )
        kwargs = reasoning_template_kwargs(
            self._switches,
            thinking=request.thinking,
            reasoning_effort=request.reasoning_effort,
            explicit=request.chat_template_kwargs,
        )
        return replace(request, chat_template_kwargs=kwargs)

    def _prepare(self, request: ChatRequest) -> _Turn:
        return self._prepare_each(request, [request.sampling])[0]

    def _prepare_choices(self, request: ChatRequest) -> list[_Turn]:
        """One turn per choice of ``request.sampling.n``, all sharing one rendered prompt."""
        return self._prepare_each(request, choice_options(request.sampling))

    def _prepare_each(
        self, request: ChatRequest, options: Sequence[SamplingOptions]
    ) -> list[_Turn]:
        """Render ``request`` once; one turn (own sampling params and assembler) per options."""
        engine = self.engine
        request = replace(request, tools=checked_tools(request.tools))  # constraints need them
        request = self._apply_reasoning_controls(request)
        fmt, call_ids, history = self._format(request)
        prompt = render_request(engine, request, call_ids, history)
        plan = plan_turn(
            request.tools,
            request.tool_choice,
            fmt=fmt,
            parallel_tool_calls=request.parallel_tool_calls,
            strict=request.strict,
            response_format=request.response_format,
            guided=guided_constraint(request.structured_outputs),
            think_first=self._thinks_first(prompt),
        )
        call_markers = fmt.special_markers if plan.new_parser == fmt.new_parser else ()
        # a format that reads reasoning itself (harmony channels) gets the raw text
        reasoning = None if fmt.splits_reasoning else self._reasoning(prompt, call_markers)
        markers = set(fmt.special_markers) | (
            {reasoning.start, reasoning.end} if reasoning else set()
        )
        keep_special = bool(markers & engine.special_tokens())
        adapter = self._adapter(request)

        def turn(sampling: SamplingOptions) -> _Turn:
            params = build_sampling_params(
                sampling,
                prompt_tokens=prompt.num_tokens,
                max_model_len=engine.max_model_len,
                structured=plan.structured,
                skip_special_tokens=not keep_special,
            )
            assembler = StreamAssembler(
                plan.new_parser() if plan.new_parser else None,
                tool_names=plan.tool_names,
                max_calls=None if request.parallel_tool_calls else 1,
                reasoning=reasoning,
                tool_finish_reason=request.tool_finish_reason,
                model_name=self.model_name,
                new_id=call_ids.new_id_factory(request.messages),
            )
            return _Turn(
                prompt,
                params,
                adapter,
                assembler,
                _logprobs_list(sampling),
                count_tokens=self._count if reasoning is not None else None,
            )

        return [turn(o) for o in options]

    def detection(self) -> Detection:
        """The model family's tool format and reasoning, detected once per client."""
        if self._detected is None:
            engine = self.engine
            model_dir = getattr(engine, "model", None) or engine.model_name
            template, tokenizer = engine.chat_template(), getattr(engine, "tokenizer", None)
            self._detected = detect_family(
                template, config=read_model_config(model_dir), tokenizer=tokenizer
            )
            self._history = history_policy(template, tokenizer_mode(tokenizer))
        return self._detected

    def _tool_parser_for(self, request: ChatRequest) -> str:
        if self.tool_parser:
            return self.tool_parser
        found = self.detection().tool_parser
        if found is not None:
            return found
        if request.tools and not self._warned_undetected:
            self._warned_undetected = True
            warnings.warn(
                f"vllm-native could not tell the tool-call format of {self.model_name!r} from its "
                "chat template, tokenizer or config.json; using 'hermes'. Pass tool_parser= "
                "(one of ours or a vLLM --tool-call-parser name) if its calls come back as text.",
                UserWarning,
                stacklevel=4,
            )
        return "hermes"

    def _thinks_first(self, prompt: RenderedPrompt) -> bool:
        """The model reasons before answering: reasoning is on and the prompt has not already
        closed the thought (``enable_thinking=False`` renders ``<think></think>``)."""
        splitter = self._reasoning(prompt)
        if splitter is None or splitter.end != "</think>":
            return False
        return not (prompt.text or "").rstrip().endswith("</think>")

    def _reasoning(
        self, prompt: RenderedPrompt, call_markers: tuple[str, ...] = ()
    ) -> ReasoningSplitter | None:
        name = self.reasoning_parser
        if name == "none":
            return None
        setting = self.detection().reasoning if name is None else name
        if setting not in REASONING_MARKERS:
            if name is None:  # none, or harmony channels (not a pair of markers)
                return None
            setting = "think"  # any other explicit name: <think> markers, as vLLM's parsers
        start, end = REASONING_MARKERS[setting]
        opened = setting == "starts_in_reasoning" or (prompt.text or "").rstrip().endswith(
            start.rstrip()
        )
        ends_at = reasoning_end_markers(name, call_markers, self.tool_calls_in_reasoning)
        wrapper = self.detection().content_wrapper  # Granite 3.3's <response> tags
        return ReasoningSplitter(
            start, end, starts_in_reasoning=opened, ends_at=ends_at, drop=wrapper
        )

    def _adapter(self, request: ChatRequest) -> str | None:
        return resolve_adapter(request.lora) if request.lora is not None else self.lora

    def _prepare_text(
        self, prompt_text: str, sampling: SamplingOptions, lora: str | None = None
    ) -> _Turn:
        return self._prepare_texts(prompt_text, [sampling], lora)[0]

    def _prepare_texts(
        self, prompt_text: str, options: Sequence[SamplingOptions], lora: str | None = None
    ) -> list[_Turn]:
        """Tokenize ``prompt_text`` once; one turn per options."""
        engine = self.engine
        if not isinstance(prompt_text, str) or not prompt_text:
            raise ValueError("prompt must be a non-empty string")
        prompt = engine.render_text(prompt_text)
        check_prompt_length(prompt, engine.max_model_len)
        adapter = resolve_adapter(lora) if lora is not None else self.lora

        def turn(sampling: SamplingOptions) -> _Turn:
            params = build_sampling_params(
                sampling, prompt_tokens=prompt.num_tokens, max_model_len=engine.max_model_len
            )
            assembler = StreamAssembler(None, model_name=self.model_name, tidy_whitespace=False)
            return _Turn(prompt, params, adapter, assembler, _logprobs_list(sampling))

        return [turn(o) for o in options]

    async def _aprepare(self, prepare: Callable[..., _T], *args: Any) -> _T:
        """``prepare(*args)`` in the caller's loop once the engine runs; before that on a worker
        thread (starting vLLM takes a while: the caller's loop stays responsive)."""
        if self.engine.started:
            return prepare(*args)
        return await asyncio.get_running_loop().run_in_executor(None, prepare, *args)

    def _run_all(self, turns: list[_Turn]) -> list[ChatMessage]:
        """Final messages of ``turns``, all in the engine at once (one reader thread each)."""
        if len(turns) <= 1:
            return [_final(self._events(t)) for t in turns]
        with ThreadPoolExecutor(max_workers=len(turns)) as pool:
            return list(pool.map(lambda t: _final(self._events(t)), turns))

    async def _arun_all(self, turns: list[_Turn]) -> list[ChatMessage]:
        return list(await asyncio.gather(*(_afinal(self._aevents(t)) for t in turns)))

    def _events(self, turn: _Turn) -> Generator[ChatEvent, None, None]:
        """The turn's events; the engine gets the request now (a scripted engine thus answers
        concurrent callers in call order)."""
        return turn.events(self.engine.stream(turn.prompt, turn.params, lora=turn.lora))

    def _aevents(self, turn: _Turn) -> AsyncGenerator[ChatEvent, None]:
        return turn.aevents(self.engine.astream(turn.prompt, turn.params, lora=turn.lora))


def _logprobs_list(sampling: SamplingOptions) -> list[TokenLogprob] | None:
    return [] if sampling.logprobs or sampling.top_logprobs is not None else None


def _regroup(
    messages: Sequence[ChatMessage], groups: Sequence[Sequence[_Turn]]
) -> list[list[ChatMessage]]:
    """``messages`` (one per turn, in order) split back into the groups of turns they came from."""
    done = iter(messages)
    return [[next(done) for _ in group] for group in groups]


def _ending(last: EngineDelta | None) -> tuple[str, Usage]:
    if last is None or last.finish_reason is None:
        raise EngineError("the engine stream ended without a finish reason")
    return last.finish_reason, Usage(
        last.prompt_tokens, last.completion_tokens, cached_tokens=last.cached_tokens
    )


def _final(events: Iterable[ChatEvent]) -> ChatMessage:
    for event in events:
        if isinstance(event, Finish):
            return event.message
    raise EngineError("the stream ended without a Finish event")


async def _afinal(events: AsyncIterator[ChatEvent]) -> ChatMessage:
    async for event in events:
        if isinstance(event, Finish):
            return event.message
    raise EngineError("the stream ended without a Finish event")


def known_context_window(
    model: str | None,
    *,
    engine: Engine | None = None,
    engine_args: Mapping[str, Any] | None = None,
) -> int | None:
    """The context length (``max_model_len``) of what ``ChatClient(model, engine=...,
    engine_args=...)`` would run, when it is known without starting an engine: a started
    engine's, ``engine_args``' or the default model's; ``None`` otherwise.

    >>> known_context_window(None), known_context_window("m", engine_args={"max_model_len": 512})
    (4096, 512)
    >>> known_context_window("Qwen/Qwen3-8B") is None
    True
    """
    if engine is not None:
        return int(engine.max_model_len) if engine.started else None
    args = engine_args or (DEFAULT_ENGINE_ARGS if model is None else {})
    length = args.get("max_model_len")
    return int(length) if length is not None else None


def _short_name(model: str) -> str:
    return os.path.basename(model.rstrip("/")) if os.path.isdir(model) else model


def known_multimodal(
    model: str | None,
    *,
    engine: Engine | None = None,
    engine_args: Mapping[str, Any] | None = None,
) -> bool | None:
    """Whether what ``ChatClient(model, engine=..., engine_args=...)`` would run accepts images,
    when that is known without starting an engine: a started engine says so; otherwise a local
    model's ``config.json`` architectures are looked up in vLLM's registry of multimodal
    architectures (read from its sources, see ``vllm_native.vllm_sources``), and
    ``limit_mm_per_prompt={"image": 0}`` turns images off. ``None`` when unknown (a hub id).

    >>> known_multimodal(None)  # the default model is a text model
    False
    >>> known_multimodal("Qwen/Qwen3-8B") is None
    True
    """
    if engine is not None:
        return bool(engine.is_multimodal) if engine.started else None
    limits = (engine_args or {}).get("limit_mm_per_prompt")
    if isinstance(limits, Mapping) and limits.get("image") == 0:
        return False
    from .default_model import resolve_model

    try:
        config = read_model_config(resolve_model(model))
    except ValueError:  # no default model installed
        return None
    known = multimodal_architectures()
    architectures = config.get("architectures") if config else None
    if not known or not isinstance(architectures, list):
        return None
    return any(a in known for a in architectures)


def check_tools(tools: Sequence[Mapping[str, Any]] | None) -> None:
    """Raise ``ValueError`` for a tool a request would refuse (not the OpenAI function shape, an
    invalid JSON Schema), so adapters can check tools when they are bound; each result is
    remembered. Two tools with one name are refused when a request is made, not here:
    langchain-tests' standard suite binds a Pydantic model next to its own JSON schema.

    >>> check_tools([{"type": "function", "function": {"name": "f", "parameters": {"type": 7}}}])
    Traceback (most recent call last):
    ValueError: tool 'f' has an invalid JSON Schema: 7 is not valid under any of the given schemas
    """
    for tool in tools or []:
        checked_tools([dict(tool)])
