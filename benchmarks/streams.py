"""Shared pieces of the streaming benchmarks: the tokenizer, the token streams, and the three ways
of parsing one stream that the benchmarks compare.

- ours: :class:`vllm_native.stream.StreamAssembler` with one of our formats;
- vLLM: vLLM's own serving-side parser (``ParserManager.get_parser(...)``, then ``parse_delta`` per
  engine delta and ``parse`` for a whole message), exactly as vLLM's OpenAI server drives it;
- adapter: vLLM's parser behind :class:`vllm_native.formats.vllm_adapter.VllmParserFormat`, in our
  assembler.

Streams are what the engine would deliver: the text tokenized with the prepared default model's
tokenizer (smollm2; the formats' marker texts added as special tokens, as the models using those
formats have them), decoded one token at a time; or random 1..8-character chunks that, like the
engine's deltas, never cut a special marker in two.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vllm_native.formats import available_formats, get_format
from vllm_native.formats.base import ToolCallFormat
from vllm_native.formats.vllm_adapter import vllm_parser_names
from vllm_native.models import model_path
from vllm_native.stream import StreamAssembler
from vllm_native.types import Finish, TextDelta, ToolCallDelta, Usage

RESULTS = Path(__file__).parent / "results"

Delta = tuple[str, list[int]]
"""One engine delta: its text and its token ids."""


@dataclass
class Result:
    """What a client ends up with: content and calls ``(name, arguments)``, where arguments are
    the parsed JSON value, or ``("not JSON", text)`` when the text does not parse."""

    content: str = ""
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def differences(self, other: Result) -> set[str]:
        """``"calls"`` unless the calls are equal; ``"content"`` unless the contents are equal but
        for whitespace (the gaps around calls)."""
        found = set()
        if self.calls != other.calls:
            found.add("calls")
        if self.content.split() != other.content.split():
            found.add("content")
        return found


def benchmarked_formats() -> list[str]:
    """Our formats that vLLM also has a parser for, one name per format."""
    vllm_names = set(vllm_parser_names())
    names = {get_format(name).name for name in available_formats()}
    return sorted(names & vllm_names)


def load_tokenizer(markers: Iterable[str]) -> Any:
    """The default model's tokenizer with ``markers`` added as special tokens, cached as vLLM's
    engine caches it."""
    from transformers import AutoTokenizer
    from vllm.tokenizers.hf import get_cached_tokenizer

    folder = model_path()
    if not (folder / "tokenizer.json").is_file():
        sys.exit(f"no tokenizer in {folder}: run `vllm-native prepare smollm2` first")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.add_special_tokens({"additional_special_tokens": sorted(set(markers))})
    logging.getLogger("vllm").setLevel(logging.CRITICAL)  # vLLM logs every parse error it meets
    return get_cached_tokenizer(tokenizer)


def markers_of(names: Iterable[str]) -> set[str]:
    """The special markers of our formats ``names`` (plus Llama 3's ``<|python_tag|>``, which
    vLLM's ``llama3_json`` parser requires in the vocabulary)."""
    found = {"<|python_tag|>"}
    for name in names:
        found.update(get_format(name).special_markers)
    return found


def token_deltas(tokenizer: Any, text: str) -> list[Delta]:
    """``text`` as the engine streams it: one token per delta, except that a token ending in an
    incomplete UTF-8 character waits for the next (as vLLM's detokenizer does)."""
    ids = tokenizer.encode(text, add_special_tokens=False)
    deltas: list[Delta] = []
    start = 0
    for end in range(1, len(ids) + 1):
        piece = tokenizer.decode(ids[start:end], skip_special_tokens=False)
        if piece.endswith("\ufffd") and end < len(ids):
            continue
        deltas.append((piece, ids[start:end]))
        start = end
    if "".join(d for d, _ in deltas) != text:
        raise ValueError("the tokenizer does not round-trip this text")
    return deltas


def char_deltas(
    tokenizer: Any, text: str, rng: random.Random, markers: Sequence[str]
) -> list[Delta]:
    """Random 1..8-character chunks of ``text``; a marker is never cut (it is one token)."""
    atoms = _atoms(text, markers)
    deltas: list[Delta] = []
    i = 0
    while i < len(atoms):
        size = rng.randint(1, 8)
        chunk, taken = "", 0
        while i < len(atoms) and (taken < size or not chunk):
            chunk += atoms[i]
            taken += len(atoms[i])
            i += 1
        deltas.append((chunk, tokenizer.encode(chunk, add_special_tokens=False)))
    return deltas


def _atoms(text: str, markers: Sequence[str]) -> list[str]:
    """``text`` as single characters, except that each marker occurrence is one atom."""
    atoms: list[str] = []
    i = 0
    ordered = sorted(markers, key=len, reverse=True)
    while i < len(text):
        marker = next((m for m in ordered if text.startswith(m, i)), None)
        atoms.append(marker or text[i])
        i += len(marker) if marker else 1
    return atoms


# -- ours ----------------------------------------------------------------------------------------


def ours(fmt: ToolCallFormat, deltas: Sequence[Delta]) -> Result:
    """What our assembler streams for ``deltas`` (text deltas and tool-call deltas joined)."""
    assembler = StreamAssembler(fmt.new_parser())
    events = [event for text, _ in deltas for event in assembler.feed(text)]
    events += assembler.finish("stop", Usage())
    content = "".join(e.text for e in events if isinstance(e, TextDelta))
    names: dict[int, str] = {}
    args: dict[int, list[str]] = {}
    for e in events:
        if isinstance(e, ToolCallDelta):
            if e.name is not None:
                names[e.index] = names.get(e.index, "") + e.name
            args.setdefault(e.index, []).append(e.arguments)
    return Result(content, [(names.get(i, ""), _parsed("".join(args[i]))) for i in sorted(args)])


def ours_final(fmt: ToolCallFormat, text: str) -> Result:
    """Our final message for ``text`` given in one delta (non-streaming)."""
    assembler = StreamAssembler(fmt.new_parser())
    assembler.feed(text)
    finish = assembler.finish("stop", Usage())[-1]
    assert isinstance(finish, Finish)
    message = finish.message
    calls = sorted(
        [(c.index, c.name, c.arguments) for c in message.tool_calls]
        + [(c.index, c.name or "", _parsed(c.arguments or "")) for c in message.invalid_tool_calls],
        key=lambda c: c[0],
    )
    return Result(message.content, [(name, args) for _, name, args in calls])


# -- vLLM ----------------------------------------------------------------------------------------


class VllmServing:
    """vLLM's serving-side parser for ``--tool-call-parser name`` (auto tool choice), driven the
    way vLLM's OpenAI server drives it."""

    def __init__(self, name: str, tokenizer: Any, tools: list[dict[str, Any]]) -> None:
        from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest
        from vllm.parser.parser_manager import ParserManager

        self.tokenizer = tokenizer
        parser_class = ParserManager.get_parser(
            tool_parser_name=name, enable_auto_tools=True, tokenizer=tokenizer
        )
        if parser_class is None:
            raise ValueError(f"vLLM has no parser for {name!r}")
        self.parser_class: Any = parser_class
        payload = {"messages": [{"role": "user", "content": ""}], "tools": tools}
        self.new_request = lambda: ChatCompletionRequest.model_validate(payload)

    def new(self) -> tuple[Any, Any]:
        """A parser for one response and its request (adjusted as the server adjusts it)."""
        request = self.new_request()
        parser = self.parser_class(self.tokenizer, request.tools)
        return parser, parser.adjust_request(request)

    def stream(self, deltas: Sequence[Delta]) -> Result:
        """What vLLM streams to a client for ``deltas``."""
        parser, request = self.new()
        result = Result()
        names: dict[int, str] = {}
        args: dict[int, str] = {}
        for i, (text, ids) in enumerate(deltas):
            message = parser.parse_delta(
                text, list(ids), request, prompt_token_ids=[], finished=i == len(deltas) - 1
            )
            if message is None:
                continue
            result.content += message.content or ""
            for call in message.tool_calls:
                function = call.function
                names[call.index] = names.get(call.index, "") + ((function and function.name) or "")
                args[call.index] = args.get(call.index, "") + (
                    (function and function.arguments) or ""
                )
        result.calls = [(names[i], _parsed(args[i])) for i in sorted(names)]
        return result

    def final(self, text: str) -> Result:
        """vLLM's non-streaming result for ``text``."""
        parser, request = self.new()
        _, content, calls = parser.parse(text, request, enable_auto_tools=True)
        return Result(content or "", [(c.name, _parsed(c.arguments)) for c in calls or []])


def _parsed(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return ("not JSON", text)


# -- rendering -----------------------------------------------------------------------------------


def render(fmt: ToolCallFormat, calls: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """The text a model writes for several calls in ``fmt`` (each rendered by the format)."""
    parts = [fmt.render_call(name, args) for name, args in calls]
    if fmt.name == "pythonic":  # one list: [f(...), g(...)]
        return "[" + ", ".join(p[1:-1] for p in parts) + "]"
    if fmt.name.startswith("deepseek"):  # one section around all calls
        begin, end = "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"
        inner = [p.removeprefix(begin).removesuffix(end) for p in parts]
        return begin + "".join(inner) + end
    return {"hermes": "\n", "llama3_json": "; ", "qwen3_coder": "\n"}.get(fmt.name, "").join(parts)


def tools_for(names: Iterable[str]) -> list[dict[str, Any]]:
    """OpenAI tool specs for ``names`` (any object as parameters)."""
    return [
        {"type": "function", "function": {"name": n, "parameters": {"type": "object"}}}
        for n in sorted(set(names))
    ]


# -- output --------------------------------------------------------------------------------------


def conditions() -> dict[str, Any]:
    """The machine and versions a result was measured with."""
    import vllm

    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "python": platform.python_version(),
        "vllm": vllm.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "load_average_1m": round(load[0], 2),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` and return its path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
