"""LlamaIndex token counting with the model's own tokenizer and chat template, as LangChain's
``get_num_tokens_from_messages``: ``Vllm.count_tokens`` counts exactly the prompt a turn sends
(tools and reasoning controls included), and ``Vllm.tokenizer`` is the ``tokenizer_fn`` that
LlamaIndex's own memory and token counter take (their default is GPT's tiktoken).
"""

from __future__ import annotations

import llama_index.core
from family_tokenizers import tokenizer_with_markers
from llama_index.core import Settings
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.llms import ChatMessage
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.tools import FunctionTool
from template_corpus import corpus_entries

from llama_index_vllm import Vllm
from vllm_native.testing import ScriptedEngine

HI = [ChatMessage(role="user", content="What is the weather in Paris?")]


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return "sunny"


def model_engine(n: int = 1, template: str | None = None) -> ScriptedEngine:
    """The prepared default model's tokenizer and (unless given) its own chat template."""
    return ScriptedEngine(
        ["Sunny."] * n, tokenizer=tokenizer_with_markers(), chat_template=template
    )


def test_count_is_the_prompt_a_turn_sends() -> None:
    llm = Vllm(engine=model_engine(2))
    tools = [FunctionTool.from_defaults(get_weather)]
    plain = llm.count_tokens(HI)
    assert plain == llm.chat(HI).raw["usage"]["prompt_tokens"]
    with_tools = llm.count_tokens(HI, tools=tools)
    sent = llm.chat_with_tools(tools, chat_history=HI).raw["usage"]["prompt_tokens"]
    assert with_tools == sent > plain


def test_count_follows_the_reasoning_controls() -> None:
    qwen3 = next(e.text for e in corpus_entries() if e.file == "llama.cpp/Qwen-Qwen3-0.6B.jinja")
    on = Vllm(engine=model_engine(template=qwen3)).count_tokens(HI)
    off = Vllm(engine=model_engine(template=qwen3), thinking=False).count_tokens(HI)
    assert off > on  # thinking off renders the empty <think></think>


def test_memory_trims_with_the_model_tokenizer() -> None:
    llm = Vllm(engine=model_engine())
    tokenizer = tokenizer_with_markers()
    history = [
        ChatMessage(role="user", content=f"Message number {i} about Paris.") for i in range(6)
    ]
    last_two = " ".join(str(m.content) for m in history[-2:])
    limit = len(tokenizer.encode(last_two, add_special_tokens=False))
    memory = ChatMemoryBuffer.from_defaults(
        chat_history=history, token_limit=limit, tokenizer_fn=llm.tokenizer
    )
    assert memory.get() == history[-2:]


def test_token_counting_handler_and_settings() -> None:
    llm = Vllm(engine=model_engine())
    counter = TokenCountingHandler(tokenizer=llm.tokenizer)
    llm.callback_manager = CallbackManager([counter])
    response = llm.chat(HI)
    assert counter.prompt_llm_token_count == response.raw["usage"]["prompt_tokens"]
    assert counter.completion_llm_token_count == response.raw["usage"]["completion_tokens"]
    previous = llama_index.core.global_tokenizer
    try:
        Settings.tokenizer = llm.tokenizer
        assert Settings.tokenizer("Paris") == tokenizer_with_markers().encode(
            "Paris", add_special_tokens=False
        )
    finally:
        llama_index.core.global_tokenizer = previous
