"""One vLLM engine per configuration: shared, lazily started, usable from any thread or loop.

The engine is vLLM's ``AsyncLLM`` (v1) with delta outputs. It lives on a daemon thread with its own
event loop; sync callers read its deltas from a queue, async callers get them bridged into their own
loop. Library code never calls ``asyncio.run``, so everything also works inside Jupyter.

Example:
    >>> engine = get_engine("/path/to/model", {"max_model_len": 2048})  # doctest: +SKIP
    >>> for delta in engine.stream(engine.render([{"role": "user", "content": "Hi"}]), params):
    ...     print(delta.text, end="")  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import queue
import sys
import threading
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from tenacity import Retrying, retry_if_not_exception_type, stop_after_attempt, wait_fixed

from .logprobs import from_vllm
from .lora import check_adapter_fits
from .types import Message, TokenLogprob, ToolSpec
from .vllm_version import check_vllm_version

CPU_DEFAULT_KV_CACHE_GIB = "1"
START_ATTEMPTS = 2


class EngineError(RuntimeError):
    """The engine aborted or failed a request (never reported as a finish reason)."""


class MainGuardError(RuntimeError):
    """A script started vLLM without an ``if __name__ == "__main__":`` guard."""


_USER_ERRORS = (ValueError, FileNotFoundError, ImportError, MainGuardError)


@dataclass(frozen=True)
class EngineDelta:
    """What the engine produced since the previous delta of one request."""

    text: str
    token_ids: tuple[int, ...] = ()
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    logprobs: tuple[TokenLogprob, ...] | None = None
    """Log probabilities of ``token_ids`` (only when the sampling params asked for them)."""
    cached_tokens: int | None = None
    """Prompt tokens served from the prefix cache (``None``: the engine does not say)."""


@dataclass
class RenderedPrompt:
    """A prompt ready for the engine, plus what it was made from (for inspection and tests)."""

    token_ids: list[int] | None
    text: str | None
    messages: list[Message] = field(default_factory=list)
    tools: list[ToolSpec] | None = None
    multi_modal: dict[str, Any] | None = None
    """vLLM's ``multi_modal_data`` (and ``multi_modal_uuids``) of the images in the messages."""

    @property
    def num_tokens(self) -> int:
        if self.token_ids is not None:
            return len(self.token_ids)
        return len((self.text or "").split())


@runtime_checkable
class Engine(Protocol):
    """Everything the chat layer reads from an engine; ``VllmEngine`` and ``ScriptedEngine``
    provide it (the core probes nothing else)."""

    @property
    def model_name(self) -> str: ...

    @property
    def max_model_len(self) -> int: ...

    @property
    def started(self) -> bool:
        """Whether requests run without a start-up first (async callers then skip the hop to
        a worker thread that keeps their loop responsive while vLLM starts)."""
        ...

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer (``None`` where there is none); vLLM's own tool
        parsers need it."""
        ...

    @property
    def is_multimodal(self) -> bool:
        """Whether messages may carry images for this model."""
        ...

    def chat_template(self) -> str | None: ...

    def special_tokens(self) -> frozenset[str]: ...

    def render(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> RenderedPrompt: ...

    def render_text(self, prompt: str) -> RenderedPrompt: ...

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` in the model's tokenizer, no special tokens added (what a piece
        of generated text cost; what LlamaIndex's ``tokenizer_fn`` returns)."""
        ...

    def stream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> Iterator[EngineDelta]: ...

    def astream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> AsyncIterator[EngineDelta]: ...

    def close(self) -> None: ...


_DONE = object()
ENGINE_CLOSED = "the engine was closed while this request was open"


def _check_main_guard() -> None:
    """vLLM starts its engine in a spawned process, which re-imports the user's script: without an
    ``if __name__ == "__main__":`` guard that would start engines recursively."""
    main = sys.modules.get("__main__")
    if getattr(main, "__name__", "") == "__mp_main__":
        raise MainGuardError(
            "vLLM was started while a child process was importing your script. Put the code that "
            'uses the model under `if __name__ == "__main__":` (vLLM spawns its engine process, '
            "which re-imports the main module)."
        )


def render_with_vllm(
    renderer: Any,
    messages: list[Message],
    tools: list[ToolSpec] | None = None,
    chat_template_kwargs: Mapping[str, Any] | None = None,
) -> RenderedPrompt:
    """Messages + tools -> prompt with ``renderer``, vLLM's own for the model (an engine's
    ``renderer``: its ``HfRenderer`` for Jinja templates, ``MistralRenderer``, ...), as vLLM's
    server renders a chat request."""
    from vllm.renderers.params import ChatParams

    kwargs: dict[str, Any] = {"add_generation_prompt": True, **(chat_template_kwargs or {})}
    if tools:
        kwargs["tools"] = tools
    _, prompt = renderer.render_messages(messages, ChatParams(chat_template_kwargs=kwargs))
    ids = prompt.get("prompt_token_ids")
    text = prompt.get("prompt")
    if text is None and ids is not None:
        text = renderer.get_tokenizer().decode(ids)
    media = {k: prompt[k] for k in ("multi_modal_data", "multi_modal_uuids") if k in prompt}
    return RenderedPrompt(
        token_ids=list(ids) if ids is not None else None,
        text=text,
        messages=messages,
        tools=tools,
        multi_modal=media or None,
    )


class VllmEngine:
    """A lazily started ``AsyncLLM`` on its own thread and event loop.

    Prefer :func:`get_engine`, which shares one engine per configuration. ``engine_args`` are
    vLLM's own ``AsyncEngineArgs`` fields, passed through untouched (``tensor_parallel_size``,
    ``pipeline_parallel_size``, ``data_parallel_size``, ``distributed_executor_backend="ray"``,
    ``dtype``, ``max_model_len``, ``quantization`` ...). On CPU, ``dtype="float32"`` and a 1 GiB
    KV cache (``VLLM_CPU_KVCACHE_SPACE``) apply only when the user gave none.

    >>> engine = VllmEngine("/path/to/model", {"max_model_len": 2048})  # instant  # doctest: +SKIP
    >>> engine.close()  # doctest: +SKIP
    """

    def __init__(self, model: str, engine_args: Mapping[str, Any] | None = None) -> None:
        self.model = model
        self.engine_args = dict(engine_args or {})
        self._lock = threading.Lock()
        # vLLM's tokenizer pool deep-copies the tokenizer for every call that finds it busy
        # and keeps each copy (~25 MB for the default model, more for large vocabularies): callers'
        # threads render one at a time, so memory does not grow with peak concurrency.
        self._tokenizer_lock = threading.Lock()
        self._llm: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tokenizer: Any = None
        self._max_model_len = 0

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return self._llm is not None

    def start(self) -> VllmEngine:
        """Start the engine now (normally the first request does it). An engine whose process
        died is replaced by a fresh one; a failed start is retried once."""
        with self._lock:
            if self._llm is not None and getattr(self._llm, "errored", False):
                self._shutdown_locked()
            if self._llm is None:
                for attempt in Retrying(
                    stop=stop_after_attempt(START_ATTEMPTS),
                    wait=wait_fixed(1),
                    retry=retry_if_not_exception_type(_USER_ERRORS),
                    reraise=True,
                ):
                    with attempt:
                        self._start_locked()
        return self

    def _start_locked(self) -> None:
        _check_main_guard()
        check_vllm_version()
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.platforms import current_platform
        from vllm.sampling_params import RequestOutputKind  # noqa: F401  (fail early if vLLM is broken)
        from vllm.v1.engine.async_llm import AsyncLLM

        args = dict(self.engine_args)
        if current_platform.is_cpu():
            args.setdefault("dtype", "float32")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_DEFAULT_KV_CACHE_GIB)
        if not os.path.exists(self.model) and (self.model.startswith(("/", ".", "~"))):
            raise FileNotFoundError(
                f"Model path {self.model!r} does not exist. Pass an existing folder with a "
                "Hugging Face model (config.json, safetensors) or a hub id."
            )
        if self.model.endswith(".gguf"):
            raise ValueError(
                f"{self.model!r} is a GGUF file, which vLLM 0.32 cannot load. Convert it to a "
                "safetensors folder first (see `python -m vllm_native.models prepare --help`)."
            )
        loop = asyncio.new_event_loop()
        ready: Future[None] = Future()

        def run_loop() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set_result, None)
            loop.run_forever()

        thread = threading.Thread(target=run_loop, name="vllm-native-engine", daemon=True)
        thread.start()
        ready.result()

        async def build() -> Any:
            return AsyncLLM.from_engine_args(AsyncEngineArgs(model=self.model, **args))

        try:
            llm = asyncio.run_coroutine_threadsafe(build(), loop).result()
        except BaseException as exc:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            crowded = _memory_taken_by_others(exc, self)
            if crowded is not None:
                raise crowded from exc
            raise
        self._loop, self._thread, self._llm = loop, thread, llm
        _STARTED.add(self)
        self._tokenizer = llm.get_tokenizer()
        self._max_model_len = int(llm.model_config.max_model_len)

    def close(self) -> None:
        """Shut the engine down and stop its thread; leaves no engine process behind.
        Closing twice is harmless; a later request starts a fresh engine."""
        with self._lock:
            self._shutdown_locked()

    def _shutdown_locked(self) -> None:
        llm, loop, thread = self._llm, self._loop, self._thread
        self._llm = self._loop = self._thread = None
        _STARTED.discard(self)
        if llm is None:
            return
        try:
            if loop is not None:  # stop reading outputs first: a dying engine is expected now
                asyncio.run_coroutine_threadsafe(_stop_output_handler(llm), loop).result(10)
            llm.shutdown()
            if loop is not None:  # open streams get an EngineError; no task is left pending
                asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), loop).result(10)
        finally:
            # AsyncLLM.__del__ calls shutdown() again, possibly at interpreter exit when
            # its module globals are gone ("'NoneType' object is not callable"): done already.
            llm.shutdown = _already_shut_down
            if loop is not None:
                loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(timeout=10)
            if loop is not None and not loop.is_running():
                loop.close()

    def __enter__(self) -> VllmEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- information --------------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        return str(self.engine_args.get("served_model_name") or self.model)

    @property
    def max_model_len(self) -> int:
        """The context length; read from the configuration without starting the engine
        when possible (``max_model_len`` given, or a local model's ``config.json``)."""
        if self._llm is None:
            if "max_model_len" in self.engine_args:
                return int(self.engine_args["max_model_len"])
            config = os.path.join(self.model, "config.json")
            if os.path.isfile(config):
                with open(config, encoding="utf-8") as f:
                    length = json.load(f).get("max_position_embeddings")
                if isinstance(length, int):
                    return length
            self.start()
        return self._max_model_len

    @property
    def tokenizer(self) -> Any:
        self.start()
        return self._tokenizer

    @property
    def is_multimodal(self) -> bool:
        """Whether vLLM runs this model as multimodal (it then accepts image parts)."""
        self.start()
        return bool(self._llm.model_config.is_multimodal_model)

    @property
    def num_unfinished_requests(self) -> int:
        """Requests the engine is still running (0 when idle or not started)."""
        llm = self._llm
        return 0 if llm is None else int(llm.get_num_unfinished_requests())

    def chat_template(self) -> str | None:
        template = getattr(self.tokenizer, "chat_template", None)
        return template if isinstance(template, str) else None

    def special_tokens(self) -> frozenset[str]:
        tok = self.tokenizer
        names = set(getattr(tok, "all_special_tokens", []) or [])
        added = getattr(tok, "get_added_vocab", None)
        if callable(added):
            names.update(added().keys())
        return frozenset(names)

    # -- rendering ------------------------------------------------------------------------------
    def render(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> RenderedPrompt:
        """Messages + tools -> prompt token ids, through vLLM's own chat-template renderer
        (sandboxed Jinja, the model's template, vLLM's message normalisation)."""
        self.start()
        with self._tokenizer_lock:
            return render_with_vllm(self._llm.renderer, messages, tools, chat_template_kwargs)

    def render_text(self, prompt: str) -> RenderedPrompt:
        """A raw completion prompt (no chat template)."""
        tokenizer = self.tokenizer
        with self._tokenizer_lock:
            ids = tokenizer.encode(prompt)
        return RenderedPrompt(token_ids=list(ids), text=prompt)

    def encode(self, text: str) -> list[int]:
        tokenizer = self.tokenizer
        with self._tokenizer_lock:
            return list(tokenizer.encode(text, add_special_tokens=False))

    # -- generation -----------------------------------------------------------------------------
    def lora_request(self, adapter: str | None) -> Any:
        """vLLM's ``LoRARequest`` for a resolved adapter path or hub id (``None``: the base);
        raises ``ValueError`` when this engine cannot serve it."""
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        check_adapter_fits(adapter, self.engine_args)
        with _REGISTRY_LOCK:  # vLLM wants one id per adapter, the same in every request
            lora_id = _LORA_IDS.setdefault(adapter, len(_LORA_IDS) + 1)
        return LoRARequest(lora_name=adapter, lora_int_id=lora_id, lora_path=adapter)

    async def _generate(
        self, prompt: RenderedPrompt, params: Any, lora_request: Any = None
    ) -> AsyncIterator[EngineDelta]:
        from vllm.inputs import TextPrompt, TokensPrompt

        media: Any = prompt.multi_modal or {}
        if prompt.token_ids is not None:
            engine_prompt: Any = TokensPrompt(prompt_token_ids=prompt.token_ids, **media)
        else:
            engine_prompt = TextPrompt(prompt=prompt.text or "", **media)
        request_id = f"vllm-native-{uuid.uuid4().hex}"
        completion_tokens = 0
        top = getattr(params, "logprobs", None)
        async for out in self._llm.generate(
            engine_prompt, params, request_id, lora_request=lora_request
        ):
            if not out.outputs:
                continue
            o = out.outputs[0]
            completion_tokens += len(o.token_ids)
            prompt_tokens = len(out.prompt_token_ids or ())
            finish = o.finish_reason if out.finished else None
            if out.finished and finish is None:
                finish = "abort"
            if finish in ("abort", "error"):
                raise EngineError(f"the engine ended request {request_id} with {finish!r}")
            logprobs = None
            if top is not None:
                logprobs = from_vllm(o.token_ids, o.logprobs, top=top, decode=self._decode)
            yield EngineDelta(
                o.text,
                tuple(o.token_ids),
                finish,
                prompt_tokens,
                completion_tokens,
                logprobs,
                cached_tokens=out.num_cached_tokens,
            )

    def _decode(self, token_id: int) -> str:
        return str(self._tokenizer.decode([token_id]))

    def _submit(
        self,
        prompt: RenderedPrompt,
        params: Any,
        lora: str | None,
        deliver: Callable[[Any], object],
    ) -> Future[None]:
        """Run one request on the engine loop; ``deliver`` (called on that loop) gets each delta,
        then ``_DONE`` or the exception that ended it."""
        lora_request = self.lora_request(lora)

        async def pump() -> None:
            try:
                async for delta in self._generate(prompt, params, lora_request):
                    deliver(delta)
            except BaseException as exc:  # delivered to the reader, re-raised there
                deliver(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            else:
                deliver(_DONE)

        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(pump(), self._loop)

    def stream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> Iterator[EngineDelta]:
        """Sync iterator over deltas; leaving it early aborts the request in the engine.
        ``lora`` is an adapter path (see ``vllm_native.lora``) for this request."""
        self.start()
        out: queue.Queue[Any] = queue.Queue()
        future = self._submit(prompt, params, lora, out.put)
        held: list[Any] = []  # what ended the request, found behind waiting deltas
        try:
            while (delta := _received(held.pop() if held else out.get())) is not None:
                yield _with_waiting(delta, out.get_nowait, held)
        finally:
            future.cancel()  # while still running: cancels generate(), which aborts the request

    async def astream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> AsyncIterator[EngineDelta]:
        """Async iterator over deltas in the caller's loop; cancelling it aborts the request."""
        if not self.started:  # vLLM takes a while to start: keep the caller's loop responsive
            await asyncio.get_running_loop().run_in_executor(None, self.start)
        caller = asyncio.get_running_loop()
        out: asyncio.Queue[Any] = asyncio.Queue()
        future = self._submit(
            prompt, params, lora, lambda item: caller.call_soon_threadsafe(out.put_nowait, item)
        )
        held: list[Any] = []
        try:
            while (delta := _received(held.pop() if held else await out.get())) is not None:
                yield _with_waiting(delta, out.get_nowait, held)
        finally:
            future.cancel()


_STARTED: weakref.WeakSet[VllmEngine] = weakref.WeakSet()
"""Engines of this process that are running (each holds its share of accelerator memory)."""

# vLLM's words when the free device memory is less than an engine's gpu_memory_utilization share
# (vllm/v1/worker/utils.py request_memory, 0.32 and 0.33), and PyTorch's out-of-memory error
_MEMORY_ERROR_WORDS = ("gpu memory utilization", "out of memory")
# With the engine core in a child process (vLLM's default) its error stays in that process's log;
# the caller only gets this RuntimeError (vllm/v1/engine/utils.py)
_CORE_START_FAILED = "Engine core initialization failed"


def _uses_gpu_memory() -> bool:
    """Whether vLLM runs on an accelerator with its own memory (not the CPU build)."""
    from vllm.platforms import current_platform

    return not current_platform.is_cpu()


def _memory_taken_by_others(exc: BaseException, engine: VllmEngine) -> ValueError | None:
    """The error to raise instead of ``exc`` when an engine failed to start for memory while
    other engines of this process run; ``None`` when that is not the case.

    Each vLLM engine claims ``gpu_memory_utilization`` (default 0.9) of the device's *total*
    memory and checks that much is free, so a second engine with the defaults never fits.
    """
    others = [e for e in list(_STARTED) if e is not engine]
    if not others:
        return None
    text = str(exc)
    if _CORE_START_FAILED in text:
        if not _uses_gpu_memory():
            return None
        said = f"vLLM said: {text} (the engine process's log above shows the root cause)"
    elif isinstance(exc, ValueError) and any(w in text.lower() for w in _MEMORY_ERROR_WORDS):
        said = f"vLLM said: {text}"
    else:
        return None
    running = ", ".join(
        f"{e.model!r} (gpu_memory_utilization={e.engine_args.get('gpu_memory_utilization', 0.9)})"
        for e in others
    )
    return ValueError(
        f"Starting the engine for {engine.model!r} failed while {len(others)} other engine(s) of "
        f"this process hold accelerator memory: {running}. Each engine takes its "
        "gpu_memory_utilization share of the device's total memory (vLLM's default 0.9), so "
        "several engines in one process need shares that add up to less than 1: pass "
        'engine_args={"gpu_memory_utilization": 0.45} (for example) to each of them, or close() '
        f"the engines you no longer need first. {said}"
    )


def _with_waiting(delta: EngineDelta, take: Callable[[], Any], held: list[Any]) -> EngineDelta:
    """``delta`` joined with the deltas already queued behind it (``take`` gets one without
    waiting); the end of the request or an error found behind them goes to ``held``.

    A reader slower than the engine (a GPU generating for many streams) then gets one delta for
    several tokens instead of falling behind: one event and one framework chunk for all of them,
    so the CPU spent per token falls as load grows. vLLM's ``AsyncLLM`` merges its delta outputs
    the same way when its own consumer lags; this does it for our readers, whose per-delta cost
    (framework chunks and callbacks) is higher."""
    waiting: list[EngineDelta] = []
    while delta.finish_reason is None and (not waiting or waiting[-1].finish_reason is None):
        try:
            item = take()
        except (queue.Empty, asyncio.QueueEmpty):
            break
        if not isinstance(item, EngineDelta):
            held.append(item)
            break
        waiting.append(item)
    if not waiting:
        return delta
    deltas = [delta, *waiting]
    logprobs = None
    if any(d.logprobs is not None for d in deltas):
        logprobs = tuple(t for d in deltas for t in d.logprobs or ())
    # the counts and the finish reason are the request's so far: the last delta's
    return replace(
        deltas[-1],
        text="".join(d.text for d in deltas),
        token_ids=tuple(i for d in deltas for i in d.token_ids),
        logprobs=logprobs,
    )


def _received(item: Any) -> EngineDelta | None:
    """A delta from the pump; ``None`` at the end; an exception it delivered is raised here."""
    if item is _DONE:
        return None
    if isinstance(item, BaseException):
        raise _as_engine_error(item)
    return item


async def _stop_output_handler(llm: Any) -> None:
    handler = getattr(llm, "output_handler", None)
    if handler is not None and not handler.done():
        handler.cancel()
        with contextlib.suppress(BaseException):
            await handler
    llm.output_handler = None


async def _cancel_other_tasks() -> None:
    """Cancel and await every other task on the engine loop (vLLM's socket readers, the pumps
    of streams still open), so that stopping the loop leaves none pending."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel(ENGINE_CLOSED)
    await asyncio.gather(*tasks, return_exceptions=True)


def _already_shut_down(*args: Any, **kwargs: Any) -> None:
    """Replaces ``AsyncLLM.shutdown`` once the engine is shut down."""


def _as_engine_error(exc: BaseException) -> BaseException:
    if isinstance(exc, (EngineError, ValueError)):
        return exc
    if isinstance(exc, asyncio.CancelledError):
        return EngineError(
            ENGINE_CLOSED if ENGINE_CLOSED in exc.args else "the engine request was cancelled"
        )
    name = type(exc).__name__
    # vLLM's request errors are no ValueErrors (VLLMClientError derives from Exception since 0.27);
    # from 0.33 on a grammar that fails to compile is raised out of generate() as one, where 0.32
    # ended the request with finish reason "error". All of them are the caller's to fix.
    if {cls.__name__ for cls in type(exc).__mro__} & {"VLLMClientError", "VLLMValidationError"}:
        user_error = ValueError(f"vLLM rejected the request: {exc}")
        user_error.__cause__ = exc
        return user_error
    if name == "EngineDeadError":
        err = EngineError(
            "the vLLM engine process died while generating; the next request starts a fresh engine"
        )
        err.__cause__ = exc
        return err
    err = EngineError(f"the engine failed: {name}: {exc}")
    err.__cause__ = exc
    return err


# -- the shared registry ------------------------------------------------------------------------
_REGISTRY: dict[str, VllmEngine] = {}
_REGISTRY_LOCK = threading.Lock()
_LORA_IDS: dict[str, int] = {}


def engine_key(model: str, engine_args: Mapping[str, Any] | None) -> str:
    """The configuration key under which engines are shared."""
    return json.dumps([model, dict(engine_args or {})], sort_keys=True, default=repr)


def get_engine(model: str, engine_args: Mapping[str, Any] | None = None) -> VllmEngine:
    """The shared engine for this configuration (created, not started, on first ask).

    >>> get_engine("m", {"max_model_len": 64}) is get_engine("m", {"max_model_len": 64})
    True
    """
    key = engine_key(model, engine_args)
    with _REGISTRY_LOCK:
        engine = _REGISTRY.get(key)
        if engine is None:
            engine = _REGISTRY[key] = VllmEngine(model, engine_args)
        return engine


def shared_engines() -> list[VllmEngine]:
    """Engines created through :func:`get_engine` (started or not)."""
    with _REGISTRY_LOCK:
        return list(_REGISTRY.values())


def close_all() -> None:
    """Shut every shared engine down (also run at interpreter exit)."""
    for engine in shared_engines():
        engine.close()


atexit.register(close_all)
