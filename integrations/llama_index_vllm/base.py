"""``Vllm``: a LlamaIndex ``FunctionCallingLLM`` that runs vLLM in-process.

The class only translates: LlamaIndex messages and tools go to ``vllm_native.chat.ChatClient``,
whose events come back as LlamaIndex responses. Prompt rendering, tool-call parsing, streaming
invariants, ``tool_choice`` enforcement and engine sharing all live in the core, so this class and
LangChain's ``ChatVLLM`` behave the same and, with equal configuration, share one engine.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import PydanticProgramMode

from vllm_native.chat import ChatClient
from vllm_native.reasoning_controls import call_reasoning_controls
from vllm_native.types import (
    ENGINE_KWARGS_ALIAS,
    REQUEST_OPTION_NAMES,
    SAMPLING_KWARGS,
    SAMPLING_OPTION_NAMES,
    ChatRequest,
    HistoryReasoning,
    SamplingOptions,
    ToolFinishReason,
    check_keywords,
    check_reasoning_controls,
    check_tool_finish_reason,
    constructor_keywords,
    copy_keywords,
    sampling_fields_model,
)

from ._stream_events import stream_chat_callback, stream_completion_callback
from .messages import to_openai_messages, to_openai_tools, tool_selections
from .responses import ChatStream, CompletionStream, chat_response, completion_response

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool
    from llama_index.core.types import BasePydanticProgram

R = TypeVar("R")

_REQUEST_KEYS = frozenset(REQUEST_OPTION_NAMES)
"""Per-call keywords that are request options; the others are sampling options."""
_SAMPLING_KEYS = frozenset({*SAMPLING_OPTION_NAMES, "stop"})
"""Sampling keywords with a ``SamplingOptions`` field; the others are extra SamplingParams."""
_RENAMED = {"max_tokens": "max_new_tokens", "reasoning": "thinking"}
"""The core's option names that LlamaIndex spells its own way."""

if TYPE_CHECKING:
    _SamplingFields = BaseModel
else:
    # LlamaIndex's name for max_tokens is max_new_tokens
    _SamplingFields = sampling_fields_model(exclude=["max_tokens"])
    """One pydantic field per core sampling option (name, type, default, description)."""


class Vllm(FunctionCallingLLM, _SamplingFields):
    """vLLM, in-process, as a LlamaIndex function-calling LLM.

    Tool calls are parsed in the model's native format (Hermes, Llama 3 JSON, Mistral, pythonic,
    Qwen3-Coder, ...) while streaming; ``tool_required=True`` and named ``tool_choice`` are
    enforced by vLLM's structured outputs, and so is ``structured_predict``. Construction is
    instant: the engine starts on first use and is shared by every object (LlamaIndex or LangChain)
    with the same ``model`` and ``engine_args``.

    Examples:
        ``pip install vllm-native[cpu]`` (or ``[gpu]``)

        ```python
        from llama_index_vllm import Vllm

        llm = Vllm(model="Qwen/Qwen3-0.6B", max_new_tokens=256, engine_args={"max_model_len": 4096})
        print(llm.complete("The capital of France is"))
        ```

        Without a model, a scripted engine replays given answers (for tests):

        >>> from llama_index.core.llms import ChatMessage
        >>> from vllm_native.testing import ScriptedEngine
        >>> llm = Vllm(engine=ScriptedEngine(["Hello there!"]))
        >>> llm.chat([ChatMessage(role="user", content="Hi")]).message.content
        'Hello there!'
    """

    if TYPE_CHECKING:  # declared by the core's sampling fields model
        sampling_kwargs: dict[str, Any]

    model: str | None = Field(
        default=None,
        description="Model folder or Hugging Face hub id; None = the prepared default model.",
    )
    engine: Any = Field(
        default=None,
        exclude=True,
        description="An explicit engine (e.g. vllm_native.testing.ScriptedEngine) instead of "
        "model/engine_args.",
    )
    engine_args: dict[str, Any] = Field(
        default_factory=dict,
        description="vLLM engine arguments, passed through untouched (tensor_parallel_size, "
        "max_model_len, dtype, quantization, ...). vllm_kwargs={...} (llama-index-llms-vllm's "
        "name for them) is accepted too and merged in; a key given in both with different "
        "values, or one that is not an engine argument, is a ValueError saying where it goes.",
    )
    tool_parser: str | None = Field(
        default=None,
        description="vLLM tool-call parser name (hermes, llama3_json, mistral, pythonic, ...); "
        "None = detected from the chat template.",
    )
    reasoning_parser: str | None = Field(
        default=None,
        description="vLLM reasoning parser name (qwen3, deepseek_r1, ...); None = detected.",
    )
    max_new_tokens: int = Field(
        default=512, gt=0, description="Maximum number of tokens to generate per response."
    )
    stop: list[str] | None = Field(default=None, description="Strings that end the generation.")
    chat_template_kwargs: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra chat-template variables for every request, e.g. "
        '{"enable_thinking": False}; a call\'s own chat_template_kwargs add to them.',
    )
    tool_finish_reason: ToolFinishReason = Field(
        default="function_call",
        description="Finish reason reported when a response calls tools.",
    )
    history_reasoning: HistoryReasoning | None = Field(
        default=None,
        description="Earlier turns' reasoning (ThinkingBlocks) sent back to the model ('resend') "
        "or not ('drop'); None = the model family's default (see vllm_native.history).",
    )
    thinking: bool | None = Field(
        default=None,
        description="Thinking on (True) or off (False) for models that can switch it (Qwen3, "
        "GLM, DeepSeek V3.1, Granite, Seed-OSS, ...); None = the model's default. A call "
        "that sets thinking= or reasoning_effort= replaces both defaults; a model that cannot "
        "do it raises ValueError.",
    )
    reasoning_effort: str | None = Field(
        default=None,
        description="Reasoning level ('low', 'medium', 'high' for gpt-oss; 'none' is thinking "
        "off); None = the model's default. A call that sets thinking= or reasoning_effort= "
        "replaces both defaults.",
    )
    lora: str | None = Field(
        default=None,
        description="LoRA adapter for every request (a folder, an adapter shipped with "
        "vllm-native or a hub id); a call's lora= overrides it. Objects with different "
        "adapters on one base share one engine.",
    )
    fetch_remote_images: bool = Field(
        default=False,
        description="Let vLLM download http(s) image URLs (off: only data URLs and local files).",
    )

    _client: ChatClient = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _check_keywords(cls, values: Any) -> Any:
        """Unknown keywords fail with where they belong; ``vllm_kwargs`` join ``engine_args``."""
        if not isinstance(values, dict):
            return values
        return constructor_keywords(values, cls.keywords(), owner=cls.__name__, renamed=_RENAMED)

    @classmethod
    def keywords(cls) -> frozenset[str]:
        """Every keyword the constructor takes (field names and aliases)."""
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        return frozenset({*cls.model_fields, *aliases})

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Any:
        """A copy with ``update`` applied, built and checked as the constructor does: a new
        ``model``/``engine``/``engine_args`` gets its own engine client, a bad value fails
        here; the engine is shared, never copied (see ``vllm_native.options.copy_keywords``).

        >>> from vllm_native.testing import ScriptedEngine
        >>> other = ScriptedEngine(["from the new engine"])
        >>> llm = Vllm(engine=ScriptedEngine([])).model_copy(update={"engine": other})
        >>> llm.complete("Hi").text
        'from the new engine'
        """
        return type(self)(**copy_keywords(self, update, deep=deep))

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """``copy.deepcopy``: :meth:`model_copy` with ``deep=True`` (the engine is shared)."""
        return self.model_copy(deep=True)

    @field_validator("tool_finish_reason", mode="before")
    @classmethod
    def _check_tool_finish_reason(cls, value: Any) -> ToolFinishReason:
        return check_tool_finish_reason(value)

    def model_post_init(self, context: Any, /) -> None:
        self._sampling({})  # bad sampling values fail here, with the core's message
        check_reasoning_controls(self.thinking, self.reasoning_effort)
        self._client = ChatClient(
            self.model,
            engine=self.engine,
            engine_args=self.engine_args or None,
            tool_parser=self.tool_parser,
            reasoning_parser=self.reasoning_parser,
            lora=self.lora,
        )

    @classmethod
    def class_name(cls) -> str:
        return "Vllm"

    @property
    def client(self) -> ChatClient:
        """The core client this LLM sends its requests to."""
        return self._client

    @property
    def metadata(self) -> LLMMetadata:
        """Real limits: ``context_window`` is the engine's ``max_model_len`` (asking for it starts
        the engine), ``num_output`` is ``max_new_tokens``."""
        return LLMMetadata(
            context_window=self._client.context_window,
            num_output=self.max_new_tokens,
            is_chat_model=True,
            is_function_calling_model=True,
            model_name=self._client.model_name,
        )

    @property
    def tokenizer(self) -> Callable[[str], list[int]]:
        """The model's own tokenizer as a ``str -> list`` function, for what LlamaIndex counts
        with ``tokenizer_fn`` (its default is GPT's tiktoken): ``Settings.tokenizer =
        llm.tokenizer``, ``ChatMemoryBuffer.from_defaults(llm=llm, tokenizer_fn=llm.tokenizer)``,
        ``Memory.from_defaults(tokenizer_fn=llm.tokenizer)``, ``TokenCountingHandler(tokenizer=
        llm.tokenizer)``. Calling it starts the engine; the hub is never asked.

        >>> from vllm_native.testing import ScriptedEngine
        >>> len(Vllm(engine=ScriptedEngine([])).tokenizer("three words here"))
        3
        """
        return self._client.encode

    def count_tokens(
        self, messages: Sequence[ChatMessage], tools: Sequence[BaseTool] | None = None
    ) -> int:
        """Tokens of the prompt ``messages`` (and ``tools``) render to: the model's own chat
        template and tokenizer, with this object's ``chat_template_kwargs`` and reasoning
        controls, exactly what a turn sends (as LangChain's ``get_num_tokens_from_messages``).
        Repeated counts are cached.

        >>> from vllm_native.testing import ScriptedEngine
        >>> llm = Vllm(engine=ScriptedEngine([]))
        >>> llm.count_tokens([ChatMessage(role="user", content="Hi there")])
        8
        """
        request = ChatRequest(
            messages=to_openai_messages(messages),
            tools=to_openai_tools(tools or []) or None,
            chat_template_kwargs=dict(self.chat_template_kwargs),
            thinking=self.thinking,
            reasoning_effort=self.reasoning_effort,
        )
        return self._client.count_tokens(request)

    def close(self) -> None:
        """Release the engine (see ``ChatClient.close``)."""
        self._client.close()

    # -- requests -------------------------------------------------------------------------------
    def _sampling(self, kwargs: dict[str, Any]) -> SamplingOptions:
        """Sampling options from the fields, then per-call ``kwargs``: named options, a call's
        ``sampling_kwargs`` or other ``vllm.SamplingParams`` fields given directly."""
        if ENGINE_KWARGS_ALIAS in kwargs:
            check_keywords(
                kwargs, kwargs.keys() - {ENGINE_KWARGS_ALIAS}, owner="Vllm", where="call"
            )
        options: dict[str, Any] = {name: getattr(self, name, None) for name in _SAMPLING_KEYS}
        options["max_tokens"] = self.max_new_tokens
        extra: dict[str, Any] = dict(self.sampling_kwargs)
        call = dict(kwargs)
        extra.update(call.pop(SAMPLING_KWARGS, None) or {})
        for key, value in call.items():
            name = "max_tokens" if key == "max_new_tokens" else key
            if name in _SAMPLING_KEYS:
                options[name] = value
            else:
                extra[name] = value
        stop = options["stop"]
        options["stop"] = (stop,) if isinstance(stop, str) else tuple(stop) if stop else None
        return SamplingOptions(**options, extra=extra)

    def _request(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> ChatRequest:
        fields = {key: kwargs.pop(key) for key in _REQUEST_KEYS & kwargs.keys()}
        fields.setdefault("tool_finish_reason", self.tool_finish_reason)
        fields.setdefault("history_reasoning", self.history_reasoning)
        fields.setdefault("fetch_remote_images", self.fetch_remote_images)
        fields["thinking"], fields["reasoning_effort"] = call_reasoning_controls(
            (self.thinking, self.reasoning_effort),
            (fields.get("thinking"), fields.get("reasoning_effort")),
        )
        fields["chat_template_kwargs"] = {
            **self.chat_template_kwargs,
            **(fields.get("chat_template_kwargs") or {}),
        }
        return ChatRequest(
            messages=to_openai_messages(messages), sampling=self._sampling(kwargs), **fields
        )

    def _prompt(self, prompt: str, formatted: bool) -> str:
        if formatted or self.completion_to_prompt is None:
            return prompt
        return self.completion_to_prompt(prompt)

    # -- chat -----------------------------------------------------------------------------------
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Generate one assistant turn. ``kwargs`` override sampling options (``temperature``,
        ``max_new_tokens``, ``stop``, any other ``vllm.SamplingParams`` field) or set request
        options (``tools``, ``tool_choice``, ``response_format``, ``chat_template_kwargs``,
        ``thinking``, ``reasoning_effort``)."""
        return chat_response(self._client.chat(self._request(messages, kwargs)))

    @stream_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream one assistant turn; leaving the loop early aborts the request."""
        return _feed_all(self._client.stream(self._request(messages, kwargs)), ChatStream().feed)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async ``chat``."""
        return chat_response(await self._client.achat(self._request(messages, kwargs)))

    @stream_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Async ``stream_chat``; cancelling or leaving the loop aborts the request."""
        events = self._client.astream(self._request(messages, kwargs))
        return _afeed_all(events, ChatStream().feed)

    # -- raw completion (no chat template) ------------------------------------------------------
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Continue ``prompt`` as raw text, without the chat template."""
        lora = kwargs.pop("lora", None)
        prompt, sampling = self._prompt(prompt, formatted), self._sampling(kwargs)
        return completion_response(self._client.complete(prompt, sampling, lora=lora))

    @stream_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the raw continuation of ``prompt``."""
        lora = kwargs.pop("lora", None)
        events = self._client.complete_stream(
            self._prompt(prompt, formatted), self._sampling(kwargs), lora=lora
        )
        return _feed_all(events, CompletionStream().feed)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Async ``complete``."""
        lora = kwargs.pop("lora", None)
        prompt, sampling = self._prompt(prompt, formatted), self._sampling(kwargs)
        return completion_response(await self._client.acomplete(prompt, sampling, lora=lora))

    @stream_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Async ``stream_complete``."""
        lora = kwargs.pop("lora", None)
        events = self._client.acomplete_stream(
            self._prompt(prompt, formatted), self._sampling(kwargs), lora=lora
        )
        return _afeed_all(events, CompletionStream().feed)

    # -- tools ----------------------------------------------------------------------------------
    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Arguments for ``chat`` with ``tools`` bound. An explicit ``tool_choice`` (a tool name,
        ``"auto"``, ``"none"``, ``"required"`` or the OpenAI dict) wins; otherwise
        ``tool_required`` selects ``"required"`` (which the core turns into the single tool's
        name when there is one tool, so vLLM enforces exactly that tool's schema), else
        ``"auto"``."""
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
        elif user_msg is not None:
            messages.append(user_msg)
        specs = to_openai_tools(tools)
        if tool_choice is None:
            tool_choice = "required" if tool_required else "auto"
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": tool_choice,
            "parallel_tool_calls": allow_parallel_tool_calls,
            **kwargs,
        }

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """The tool calls of ``response``; works on partial streamed responses too (arguments
        parsed as far as they have arrived)."""
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError(
                "Expected at least one tool call, but the response has none; it answered: "
                f"{response.message.content!r}. Pass tool_required=True to force a call."
            )
        return selections

    # -- structured outputs ---------------------------------------------------------------------
    def _structured_program(self, output_cls: type, prompt: Any) -> BasePydanticProgram:
        """The program behind ``stream_structured_predict``: a function-calling program whose
        tool is forced by name, so vLLM's structured outputs enforce ``output_cls``'s schema."""
        from llama_index.core.program.function_program import (
            FunctionCallingProgram,
            get_function_tool,
        )
        from llama_index.core.program.utils import get_program_for_llm

        if self.pydantic_program_mode not in (
            PydanticProgramMode.DEFAULT,
            PydanticProgramMode.FUNCTION,
        ):
            return get_program_for_llm(
                output_cls, prompt, self, pydantic_program_mode=self.pydantic_program_mode
            )
        name = to_openai_tools([get_function_tool(output_cls)])[0]["function"]["name"]
        return FunctionCallingProgram.from_defaults(
            output_cls=output_cls, prompt=prompt, llm=self, tool_choice=name
        )

    def _structured_stream_call(
        self,
        output_cls: type,
        prompt: Any,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        program = self._structured_program(output_cls, prompt)
        return program.stream_call(llm_kwargs=llm_kwargs, **prompt_args)

    async def _structured_astream_call(
        self,
        output_cls: type,
        prompt: Any,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Any:
        program = self._structured_program(output_cls, prompt)
        return await program.astream_call(llm_kwargs=llm_kwargs, **prompt_args)


def _feed_all(events: Iterator[Any], feed: Callable[[Any], R]) -> Generator[R, None, None]:
    """``feed`` applied to each event; closing the result closes ``events`` (which aborts the
    request in the engine)."""
    source = cast(Generator[Any, None, None], events)  # the core's streams are generators
    try:
        for event in source:
            yield feed(event)
    finally:
        source.close()


async def _afeed_all(
    events: AsyncIterator[Any], feed: Callable[[Any], R]
) -> AsyncGenerator[R, None]:
    """Async ``_feed_all``."""
    source = cast(AsyncGenerator[Any, None], events)
    try:
        async for event in source:
            yield feed(event)
    finally:
        await source.aclose()
