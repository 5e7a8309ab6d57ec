"""``ChatVLLM``: a LangChain chat model that runs vLLM in-process, with native tool calling.

It only translates: LangChain messages and options become a ``vllm_native`` ``ChatRequest``, and
the core's events and final message become ``AIMessageChunk``s and ``AIMessage``s. Parsing,
tool-call streaming, ``tool_choice`` enforcement and structured outputs live in the core.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import aclosing, closing
from operator import itemgetter
from typing import Any, Literal

from langchain_core.caches import BaseCache
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.exceptions import OutputParserException
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import LanguageModelInput, ModelProfile
from langchain_core.language_models.chat_models import BaseChatModel, LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_messages
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableMap,
    RunnablePassthrough,
)
from langchain_core.runnables.config import get_config_list
from langchain_core.utils.pydantic import is_basemodel_subclass
from langchain_core.utils.utils import LC_ID_PREFIX
from pydantic import Field, PrivateAttr, field_validator, model_validator
from typing_extensions import Self

from vllm_native.chat import ChatClient, check_tools, known_context_window, known_multimodal
from vllm_native.reasoning_controls import call_reasoning_controls
from vllm_native.types import (
    REQUEST_OPTION_NAMES,
    ChatMessage,
    ChatRequest,
    HistoryReasoning,
    ToolFinishReason,
    check_keywords,
    check_reasoning_controls,
    check_reasoning_parser,
    check_tool_finish_reason,
)

from . import _stream_run
from ._messages import to_openai_messages
from ._output import ChunkBuilder, generation_chunk, to_ai_message
from ._settings import CALL_SAMPLING_OPTIONS, VllmSettings
from ._tools import ToolLike, format_tool_choice, format_tools, json_schema_format

_REQUEST_OPTIONS = (frozenset(REQUEST_OPTION_NAMES) - {"thinking"}) | {"reasoning"}
"""The core's request options in LangChain's words: thinking on/off is ``reasoning`` (as in
langchain-ollama)."""
_CALL_OPTIONS = _REQUEST_OPTIONS | CALL_SAMPLING_OPTIONS | {"model", "stop", "stream"}
"""Keyword arguments accepted per call (``invoke(..., temperature=0)``) and by ``bind``;
``stream`` is LangChain's own switch and ``model`` must name this model."""
_TRACING_OPTIONS = frozenset({"ls_structured_output_format", "structured_output_format"})


class ChatVLLM(VllmSettings, BaseChatModel):
    """vLLM chat model, run in-process: true token streaming and correct native tool calling.

    Setup:
        Install ``vllm-native`` (``pip install "vllm-native[gpu]"``, or ``[cpu]``). With
        ``model=None`` the prepared default model runs; any path or hub id vLLM can load works.
        No server and no API key: the engine starts in this process on first use and is shared
        by every model object with the same ``model`` and ``engine_args``.

    Key init args — engine:
        model: str | None
            Path or hub id; ``None`` is the prepared default model.
        engine_args: dict
            vLLM's engine arguments, untouched (``max_model_len``, ``tensor_parallel_size``...);
            ``vllm_kwargs`` (langchain-community's name) is merged into them.
        engine: Any
            An explicit engine, e.g. ``ScriptedEngine`` for tests without a model.
        tool_parser: str | None
            vLLM ``--tool-call-parser`` name (``"hermes"``, ``"llama3_json"``, ``"mistral"``...);
            ``None`` detects it from the chat template.
        reasoning_parser: str | None
            Reasoning (``<think>``) splitting: a name turns it on, ``"none"`` off, ``None``
            detects it from the chat template.

    Key init args — completion params:
        temperature, top_p, top_k, max_tokens, stop, seed, presence_penalty, frequency_penalty
            Sampling options; each can also be given per call.
        sampling_kwargs: dict
            Any other ``vllm.SamplingParams`` field (``min_tokens``, ``repetition_penalty``...).
        tool_finish_reason: "function_call" | "tool_calls"
            The finish reason of a turn that called tools.

    Instantiate (a scripted engine replays canned answers, so these examples need no model):
        >>> from langchain_vllm import ChatVLLM
        >>> from vllm_native.testing import ScriptedEngine
        >>> model = ChatVLLM(
        ...     engine=ScriptedEngine(["J'adore la programmation.", "Bonjour le monde !"]),
        ...     temperature=0,
        ... )

        With a real model: ``ChatVLLM(model="Qwen/Qwen3-0.6B", engine_args={"max_model_len":
        4096}, max_tokens=512)``.

    Invoke:
        >>> messages = [
        ...     ("system", "Translate the user sentence to French."),
        ...     ("human", "I love programming."),
        ... ]
        >>> model.invoke(messages).content
        "J'adore la programmation."

    Stream:
        >>> chunks = list(model.stream("Say hello world in French"))
        >>> [chunk.content for chunk in chunks]
        ['Bonjour', ' le', ' monde', ' !', '']
        >>> full = sum(chunks[1:], chunks[0])
        >>> full.content, full.response_metadata["finish_reason"]
        ('Bonjour le monde !', 'stop')

        ``ainvoke``, ``astream``, ``astream_events``, ``batch`` and ``abatch`` work the same
        way; ``batch`` submits every request to the engine at once.

        Whatever streams (``streaming=True``, ``invoke(..., stream=True)``, ``astream_events``,
        LangGraph's ``stream_mode="messages"``), ``invoke`` returns the message a plain
        ``invoke`` returns. Merging chunks yourself: the merge's ``tool_calls`` are exactly the
        finished calls and every invalid call (cut off, unknown tool, ...) stays in
        ``invalid_tool_calls``, but only the last chunk has them exactly, with their errors;
        ``finish_reason == "length"`` means the reply was cut off (docs/streaming.md).

    Tool calling:
        >>> from pydantic import BaseModel, Field
        >>> class GetWeather(BaseModel):
        ...     '''Get the current weather in a given city.'''
        ...     city: str = Field(..., description="The city, e.g. Paris")
        >>> answer = '<tool_call>{"name": "GetWeather", "arguments": {"city": "Paris"}}</tool_call>'
        >>> model = ChatVLLM(engine=ScriptedEngine([answer]), tool_parser="hermes")
        >>> message = model.bind_tools([GetWeather]).invoke("Weather in Paris?")
        >>> [(call["name"], call["args"]) for call in message.tool_calls]
        [('GetWeather', {'city': 'Paris'})]
        >>> message.response_metadata["finish_reason"]
        'function_call'

        ``tool_choice`` takes ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` or a
        tool name; forced choices are enforced by vLLM structured outputs, not by prompting.
        Streaming yields ``tool_call_chunks`` whose arguments merge to the final JSON.

    Structured output:
        >>> class Joke(BaseModel):
        ...     '''A joke.'''
        ...     setup: str
        ...     punchline: str
        >>> engine = ScriptedEngine(['{"setup": "Why?", "punchline": "Because."}'])
        >>> model = ChatVLLM(engine=engine)
        >>> model.with_structured_output(Joke, method="json_schema").invoke("Tell a joke")
        Joke(setup='Why?', punchline='Because.')

        ``method`` is ``"function_calling"`` (default), ``"json_schema"`` or ``"json_mode"``;
        ``include_raw=True`` also returns the raw message and any parsing error.

    Reasoning:
        With a reasoning model (or ``reasoning_parser=...``) the thinking goes to
        ``additional_kwargs["reasoning_content"]``, streamed chunk by chunk; never to ``content``.

        >>> model = ChatVLLM(
        ...     engine=ScriptedEngine(["<think>Easy sum.</think>4"]), reasoning_parser="deepseek_r1"
        ... )
        >>> message = model.invoke("2+2?")
        >>> message.content, message.additional_kwargs["reasoning_content"]
        ('4', 'Easy sum.')

        ``reasoning=True/False`` turns thinking on or off and ``reasoning_effort="low"`` (...)
        sets its level, at construction or per call, through the variables the model's chat
        template reads (Qwen3's ``enable_thinking``, gpt-oss's ``reasoning_effort``, ...); a
        control the model cannot honour raises ``ValueError`` (docs/features.md).

    Token usage and response metadata:
        >>> message.usage_metadata["input_tokens"] > 0, message.response_metadata["model_provider"]
        (True, 'vllm')
    """

    tool_parser: str | None = None
    """vLLM ``--tool-call-parser`` name; ``None`` detects it from the chat template."""
    reasoning_parser: str | None = None
    """Reasoning splitting: a parser name turns it on, ``"none"`` off, ``None`` detects it."""
    tool_finish_reason: ToolFinishReason = "function_call"
    """Finish reason of a turn that produced tool calls (checked by the core)."""
    chat_template_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra chat-template variables (e.g. ``{"enable_thinking": False}`` for Qwen3)."""
    history_reasoning: HistoryReasoning | None = None
    """Earlier turns' reasoning sent back to the model (``"resend"``) or not (``"drop"``);
    ``None`` is the model family's default (see ``vllm_native.history``)."""
    reasoning: bool | None = None
    """Thinking on (``True``) or off (``False``) for models that can switch it (Qwen3, GLM,
    DeepSeek V3.1, Granite, Seed-OSS, ...); ``None`` is the model's default. A call that sets
    ``reasoning=`` or ``reasoning_effort=`` replaces both of these defaults."""
    reasoning_effort: str | None = None
    """Reasoning level (``"low"``, ``"medium"``, ``"high"`` for gpt-oss; ``"none"`` is thinking
    off); ``None`` is the model's default. A call that sets ``reasoning=`` or
    ``reasoning_effort=`` replaces both of these defaults."""
    streaming: bool = False
    """When ``True``, ``invoke`` streams internally, so callbacks receive each token; it still
    returns the core's final message."""

    _client: ChatClient = PrivateAttr()

    @field_validator("tool_finish_reason", mode="before")
    @classmethod
    def _check_tool_finish_reason(cls, value: Any) -> ToolFinishReason:
        return check_tool_finish_reason(value)

    @model_validator(mode="after")
    def _create_client(self) -> Self:
        check_reasoning_controls(self.reasoning, self.reasoning_effort)
        self._client = ChatClient(
            self.model,
            engine=self.engine,
            engine_args=self.engine_args or None,
            tool_parser=self.tool_parser,
            reasoning_parser=self.reasoning_parser,
            lora=self.lora,
        )
        return self

    @property
    def _llm_type(self) -> str:
        return "vllm-native-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            **self.settings_params(),
            "tool_parser": self.tool_parser,
            "reasoning_parser": self.reasoning_parser,
            "tool_finish_reason": self.tool_finish_reason,
            "chat_template_kwargs": self.chat_template_kwargs,
            "history_reasoning": self.history_reasoning,
            "reasoning": self.reasoning,
            "reasoning_effort": self.reasoning_effort,
        }

    def _resolve_model_profile(self) -> ModelProfile | None:
        # ``structured_output`` is False on purpose: vLLM's structured outputs constrain the
        # whole reply, so a turn with ``response_format`` can call no tool, and create_agent's
        # provider strategy (chosen when this is True) would never run the agent's tools; with
        # False it uses its tool strategy, which works with tools (with_structured_output still
        # enforces schemas natively). Construction never starts the engine, so what only a
        # running engine knows is left out: ``image_inputs`` when no local config.json says it
        # (a hub id), ``max_input_tokens`` without ``max_model_len``, a detected reasoning parser.
        profile = ModelProfile(
            text_inputs=True,
            tool_calling=True,
            tool_choice=True,
            tool_call_streaming=True,
            structured_output=False,
        )
        where = {"engine": self.engine, "engine_args": self.engine_args}
        context = known_context_window(self.model, **where)
        if context is not None:
            profile["max_input_tokens"] = context
        images = known_multimodal(self.model, **where)
        if images is not None:
            profile["image_inputs"] = images
        reasoning = check_reasoning_parser(self.reasoning_parser)
        if reasoning is not None:
            profile["reasoning_output"] = reasoning != "none"
        return profile

    def _derived_fields(self) -> frozenset[str]:
        """A profile this class made is made again for a copy (another model, another engine);
        one given at construction is kept."""
        return (
            frozenset({"profile"}) if self.profile == self._resolve_model_profile() else frozenset()
        )

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's own tokenizer (starts the engine, never the hub)."""
        return self._client.count_text_tokens(text)

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Tokens of the prompt these messages (and ``tools``) render to: the model's own chat
        template and tokenizer, as a turn would send them. Repeated counts are cached.

        >>> from vllm_native.testing import ScriptedEngine
        >>> def add(a: int, b: int) -> int:
        ...     "Add two integers."
        ...     return a + b
        >>> model = ChatVLLM(engine=ScriptedEngine([]))
        >>> plain = model.get_num_tokens_from_messages([("human", "Hi there")])
        >>> model.get_num_tokens_from_messages([("human", "Hi there")], tools=[add]) > plain
        True
        """
        request = ChatRequest(
            messages=to_openai_messages(convert_to_messages(messages)),
            tools=format_tools(tools or []) or None,
            chat_template_kwargs=dict(self.chat_template_kwargs),
            thinking=self.reasoning,
            reasoning_effort=self.reasoning_effort,
        )
        return self._client.count_tokens(request)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self.langsmith_params(self._client.model_name, "chat", stop, kwargs)

    def close(self) -> None:
        """Shut the engine down (shared engines for everyone using them; the next call starts
        it again)."""
        self._client.close()

    # -- requests -------------------------------------------------------------------------------
    @property
    def _v1(self) -> bool:
        return self.output_version == "v1"

    def _request(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, call: Mapping[str, Any]
    ) -> ChatRequest:
        _check_options(call, "ChatVLLM")
        model = call.get("model")
        if model is not None and model not in (self.model, self._client.model_name):
            raise ValueError(
                f"this ChatVLLM runs {self._client.model_name!r} in-process and cannot switch "
                f"to model={model!r} per call; create ChatVLLM(model={model!r}) instead"
            )
        tools = format_tools(call.get("tools") or [])
        tool_choice = call.get("tool_choice")
        thinking, reasoning_effort = call_reasoning_controls(
            (self.reasoning, self.reasoning_effort),
            (call.get("reasoning"), call.get("reasoning_effort")),
        )
        return ChatRequest(
            messages=to_openai_messages(messages),
            tools=tools or None,
            tool_choice="auto" if tool_choice is None else format_tool_choice(tool_choice, tools),
            parallel_tool_calls=call.get("parallel_tool_calls") is not False,
            strict=bool(call.get("strict")),
            response_format=call.get("response_format"),
            sampling=self.sampling_options(stop, call),
            tool_finish_reason=call.get("tool_finish_reason") or self.tool_finish_reason,
            chat_template_kwargs={
                **self.chat_template_kwargs,
                **(call.get("chat_template_kwargs") or {}),
            },
            history_reasoning=call.get("history_reasoning") or self.history_reasoning,
            thinking=thinking,
            reasoning_effort=reasoning_effort,
            structured_outputs=call.get("structured_outputs"),
            lora=call.get("lora"),
            fetch_remote_images=bool(call.get("fetch_remote_images", self.fetch_remote_images)),
        )

    # -- generation -----------------------------------------------------------------------------
    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        """langchain-core asks this in ``stream``/``astream`` (stream, or fall back to one
        ``invoke``?) and, with the run's manager, in ``invoke``/``generate`` (build the result by
        merging streamed chunks?). To the second we always answer no: the merge re-parses
        argument fragments as partial JSON, so a call cut off by ``max_tokens`` would come back
        runnable and calls never streamed would vanish. ``_generate`` streams into the callbacks
        itself when streaming is asked for, and returns the core's final message."""
        if run_manager is not None:
            return False
        return super()._should_stream(async_api=async_api, **kwargs)

    def _streams_into(
        self,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        kwargs: Mapping[str, Any],
        *,
        async_api: bool,
    ) -> bool:
        """Whether langchain-core would stream this call (``streaming=True``, ``stream=True``,
        a streaming callback handler such as ``astream_events``' or LangGraph's)."""
        return run_manager is not None and super()._should_stream(
            async_api=async_api, run_manager=run_manager, **kwargs
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        if (request.sampling.n or 1) > 1:  # several choices cannot stream: one request each
            return self._results(self._client.choices(request))
        if run_manager is None or not self._streams_into(run_manager, kwargs, async_api=False):
            return self._result(self._client.chat(request))
        run_id = f"{LC_ID_PREFIX}-{run_manager.run_id}"
        builder = ChunkBuilder(v1=self._v1, message_id=run_id)
        for _ in self._chunks(request, builder, run_manager):
            pass
        return self._result(builder.final, run_id)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, kwargs)
        if (request.sampling.n or 1) > 1:
            return self._results(await self._client.achoices(request))
        if run_manager is None or not self._streams_into(run_manager, kwargs, async_api=True):
            return self._result(await self._client.achat(request))
        run_id = f"{LC_ID_PREFIX}-{run_manager.run_id}"
        builder = ChunkBuilder(v1=self._v1, message_id=run_id)
        async for _ in self._achunks(request, builder, run_manager):
            pass
        return self._result(builder.final, run_id)

    def _results(self, messages: list[ChatMessage]) -> ChatResult:
        """The ``n`` choices of one prompt, each a generation (``invoke`` returns the first)."""
        return ChatResult(
            generations=[ChatGeneration(message=to_ai_message(m, v1=self._v1)) for m in messages]
        )

    def _result(self, message: ChatMessage | None, message_id: str | None = None) -> ChatResult:
        """The result of one turn: the core's final message. A streamed one keeps its chunks'
        id, so LangGraph's message stream knows it as the message it already streamed."""
        if message is None:
            raise RuntimeError("the stream ended without its final message")
        ai_message = to_ai_message(message, v1=self._v1)
        ai_message.id = message_id
        return ChatResult(generations=[ChatGeneration(message=ai_message)])

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """langchain-core's ``stream``, except that ``on_llm_end`` gets the core's final message
        instead of a merge of every chunk, which are not kept (see ``_stream_run``)."""
        if not _stream_run.LEAN_STREAM or not self._should_stream(
            async_api=False, **{**kwargs, "stream": True}
        ):
            yield from super().stream(input, config, stop=stop, **kwargs)
            return
        yield from _stream_run.stream(self, input, config, stop, kwargs)

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        """Async :meth:`stream`."""
        if not _stream_run.LEAN_STREAM or not self._should_stream(
            async_api=True, **{**kwargs, "stream": True}
        ):
            async for chunk in super().astream(input, config, stop=stop, **kwargs):
                yield chunk
            return
        async for chunk in _stream_run.astream(self, input, config, stop, kwargs):
            yield chunk

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        yield from self._chunks(request, ChunkBuilder(v1=self._v1), run_manager)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._request(messages, stop, kwargs)
        async for chunk in self._achunks(request, ChunkBuilder(v1=self._v1), run_manager):
            yield chunk

    def _chunks(
        self,
        request: ChatRequest,
        builder: ChunkBuilder,
        run_manager: CallbackManagerForLLMRun | None,
    ) -> Iterator[ChatGenerationChunk]:
        """The turn's chunks, each reported to ``run_manager``; leaving early aborts it."""
        with closing(self._client.stream(request)) as events:
            for event in events:
                for message in builder.chunks(event):
                    chunk = generation_chunk(message)
                    if run_manager:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk

    async def _achunks(
        self,
        request: ChatRequest,
        builder: ChunkBuilder,
        run_manager: AsyncCallbackManagerForLLMRun | None,
    ) -> AsyncIterator[ChatGenerationChunk]:
        """Async ``_chunks``."""
        events = self._client.astream(request)
        async with aclosing(events):  # type: ignore[type-var]
            async for event in events:
                for message in builder.chunks(event):
                    chunk = generation_chunk(message)
                    if run_manager:
                        await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk

    # -- batching -------------------------------------------------------------------------------
    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """Submits all requests to the engine at once (one ``chat_batch``).

        When callbacks, tracing, a cache, a rate limiter, ``max_concurrency`` or
        ``return_exceptions`` are in play, each input goes through ``invoke`` instead (so those
        see every call), all in flight together unless ``max_concurrency`` says otherwise.
        """
        if not inputs:
            return []
        configs = get_config_list(config, len(inputs))
        if return_exceptions or not self._can_batch_directly(configs):
            configs = [
                {**c, "max_concurrency": c.get("max_concurrency") or len(inputs)} for c in configs
            ]
            return super().batch(inputs, configs, return_exceptions=return_exceptions, **kwargs)
        requests = self._batch_requests(inputs, kwargs)
        # With n > 1 every choice is generated, and each input's first is returned, as
        # ChatOpenAI's batch does; generate() returns them all.
        return [self._batch_message(g[0]) for g in self._client.choices_batch(requests)]

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        """Async :meth:`batch` (one ``achat_batch``, under the same conditions)."""
        if not inputs:
            return []
        configs = get_config_list(config, len(inputs))
        if return_exceptions or not self._can_batch_directly(configs):
            return await super().abatch(
                inputs, configs, return_exceptions=return_exceptions, **kwargs
            )
        requests = self._batch_requests(inputs, kwargs)
        choices = await self._client.achoices_batch(requests)
        return [self._batch_message(g[0]) for g in choices]

    def _can_batch_directly(self, configs: list[RunnableConfig]) -> bool:
        """True when no callback, tracer, cache or rate limiter needs to see each call."""
        if self.rate_limiter is not None:
            return False
        if self.cache is True or (
            self.cache is not False
            and (isinstance(self.cache, BaseCache) or get_llm_cache() is not None)
        ):
            return False
        for config in configs:
            manager = CallbackManager.configure(
                config.get("callbacks"),
                self.callbacks,
                self.verbose,
                config.get("tags"),
                self.tags,
                config.get("metadata"),
                self.metadata,
            )
            if config.get("max_concurrency") or manager.handlers:
                return False
        return True

    def _batch_requests(
        self, inputs: list[LanguageModelInput], kwargs: Mapping[str, Any]
    ) -> list[ChatRequest]:
        call = {k: v for k, v in kwargs.items() if k not in _TRACING_OPTIONS and k != "stop"}
        return [
            self._request(self._convert_input(x).to_messages(), kwargs.get("stop"), call)
            for x in inputs
        ]

    def _batch_message(self, message: ChatMessage) -> AIMessage:
        ai_message = to_ai_message(message, v1=self._v1)
        ai_message.id = f"{LC_ID_PREFIX}-{uuid.uuid4()}-0"  # as invoke names its messages
        return ai_message

    # -- tools and structured output ----------------------------------------------------------------
    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools: BaseTools, functions, Pydantic models, TypedDicts, JSON schemas or OpenAI
        tool dicts.

        ``tool_choice``: ``None``/``"auto"`` (the model decides), ``"none"``, ``"any"``,
        ``"required"`` or ``True`` (some tool must be called), a tool name or
        ``{"type": "function", "function": {"name": ...}}`` (that tool must be called).
        ``parallel_tool_calls=False`` allows at most one call; ``strict=True`` makes every call
        follow its tool's parameter schema. Other keyword arguments are call options (e.g.
        ``response_format``, ``temperature``). Bad tools or choices raise ``ValueError`` here.

        >>> from vllm_native.testing import ScriptedEngine
        >>> def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> ChatVLLM(engine=ScriptedEngine([])).bind_tools([add], tool_choice="multiply")
        Traceback (most recent call last):
        ValueError: tool_choice names 'multiply', which is not among the bound tools ['add']
        """
        _check_options(kwargs, "ChatVLLM.bind_tools")
        formatted = format_tools(tools, strict=strict)
        check_tools(formatted)  # each tool's shape and JSON Schema: a wrong one fails here
        if tool_choice is not None:
            kwargs["tool_choice"] = format_tool_choice(tool_choice, formatted)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if strict is not None:
            kwargs["strict"] = strict
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable whose output matches ``schema`` (Pydantic model, TypedDict, JSON schema or
        OpenAI tool), enforced by vLLM structured outputs.

        ``method``: ``"function_calling"`` forces a call of a tool made from ``schema``;
        ``"json_schema"`` constrains the reply to the schema; ``"json_mode"`` too when a
        ``schema`` is given, otherwise to some JSON object. A Pydantic ``schema`` gives Pydantic
        objects, anything else dicts. ``include_raw=True`` returns ``{"raw", "parsed",
        "parsing_error"}`` instead of raising on a parsing error.
        """
        if kwargs:
            raise ValueError(f"Received unsupported arguments {kwargs}")
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        if schema is None and method != "json_mode":
            raise ValueError(f"method={method!r} needs a schema")
        trace = (
            {"ls_structured_output_format": {"kwargs": {"method": method}, "schema": schema}}
            if schema is not None
            else {}
        )
        llm: Runnable[LanguageModelInput, Any]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            name = format_tools([schema])[0]["function"]["name"]
            llm = self.bind_tools(
                [schema], tool_choice=name, parallel_tool_calls=False, strict=strict, **trace
            )
            parser = RunnableLambda(_require_tool_call) | (
                PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
                if is_pydantic
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
        elif method in ("json_schema", "json_mode"):
            # json_mode with a known schema is enforced like json_schema: a valid reply is
            # guaranteed instead of merely some JSON object.
            response_format = (
                json_schema_format(schema, strict=strict)
                if schema is not None
                else {"type": "json_object"}
            )
            llm = self.bind(response_format=response_format, **trace)
            parser = (
                PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
                if is_pydantic
                else JsonOutputParser()
            )
        else:
            raise ValueError(
                f"method={method!r} is not supported; use 'function_calling', 'json_schema' or "
                "'json_mode'"
            )
        if not include_raw:
            return llm | parser
        parse_raw: Callable[[Any], Any] = itemgetter("raw")
        parsed = RunnablePassthrough.assign(
            parsed=parse_raw | parser, parsing_error=lambda _: None
        ).with_fallbacks(
            [RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error"
        )
        return RunnableMap(raw=llm) | parsed


def _require_tool_call(message: AIMessage) -> AIMessage:
    """``message`` if it holds a valid tool call; otherwise the reason it does not, raised."""
    if message.tool_calls:
        return message
    if message.response_metadata.get("finish_reason") == "length":
        why = "it was cut off by max_tokens (finish_reason 'length'); allow more tokens"
    elif message.invalid_tool_calls:
        why = f"its call is invalid: {message.invalid_tool_calls[0].get('error')}"
    else:
        why = "it holds no tool call"
    raise OutputParserException(
        f"The reply has no structured output: {why}", llm_output=message.text
    )


def _check_options(options: Mapping[str, Any], owner: str) -> None:
    check_keywords(options, _CALL_OPTIONS | _TRACING_OPTIONS, owner=owner, where="call")
