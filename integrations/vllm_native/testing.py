"""A scripted engine that replays given responses as a token stream: for our tests and yours.

It is accepted anywhere a real engine is (``ChatClient(engine=...)``, ``ChatVLLM(engine=...)``,
``VLLM(engine=...)``, LlamaIndex ``Vllm(engine=...)``), reports token usage, and records every
request it received (with its sampling params and LoRA adapter), so agents can be tested without
a GPU or a model. ``multimodal=True`` makes it accept images as a vision model does; when the
sampling params ask for logprobs, each piece is reported as one token with made-up log
probabilities (``-0.25``, ``-0.5``, ... and alternatives named ``"<alt1>"``, ...), so log-probability
plumbing can be tested too.

Example:
    >>> from vllm_native.chat import ChatClient
    >>> from vllm_native.types import ChatRequest
    >>> engine = ScriptedEngine(["Paris is the capital.", ("cut sho", "length")], chunks=4)
    >>> client = ChatClient(engine=engine)
    >>> client.chat(ChatRequest([{"role": "user", "content": "Capital?"}])).content
    'Paris is the capital.'
    >>> client.chat(ChatRequest([{"role": "user", "content": "Again"}])).finish_reason
    'length'
    >>> engine.requests[0].messages[-1]["content"]
    'Capital?'

Forced tool calls (``tool_choice="required"``/``"any"`` or a tool's name) are enforced with vLLM's
structured outputs, which make the model write plain JSON instead of its native call syntax, so
script that JSON: for a named tool its arguments object alone, for ``"required"`` an array of
``{"name": ..., "arguments": {...}}`` calls. The recorded ``sampling_params.structured_outputs``
holds the constraint a real engine would follow.

    >>> add = {"type": "function", "function": {"name": "add", "parameters": {
    ...     "type": "object", "properties": {"a": {"type": "integer"}}}}}
    >>> engine = ScriptedEngine(['{"a": 1}', '[{"name": "add", "arguments": {"a": 2}}]'])
    >>> client = ChatClient(engine=engine, tool_parser="hermes")
    >>> ask = [{"role": "user", "content": "Add"}]
    >>> named = client.chat(ChatRequest(ask, tools=[add], tool_choice="add"))
    >>> [(c.name, c.arguments) for c in named.tool_calls], named.finish_reason
    ([('add', {'a': 1})], 'function_call')
    >>> required = client.chat(ChatRequest(ask, tools=[add], tool_choice="required"))
    >>> [(c.name, c.arguments) for c in required.tool_calls]
    [('add', {'a': 2})]
    >>> engine.requests[1].sampling_params.structured_outputs.json["type"]
    'array'
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import EngineDelta, RenderedPrompt
from .formats.tokenizer_mode import render_natively, tokenizer_mode
from .types import Message, TokenLogprob, ToolSpec, TopLogprob

Response = str | tuple[str, str]


@dataclass
class ScriptedRequest:
    """One request the scripted engine received."""

    prompt: str
    messages: list[Message]
    tools: list[ToolSpec] | None
    sampling_params: Any
    lora: str | None = None


class ScriptedEngine:
    """Replays ``responses`` in order, one per request, as streamed deltas.

    A response is a string (finish reason ``stop``) or ``(text, finish_reason)``, e.g.
    ``("...", "length")``. Splitting: ``chunks=int`` fixed-size character chunks,
    ``chunks=[sizes]`` explicit sizes (cycled), ``seed=`` random sizes of 1 to 8 characters,
    ``tokenizer=`` (a Hugging Face tokenizer) real token boundaries; otherwise one chunk per word.
    Usage counts tokens with ``tokenizer`` when given, else whitespace-separated words.
    ``prefix_caching=True`` (with a ``tokenizer``) reports cached prompt tokens as vLLM's prefix
    cache does: the longest prefix shared with an earlier prompt, in whole blocks of
    ``block_size`` tokens, never the prompt's last token.

    >>> from transformers import AutoTokenizer
    >>> from vllm_native.models import model_path
    >>> engine = ScriptedEngine(["a", "b"], tokenizer=AutoTokenizer.from_pretrained(model_path()),
    ...                         prefix_caching=True)
    >>> prompt = engine.render_text("word " * 40)
    >>> [list(engine.stream(prompt, None))[-1].cached_tokens for _ in range(2)]
    [0, 32]
    """

    def __init__(
        self,
        responses: Sequence[Response],
        *,
        chunks: int | Sequence[int] | None = None,
        seed: int | None = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        max_model_len: int = 8192,
        model_name: str = "scripted",
        multimodal: bool = False,
        prefix_caching: bool = False,
        block_size: int = 16,
    ) -> None:
        if isinstance(chunks, int) and chunks <= 0:
            raise ValueError("chunks must be a positive size")
        self._responses = list(responses)
        self._chunks = chunks
        self._random = random.Random(seed) if seed is not None else None
        self._tokenizer = tokenizer
        self._chat_template = chat_template
        self._max_model_len = max_model_len
        self._model_name = model_name
        self._multimodal = multimodal
        self._prefix_caching = prefix_caching
        self._block_size = block_size
        self._cached_prompts: list[list[int]] = []
        self._lock = threading.Lock()
        self.requests: list[ScriptedRequest] = []
        self.closed = False

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def max_model_len(self) -> int:
        return self._max_model_len

    @property
    def started(self) -> bool:
        """Always ``True``: there is nothing to start."""
        return True

    @property
    def is_multimodal(self) -> bool:
        """Whether image content is accepted (``multimodal=`` at construction)."""
        return self._multimodal

    @property
    def tokenizer(self) -> Any:
        """The Hugging Face tokenizer given at construction (``None`` without one)."""
        return self._tokenizer

    @property
    def remaining(self) -> int:
        """Responses not yet used."""
        return len(self._responses)

    def chat_template(self) -> str | None:
        if self._chat_template is not None:
            return self._chat_template
        return getattr(self._tokenizer, "chat_template", None)

    def special_tokens(self) -> frozenset[str]:
        return frozenset(getattr(self._tokenizer, "all_special_tokens", []) or [])

    def render(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> RenderedPrompt:
        """With a tokenizer, the chat template (``chat_template`` if given, else the tokenizer's);
        with one of vLLM's own tokenizers (mistral_common, DeepSeek V3.2...), vLLM's encoder for
        it; otherwise a plain JSON rendering of messages and tools (enough to count tokens and
        inspect requests)."""
        if tokenizer_mode(self._tokenizer) != "hf":
            ids = render_natively(self._tokenizer, messages, tools, chat_template_kwargs)
            text = self._tokenizer.decode(ids)
            return RenderedPrompt(token_ids=ids, text=text, messages=messages, tools=tools)
        if self._tokenizer is not None and self.chat_template():
            text = self._tokenizer.apply_chat_template(
                messages,
                tools=tools,
                add_generation_prompt=True,
                tokenize=False,
                chat_template=self.chat_template(),
                **dict(chat_template_kwargs or {}),
            )
        else:
            text = json.dumps({"messages": messages, "tools": tools}, ensure_ascii=False)
        token_ids = self._token_ids(text)
        return RenderedPrompt(token_ids=token_ids, text=text, messages=messages, tools=tools)

    def render_text(self, prompt: str) -> RenderedPrompt:
        return RenderedPrompt(token_ids=self._token_ids(prompt), text=prompt)

    def _token_ids(self, text: str) -> list[int] | None:
        """The tokens of a rendered prompt, as a real engine gives them (with a tokenizer)."""
        if self._tokenizer is None:
            return None
        return list(self._tokenizer.encode(text, add_special_tokens=False))

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` with the tokenizer; without one, a made-up id per word."""
        if self._tokenizer is not None:
            return list(self._tokenizer.encode(text, add_special_tokens=False))
        return list(range(len(text.split())))

    def count_tokens(self, text: str) -> int:
        return len(self.encode(text))

    # -- generation ---------------------------------------------------------------------------
    def _cached_tokens(self, prompt: RenderedPrompt) -> int | None:
        """Prompt tokens an earlier prompt's cached blocks cover (``None`` without caching)."""
        if not self._prefix_caching or prompt.token_ids is None:
            return None
        ids = prompt.token_ids
        best = 0
        for earlier in self._cached_prompts:
            common = min(len(ids), len(earlier))
            shared = next((i for i in range(common) if ids[i] != earlier[i]), common)
            best = max(best, shared)
        self._cached_prompts.append(list(ids))
        best = min(best, len(ids) - 1)  # vLLM computes the last prompt token again
        return best // self._block_size * self._block_size

    def _take(
        self, prompt: RenderedPrompt, params: Any, lora: str | None
    ) -> tuple[list[str], str, int, int | None, int | None]:
        with self._lock:
            if not self._responses:
                raise RuntimeError(
                    f"ScriptedEngine has no response left for request {len(self.requests) + 1}"
                )
            response = self._responses.pop(0)
            text, finish = (response, "stop") if isinstance(response, str) else response
            self.requests.append(
                ScriptedRequest(prompt.text or "", prompt.messages, prompt.tools, params, lora)
            )
            pieces = self._split(text)
            cached = self._cached_tokens(prompt)
        top = getattr(params, "logprobs", None)
        return pieces, finish, self.count_tokens(prompt.text or ""), top, cached

    def _split(self, text: str) -> list[str]:
        if not text:
            return [""]
        if self._tokenizer is not None and self._chunks is None and self._random is None:
            ids = self._tokenizer.encode(text, add_special_tokens=False)
            pieces, prev = [], ""
            for i in range(1, len(ids) + 1):
                now = self._tokenizer.decode(ids[:i])
                pieces.append(now[len(prev) :])
                prev = now
            return pieces
        if self._random is not None:
            sizes: Iterator[int] = iter(lambda: self._random.randint(1, 8), None)  # type: ignore[union-attr]
        elif isinstance(self._chunks, int):
            sizes = iter(lambda: self._chunks, None)  # type: ignore[arg-type, return-value]
        elif self._chunks is not None:
            sizes = _cycle(list(self._chunks))
        else:
            return re.findall(r"\s*\S+|\s+$", text)
        pieces, i = [], 0
        while i < len(text):
            n = next(sizes)
            pieces.append(text[i : i + n])
            i += n
        return pieces

    def _deltas(
        self,
        pieces: list[str],
        finish: str,
        prompt_tokens: int,
        top: int | None,
        cached: int | None,
    ) -> list[EngineDelta]:
        out, done = [], ""
        for k, piece in enumerate(pieces):
            done += piece
            last = k == len(pieces) - 1
            out.append(
                EngineDelta(
                    text=piece,
                    finish_reason=finish if last else None,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=self.count_tokens(done) if last else k + 1,
                    logprobs=None if top is None else (_made_up_logprob(k, piece, top),),
                    cached_tokens=cached,
                )
            )
        return out

    def stream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> Iterator[EngineDelta]:
        """Takes the next response now (so concurrent callers get responses in call order)."""
        return iter(self._deltas(*self._take(prompt, params, lora)))

    def astream(
        self, prompt: RenderedPrompt, params: Any, lora: str | None = None
    ) -> AsyncIterator[EngineDelta]:
        deltas = self._deltas(*self._take(prompt, params, lora))

        async def replay() -> AsyncIterator[EngineDelta]:
            for delta in deltas:
                await asyncio.sleep(0)
                yield delta

        return replay()

    def close(self) -> None:
        self.closed = True


def _made_up_logprob(k: int, piece: str, top: int) -> TokenLogprob:
    logprob = -0.25 * (1 + k % 4)
    alternatives = [(piece, logprob)] + [(f"<alt{j}>", logprob - j) for j in range(1, top)]
    return TokenLogprob(
        piece,
        logprob,
        tuple(piece.encode()),
        tuple(TopLogprob(t, lp, tuple(t.encode())) for t, lp in alternatives[:top]),
    )


def _cycle(sizes: list[int]) -> Iterator[int]:
    if not sizes or any(s <= 0 for s in sizes):
        raise ValueError("chunk sizes must be positive")
    while True:
        yield from sizes
