"""Any tool-call parser in vLLM's registry, used as one of our formats.

Formats we write ourselves cover the common models; for any other ``--tool-call-parser`` name
(``glm47``, ``kimi_k2``, ``granite``, ...) :class:`VllmParserFormat` drives vLLM's own streaming
parser and turns its ``DeltaMessage``s into our pieces, enforcing our invariants as far as that
parser allows:

- a call's name is given once, on its first piece; argument text received before the name is
  held until the name arrives;
- argument text is forwarded up to the end of its JSON value; anything a parser appends after
  it (some stream the text that follows a call into its arguments) is not arguments;
- pieces are sequential: a call ends (``CallEnd``) when the parser starts the next one, once its
  arguments JSON is finished; while it is not, the next calls wait (the parser may still send the
  rest; if it never does, the end-of-stream repair below settles them);
- the text given to vLLM is tokenized with the model's tokenizer, because parsers built on vLLM's
  parser engine recognise special-token markers by token id; a text suffix that may still become
  one of the tokenizer's special or added tokens is held back until it is decided, so a marker
  is never split across two calls of the parser.

At ``close()`` the whole text is parsed again with the parser's non-streaming
``extract_tool_calls``, and the streamed result is repaired towards it:

1. If that parse finds no call but calls were streamed, the streamed calls stand, waiting ones
   included (vLLM's non-streaming parsers give up on the whole message at the first error), and
   nothing is repaired.
2. Content: when the final content extends what was streamed, the missing suffix is emitted.
   Streamed text is never taken back.
3. The call still open gets its final arguments: nothing more when the streamed text equals them
   (as text or as parsed JSON), the missing suffix when the streamed text is a prefix of them,
   otherwise a ``BadCall(final arguments text, error, name=...)`` after its ``CallStart`` (the
   streamed fragments were wrong; the assembler records the call as invalid).
4. Final calls that were not streamed (their name never came, or they were still waiting) are
   emitted whole, in order.

The cost per token is that of vLLM's parser: most re-read the whole message on every delta, so it
grows with the message (see ``docs/benchmarks.md``), unlike our own formats.

Example (with the prepared default model's tokenizer):
    >>> from transformers import AutoTokenizer
    >>> from vllm_native.models import model_path
    >>> fmt = VllmParserFormat("hermes", AutoTokenizer.from_pretrained(model_path()))
    >>> p = fmt.new_parser()
    >>> p.feed('<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>') + p.close()
    [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..types import ToolSpec
from .base import (
    BadCall,
    CallArgs,
    CallEnd,
    CallStart,
    FormatParser,
    JsonValueScanner,
    Piece,
    Text,
    ToolCallFormat,
)

# vLLM's tokenizer pool deep-copies the tokenizer for every call that finds it busy and keeps
# each copy: streams encode (and parse) one at a time, so memory does not grow with concurrency.
_TOKENIZER_LOCK = threading.Lock()


_CALL_ID_STYLES = {"mistral": "mistral", "kimi_k2": "kimi_k2", "kimi_k3": "kimi_k2"}
"""vLLM's parsers whose family reads its own id shape back (see ``formats/call_ids.py``)."""


def vllm_parser_names() -> list[str]:
    """Every name in vLLM's tool-parser registry (``--tool-call-parser``)."""
    from vllm.tool_parsers import ToolParserManager

    return ToolParserManager.list_registered()


class VllmParserFormat(ToolCallFormat):
    """The tool-call format of vLLM's parser ``name``, for a model's ``tokenizer`` and the turn's
    ``tools`` (OpenAI function tools; some parsers use their schemas to type arguments).

    Raises ``ValueError`` for a name vLLM does not know and when vLLM's parser refuses the
    tokenizer (e.g. its marker tokens are missing).

    Example:
        >>> from transformers import AutoTokenizer
        >>> from vllm_native.models import model_path
        >>> tools = [{"type": "function", "function": {"name": "f", "parameters": {
        ...     "type": "object", "properties": {"a": {"type": "integer"}}}}}]
        >>> fmt = VllmParserFormat("glm47", AutoTokenizer.from_pretrained(model_path()), tools)
        >>> p = fmt.new_parser()
        >>> p.feed("<tool_call>f<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>") + p.close()
        [CallStart(name='f'), CallArgs(fragment='{"a": 1}'), CallEnd(complete=True)]
    """

    name = "vllm"

    def __init__(self, name: str, tokenizer: Any, tools: Sequence[ToolSpec] | None = None) -> None:
        from vllm.tool_parsers import ToolParserManager

        if name not in ToolParserManager.list_registered():
            raise ValueError(
                f"Unknown tool_parser {name!r}: not in vLLM's tool-parser registry "
                f"({', '.join(ToolParserManager.list_registered())})"
            )
        self.name = name  # type: ignore[misc]  # per instance: the parser is chosen at run time
        self.parser_class = ToolParserManager.get_tool_parser(name)
        self.tokenizer = _cached(tokenizer)
        self.tools = list(tools or [])
        try:
            _, request = self._new_vllm_parser()
        except Exception as exc:  # vLLM's parsers refuse tokenizers they cannot use
            raise ValueError(
                f"vLLM's {name!r} tool parser cannot use this tokenizer: {exc}"
            ) from exc
        markers = _added_tokens(tokenizer)
        keep_special = not skips_special_tokens(request)
        self.special_markers = markers if keep_special else ()  # type: ignore[misc]
        self.call_ids = _CALL_ID_STYLES.get(name, "openai")  # type: ignore[misc]
        self._marker_prefixes = frozenset(m[:k] for m in markers for k in range(1, len(m)))
        self._longest_marker = max(map(len, markers), default=0)

    def new_parser(self) -> FormatParser:
        parser, request = self._new_vllm_parser()
        return VllmStreamParser(self, parser, request)

    def _new_vllm_parser(self) -> tuple[Any, Any]:
        """A fresh vLLM parser and the request it parses for (as vLLM's server adjusts it)."""
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

        request: Any = ChatCompletionRequest.model_validate(
            {"messages": [{"role": "user", "content": ""}], "tools": self.tools or None}
        )
        tools: list[Any] = list(request.tools or [])
        parser = self.parser_class(self.tokenizer, tools)
        request = parser.adjust_request(request)
        if hasattr(parser, "skip_reasoning_parsing"):
            parser.skip_reasoning_parsing = True  # the assembler has split reasoning off already
        return parser, request

    def held_back(self, text: str) -> int:
        """Length of the longest suffix of ``text`` that may still become a special token."""
        for k in range(min(self._longest_marker - 1, len(text)), 0, -1):
            if text[-k:] in self._marker_prefixes:
                return k
        return 0


def skips_special_tokens(request: Any) -> bool:
    """Whether vLLM's server would decode ``request`` without special tokens.

    A parser's ``adjust_request`` sets ``skip_special_tokens=False`` when its markers are special
    tokens. Left alone the field is ``True`` on vLLM 0.32 and ``None`` on 0.33, where ``None``
    means the server default, ``True``: ``None`` must not read as "keep special tokens".

    >>> from types import SimpleNamespace
    >>> [skips_special_tokens(SimpleNamespace(skip_special_tokens=v)) for v in (None, True, False)]
    [True, True, False]
    """
    skip = request.skip_special_tokens
    return True if skip is None else bool(skip)


@dataclass
class _Call:
    """What vLLM streamed for one of its call indexes, and what of it we emitted."""

    name: str | None = None
    received: str = ""  # argument text vLLM sent for this index
    read: int = 0  # how much of ``received`` has been looked at
    sent: str = ""  # what went out as CallArgs: ``received`` up to the end of its JSON value
    started: bool = False
    scanner: JsonValueScanner = field(default_factory=JsonValueScanner)
    complete: bool = False  # the arguments JSON value has ended


class VllmStreamParser(FormatParser):
    """Incremental parser for :class:`VllmParserFormat`: one vLLM parser instance per response."""

    def __init__(self, fmt: VllmParserFormat, parser: Any, request: Any) -> None:
        self.fmt, self.parser, self.request = fmt, parser, request
        self.text = ""  # what vLLM's parser has seen
        self.token_ids: list[int] = []
        self.held = ""  # a suffix that may still become a special token
        self.content: list[str] = []
        self.calls: list[_Call] = []
        self.open: int | None = None  # vLLM index of the call whose pieces are being emitted
        self.started = 0  # calls start in index order: how many have
        self.closed = False

    def feed(self, text: str) -> list[Piece]:
        if self.closed:
            return []
        text = self.held + text
        keep = self.fmt.held_back(text)
        self.held = text[len(text) - keep :] if keep else ""
        return self._step(text[: len(text) - keep])

    def close(self) -> list[Piece]:
        if self.closed:
            return []
        self.closed = True
        out = self._step(self.held)
        self.held = ""
        finish = getattr(self.parser, "finish_streaming", None)
        if finish is not None:
            with _TOKENIZER_LOCK:
                message = _quietly(finish)
            out += self._delta(message)
        return out + self._reconcile()

    # -- streaming ----------------------------------------------------------------------------
    def _step(self, delta: str) -> list[Piece]:
        if not delta:
            return []
        previous_text, previous_ids = self.text, self.token_ids
        with _TOKENIZER_LOCK:  # the parser may use the tokenizer too
            delta_ids = self.fmt.tokenizer.encode(delta, add_special_tokens=False)
            self.text = previous_text + delta
            self.token_ids = previous_ids + delta_ids
            message = _quietly(
                lambda: self.parser.extract_tool_calls_streaming(
                    previous_text,
                    self.text,
                    delta,
                    previous_ids,
                    self.token_ids,
                    delta_ids,
                    self.request,
                )
            )
        return self._delta(message)

    def _delta(self, message: Any) -> list[Piece]:
        out: list[Piece] = []
        if message is None:
            return out
        for text in (message.reasoning, message.content):
            if text:  # reasoning is not expected here (split off before); never drop text
                self.content.append(text)
                out.append(Text(text))
        for tool_call in message.tool_calls:
            function = tool_call.function
            self._call_delta(
                tool_call.index,
                function.name if function is not None else None,
                function.arguments if function is not None else None,
                out,
            )
        return out

    def _call_delta(self, index: int, name: str | None, args: str | None, out: list[Piece]) -> None:
        while len(self.calls) <= index:
            self.calls.append(_Call())
        call = self.calls[index]
        if name and call.name is None:
            call.name = name
        if args:
            call.received += args
        self._pump(out, wait=True)

    def _pump(self, out: list[Piece], *, wait: bool) -> None:
        """Forward the open call's new argument text, and start the next call once its name is
        known. With ``wait``, the next call waits while the open call's arguments JSON is
        unfinished (the parser may still send the rest)."""
        while True:
            if self.open is not None:
                self._forward(self.calls[self.open], out)
            if self.started >= len(self.calls) or self.calls[self.started].name is None:
                return
            if self.open is not None:
                current = self.calls[self.open]
                if wait and not current.complete and current.received.strip():
                    return
                out.append(CallEnd())
            call = self.calls[self.started]
            out.append(CallStart(call.name or ""))
            call.started = True
            self.open = self.started
            self.started += 1

    @staticmethod
    def _forward(call: _Call, out: list[Piece]) -> None:
        """Emit ``call``'s argument text received since last time, up to the end of its JSON."""
        fresh = call.received[call.read :]
        call.read = len(call.received)
        if not fresh or call.complete:
            return  # text after the arguments' JSON value is not arguments
        used = call.scanner.feed(fresh)
        if used is not None:
            fresh, call.complete = fresh[:used], True
        if fresh:
            out.append(CallArgs(fresh))
            call.sent += fresh

    # -- end of stream ------------------------------------------------------------------------
    def _reconcile(self) -> list[Piece]:
        out: list[Piece] = []
        final = _quietly(lambda: self.parser.extract_tool_calls(self.text, self.request))
        final_calls = list(final.tool_calls) if final is not None and final.tools_called else []
        if final is None and not (self.content or self.calls) and self.text:
            # A parser that can read nothing of this output (e.g. vLLM's gpt-oss ``openai``
            # parser, a stub whose work vLLM's server does elsewhere): the text stays content.
            return [Text(self.text)]
        if final is None or (not final_calls and self.started):
            self._pump(out, wait=False)  # rule 1: what vLLM streamed, waiting calls included
            return self._end_open(out)
        streamed_content = "".join(self.content)
        final_content = final.content or ""
        if len(final_content) > len(streamed_content) and final_content.startswith(
            streamed_content
        ):
            out.append(Text(final_content[len(streamed_content) :]))  # rule 2
        if self.open is not None:  # rule 3
            index, self.open = self.open, None
            if index < len(final_calls):
                function = final_calls[index].function
                out.extend(_finish_call(self.calls[index], function, self.fmt.name))
            else:
                out.append(CallEnd())
        for index, tool_call in enumerate(final_calls):  # rule 4
            if index >= len(self.calls) or not self.calls[index].started:
                out.append(CallStart(tool_call.function.name))
                if tool_call.function.arguments:
                    out.append(CallArgs(tool_call.function.arguments))
                out.append(CallEnd())
        return self._end_open(out)

    def _end_open(self, out: list[Piece]) -> list[Piece]:
        if self.open is not None:
            out.append(CallEnd())
            self.open = None
        return out


def _finish_call(call: _Call, function: Any, parser_name: str) -> list[Piece]:
    """Pieces that end the open ``call`` as the final parse's ``function`` has it (rule 3)."""
    name, arguments = function.name, function.arguments or ""
    streamed = call.sent
    if name == call.name:
        if arguments.startswith(streamed):
            rest = arguments[len(streamed) :]
            return [CallArgs(rest), CallEnd()] if rest else [CallEnd()]
        if _same_json(streamed, arguments):
            return [CallEnd()]
    error = (
        f"vLLM's {parser_name!r} parser streamed this call differently from its final parse "
        f"(streamed {call.name!r} {streamed!r})"
    )
    return [BadCall(arguments, error, name=call.name)]


def _same_json(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False


def _quietly(call: Any) -> Any:
    """Run one of vLLM's parser methods; a parser that raises on model output gives nothing
    (vLLM's server does the same), so model output never makes us raise."""
    try:
        return call()
    except Exception:
        return None


def _added_tokens(tokenizer: Any) -> tuple[str, ...]:
    """The tokenizer's special and added token texts (markers that arrive as one token)."""
    texts = set(getattr(tokenizer, "all_special_tokens", ()) or ())
    get_added = getattr(tokenizer, "get_added_vocab", None)
    if get_added is not None:
        texts.update(get_added())
    return tuple(sorted(t for t in texts if t))


@functools.lru_cache(maxsize=4)
def _cached(tokenizer: Any) -> Any:
    """The tokenizer with its vocabulary computed once (vLLM's ``get_cached_tokenizer``): many
    of vLLM's parsers read the whole vocabulary each time one is constructed, once per response.
    Wrapping is done once per tokenizer, and is quick for the engine's (already cached) one."""
    from transformers import PythonBackend, TokenizersBackend
    from vllm.tokenizers.hf import get_cached_tokenizer

    if not isinstance(tokenizer, (PythonBackend, TokenizersBackend)):
        return tokenizer
    return get_cached_tokenizer(tokenizer)
