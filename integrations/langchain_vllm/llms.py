"""``VLLM``: a LangChain completion model (``BaseLLM``) on the same in-process vLLM engine.

The prompt is sent as it is, without a chat template. ``generate`` on several prompts is one
engine call; streaming reports each token to the callbacks, and the last chunk carries the finish
reason and token counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, closing
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseLLM
from langchain_core.language_models.llms import LangSmithParams
from langchain_core.outputs import Generation, GenerationChunk, LLMResult
from pydantic import PrivateAttr, model_validator
from typing_extensions import Self

from vllm_native.chat import ChatClient
from vllm_native.types import (
    ChatMessage,
    Finish,
    LogprobsDelta,
    TextDelta,
    check_keywords,
    logprobs_to_openai,
)

from ._settings import CALL_SAMPLING_OPTIONS, VllmSettings

_CALL_OPTIONS = CALL_SAMPLING_OPTIONS | {"lora"}
"""Per-call keywords: the sampling options and an adapter (``lora=``)."""


class VLLM(VllmSettings, BaseLLM):
    """vLLM completion model, run in-process (raw prompts, no chat template).

    Setup:
        Install ``vllm-native``; ``model=None`` runs the prepared default model. The engine
        starts on first use and is shared with every ``ChatVLLM``/``VLLM`` of the same
        ``model`` and ``engine_args``.

    Key init args:
        model, engine_args, engine
            As for ``ChatVLLM``.
        temperature, top_p, top_k, max_tokens, stop, seed, presence_penalty, frequency_penalty,
        sampling_kwargs
            Sampling options; each can also be given per call. ``sampling_kwargs`` holds any
            other ``vllm.SamplingParams`` field. ``vllm_kwargs``, as in langchain-community's
            ``VLLM``, are engine arguments, merged into ``engine_args``.

    Instantiate and invoke (a scripted engine stands in for the model):
        >>> from langchain_vllm import VLLM
        >>> from vllm_native.testing import ScriptedEngine
        >>> llm = VLLM(engine=ScriptedEngine(["Paris.", "Rome.", "Madrid."]), max_tokens=16)
        >>> llm.invoke("The capital of France is")
        'Paris.'

    Batch (one engine call for all prompts):
        >>> llm.batch(["The capital of Italy is", "The capital of Spain is"])
        ['Rome.', 'Madrid.']

    Stream:
        >>> llm = VLLM(engine=ScriptedEngine(["one two three"]))
        >>> list(llm.stream("Count:"))
        ['one', ' two', ' three', '']
    """

    _client: ChatClient = PrivateAttr()

    @model_validator(mode="after")
    def _create_client(self) -> Self:
        self._client = ChatClient(
            self.model, engine=self.engine, engine_args=self.engine_args or None, lora=self.lora
        )
        return self

    @property
    def _llm_type(self) -> str:
        return "vllm-native-completion"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return self.settings_params()

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return self.langsmith_params(self._client.model_name, "llm", stop, kwargs)

    def close(self) -> None:
        """Shut the engine down (see ``ChatVLLM.close``)."""
        self._client.close()

    def _sampling(self, stop: list[str] | None, kwargs: dict[str, Any]) -> Any:
        check_keywords(kwargs, _CALL_OPTIONS, owner="VLLM", where="call")
        return self.sampling_options(stop, kwargs)

    def _generate(
        self,
        prompts: list[str],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> LLMResult:
        choices = self._client.complete_choices(
            prompts, self._sampling(stop, kwargs), lora=kwargs.get("lora")
        )
        results = [m for group in choices for m in group]
        return LLMResult(
            generations=[
                [Generation(text=m.content, generation_info=_generation_info(m)) for m in group]
                for group in choices
            ],
            llm_output={
                "model_name": self._client.model_name,
                "token_usage": {
                    "prompt_tokens": sum(m.usage.prompt_tokens for m in results),
                    "completion_tokens": sum(m.usage.completion_tokens for m in results),
                    "total_tokens": sum(m.usage.total_tokens for m in results),
                },
            },
        )

    def _stream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[GenerationChunk]:
        events = self._client.complete_stream(
            prompt, self._sampling(stop, kwargs), lora=kwargs.get("lora")
        )
        with closing(events):  # type: ignore[type-var]
            for event in events:
                chunk = _chunk(event)
                if run_manager:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk

    async def _astream(
        self,
        prompt: str,
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[GenerationChunk]:
        events = self._client.acomplete_stream(
            prompt, self._sampling(stop, kwargs), lora=kwargs.get("lora")
        )
        async with aclosing(events):  # type: ignore[type-var]
            async for event in events:
                chunk = _chunk(event)
                if run_manager:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk


def _chunk(event: TextDelta | LogprobsDelta | Finish) -> GenerationChunk:
    if isinstance(event, TextDelta):
        return GenerationChunk(text=event.text)
    if isinstance(event, LogprobsDelta):  # merged chunks concatenate the "content" lists
        return GenerationChunk(
            text="", generation_info={"logprobs": logprobs_to_openai(event.tokens)}
        )
    return GenerationChunk(text="", generation_info=_generation_info(event.message, last=True))


def _generation_info(message: ChatMessage, *, last: bool = False) -> dict[str, Any]:
    """Finish reason and token counts; ``logprobs`` (OpenAI's chat shape) unless this is the
    last chunk of a stream, whose earlier chunks carried them."""
    info: dict[str, Any] = {
        "finish_reason": message.finish_reason,
        "model_name": message.model_name,
        "prompt_tokens": message.usage.prompt_tokens,
        "completion_tokens": message.usage.completion_tokens,
    }
    if message.logprobs is not None and not last:
        info["logprobs"] = logprobs_to_openai(message.logprobs)
    return info
