"""vLLM's own tool parsers through :class:`VllmParserFormat`: our invariants over random splits,
and the end-of-stream repair rules.

The tokenizer is the prepared default model's (a real Hugging Face tokenizer, no download). For
``llama3_json`` and ``mistral`` it gets their marker tokens added as special tokens, as the
Llama 3 and Mistral tokenizers have them; vLLM's parsers refuse a tokenizer without them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from format_helpers import (
    ParsedCall,
    calls_of,
    chunk_sizes,
    feed_all,
    feed_in_chunks,
    json_arguments,
    merge_pieces,
    text_of,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vllm_native.formats.base import BadCall, CallArgs, CallEnd, CallStart, Piece, Text
from vllm_native.formats.vllm_adapter import VllmParserFormat, vllm_parser_names
from vllm_native.models import model_path
from vllm_native.stream import StreamAssembler
from vllm_native.types import ToolCallDelta, Usage

MARKERS = ["<|python_tag|>", "[TOOL_CALLS]", "[ARGS]"]
ALL_MARKERS = [*MARKERS, "<tool_call>", "</tool_call>"]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    folder = model_path()
    if not (folder / "tokenizer.json").is_file():
        pytest.fail(f"no tokenizer in {folder}: run `vllm-native prepare smollm2` first")
    tok = AutoTokenizer.from_pretrained(folder)
    tok.add_special_tokens({"additional_special_tokens": MARKERS})
    return tok


@pytest.fixture(scope="module")
def formats(tokenizer: Any) -> dict[str, VllmParserFormat]:
    return {name: VllmParserFormat(name, tokenizer) for name in RENDER}


def _hermes(before: str, calls: Sequence[tuple[str, dict]]) -> tuple[str, str]:
    body = "\n".join(
        "<tool_call>\n"
        + json.dumps({"name": n, "arguments": a}, ensure_ascii=False)
        + "\n</tool_call>"
        for n, a in calls
    )
    return before + body, before  # vLLM's content: the text before the first call


def _llama3_json(before: str, calls: Sequence[tuple[str, dict]]) -> tuple[str, str]:
    body = "; ".join(json.dumps({"name": n, "parameters": a}, ensure_ascii=False) for n, a in calls)
    return "<|python_tag|>" + body, ""  # calls only when the message starts with the tag


def _mistral(before: str, calls: Sequence[tuple[str, dict]]) -> tuple[str, str]:
    body = "".join(f"[TOOL_CALLS]{n}[ARGS]{json.dumps(a, ensure_ascii=False)}" for n, a in calls)
    return before + body, before


RENDER = {"hermes": _hermes, "llama3_json": _llama3_json, "mistral": _mistral}

names = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
# vLLM's parsers look for their markers anywhere, strings included (see the test of that below);
# vLLM's llama3_json streaming re-serialises floats through partial-json-parser, which loses the
# last digit of subnormal numbers (-2.6003322865553094e-266 streams as ...096e-266): the adapter
# then reports the call as invalid, so these property tests keep to floats that round-trip.
ordinary_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(
    lambda x: round(x, 6)
)
calls_strategy = st.lists(
    st.tuples(names, json_arguments(floats=ordinary_floats)), min_size=1, max_size=3
).filter(lambda calls: not any(m in json.dumps(calls, ensure_ascii=False) for m in ALL_MARKERS))
plain_text = st.text(st.characters(blacklist_characters="<[{"), max_size=30)


def _in_tokens(fmt: VllmParserFormat, text: str) -> list[Piece]:
    """Feed ``text`` as the engine does: one decoded token at a time, holding back a token that
    ends in an incomplete UTF-8 character (as vLLM's detokenizer does)."""
    tok = fmt.tokenizer
    ids = tok.encode(text, add_special_tokens=False)
    parser, pieces, sent = fmt.new_parser(), [], ""
    for k in range(1, len(ids) + 1):
        decoded = tok.decode(ids[:k])
        if decoded.endswith("\ufffd"):
            continue
        pieces += parser.feed(decoded[len(sent) :])
        sent = decoded
    return pieces + parser.close()


def _assert_calls(pieces: Sequence[Piece], calls: Sequence[tuple[str, dict]]) -> None:
    """Well formed (name once, on ``CallStart``; ``CallArgs`` then one ``CallEnd``) and holding
    ``calls``; no arguments text means ``{}``, as the assembler reads it (vLLM's llama3_json
    parser streams nothing for empty arguments)."""
    parsed = calls_of(pieces)
    assert all(isinstance(c, ParsedCall) and c.complete for c in parsed), parsed
    got = [(c.name, json.loads(c.arguments or "{}")) for c in parsed]  # type: ignore[union-attr]
    assert got == [(n, a) for n, a in calls]


# -- vLLM's real parsers over random splits --------------------------------------------------


@pytest.mark.parametrize("name", sorted(RENDER))
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=plain_text, calls=calls_strategy, sizes=chunk_sizes)
def test_random_splits_keep_invariants(
    formats: dict[str, VllmParserFormat],
    name: str,
    before: str,
    calls: list[tuple[str, dict]],
    sizes: list[int],
) -> None:
    fmt = formats[name]
    text, content = RENDER[name](before, calls)
    whole = merge_pieces(feed_all(fmt, text))
    chunked = merge_pieces(feed_in_chunks(fmt, text, sizes))
    for pieces in (whole, chunked):  # the same calls and content, however the text is split
        _assert_calls(pieces, calls)
        assert text_of(pieces).strip() == content.strip()  # as the assembler reads it


@pytest.mark.parametrize("name", sorted(RENDER))
def test_token_stream_matches_whole_text(formats: dict[str, VllmParserFormat], name: str) -> None:
    calls = [
        ("get_weather", {"city": 'Zürich "centre" 😀', "days": [1, 2], "opts": {"u": None}}),
        ("noop", {}),
    ]
    text, content = RENDER[name]("Let me check. ", calls)
    for pieces in (_in_tokens(formats[name], text), feed_all(formats[name], text)):
        _assert_calls(pieces, calls)
        assert text_of(pieces).strip() == content.strip()  # as the assembler reads it


def test_through_the_assembler_names_once_and_arguments_concatenate(
    formats: dict[str, VllmParserFormat],
) -> None:
    calls = [("a", {"x": "1 \\ 2"}), ("b", {"y": [True, None]})]
    text, _ = _hermes("Hi. ", calls)
    assembler = StreamAssembler(formats["hermes"].new_parser(), tool_names={"a", "b"})
    events = [e for i in range(0, len(text), 3) for e in assembler.feed(text[i : i + 3])]
    events += assembler.finish("stop", Usage(1, 2))
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(d.index, d.name) for d in deltas if d.name] == [(0, "a"), (1, "b")]
    assert all(d.id is None for d in deltas if not d.name)
    message = events[-1].message  # type: ignore[union-attr]
    for call in message.tool_calls:
        streamed = "".join(d.arguments for d in deltas if d.index == call.index)
        assert json.loads(streamed) == call.arguments
    assert [(c.name, c.arguments) for c in message.tool_calls] == calls
    assert message.content == "Hi." and message.finish_reason == "function_call"


# -- repairs at close() ------------------------------------------------------------------------


def test_calls_the_stream_never_named_are_emitted_at_close(
    formats: dict[str, VllmParserFormat],
) -> None:
    # vLLM's llama3_json parser sends a call's name one parser call after it sees the call, so
    # with the whole text in one delta its streaming output holds no call at all.
    text, _ = _llama3_json("", [("f", {"a": 1}), ("g", {})])
    pieces = formats["llama3_json"].new_parser().feed(text)
    assert not any(isinstance(p, CallStart) for p in pieces)
    assert merge_pieces(feed_all(formats["llama3_json"], text)) == [
        CallStart("f"),
        CallArgs('{"a": 1}'),
        CallEnd(),
        CallStart("g"),
        CallArgs("{}"),
        CallEnd(),
    ]


def test_text_a_parser_streams_after_the_arguments_json_is_not_arguments(
    formats: dict[str, VllmParserFormat],
) -> None:
    # vLLM's hermes parser streams everything after "arguments": up to the call's last "}",
    # here including a stray key its non-streaming parse leaves out.
    text = '<tool_call>{"name": "f", "arguments": {"a": 1}, "extra": 2}</tool_call>'
    pieces = merge_pieces(feed_in_chunks(formats["hermes"], text, [4]))
    assert pieces == [CallStart("f"), CallArgs('{"a": 1}'), CallEnd()]


def test_a_marker_inside_arguments_confuses_vllm_but_the_call_never_disappears(
    formats: dict[str, VllmParserFormat],
) -> None:
    text, _ = _hermes("", [("f", {"s": "</tool_call>"})])
    pieces = merge_pieces(feed_in_chunks(formats["hermes"], text, [3]))
    assert pieces == [CallStart("f"), CallArgs('{"s": "'), CallEnd()]  # invalid for the assembler


def test_arguments_equal_as_json_are_kept_as_streamed(
    formats: dict[str, VllmParserFormat],
) -> None:
    text = '<tool_call>{"name":"f","arguments":{"a":1,"b":[2]}}</tool_call>'
    pieces = merge_pieces(feed_in_chunks(formats["hermes"], text, [5]))
    assert pieces == [CallStart("f"), CallArgs('{"a":1,"b":[2]}'), CallEnd()]


def test_content_the_stream_held_back_is_emitted_at_close(
    formats: dict[str, VllmParserFormat],
) -> None:
    # the text ends in what could have become "<tool_call>": vLLM's streaming holds it back
    parser = formats["hermes"].new_parser()
    assert text_of(parser.feed("a < b and c <tool")) == "a < b and c "
    assert parser.close() == [Text("<tool")]


class _ScriptedToolParser:
    """A vLLM tool parser that answers from a script, to drive each repair rule exactly."""

    script: list[Any] = []
    final: Any = None

    def __init__(self, tokenizer: Any, tools: Any = None) -> None:
        self.replies: Iterator[Any] = iter(self.script)

    def adjust_request(self, request: Any) -> Any:
        return request

    def extract_tool_calls_streaming(self, *args: Any) -> Any:
        return next(self.replies, None)

    def extract_tool_calls(self, model_output: str, request: Any) -> Any:
        return self.final


@pytest.fixture
def scripted(tokenizer: Any) -> Iterator[type[_ScriptedToolParser]]:
    from vllm.tool_parsers import ToolParser, ToolParserManager

    cls = type("ScriptedToolParser", (_ScriptedToolParser, ToolParser), {})
    ToolParserManager.register_module("test_scripted", module=cls)
    try:
        yield cls  # type: ignore[misc]
    finally:
        ToolParserManager.tool_parsers.pop("test_scripted")


def _delta(content: str | None = None, *calls: tuple[int, str | None, str | None]) -> Any:
    from vllm.entrypoints.generate.base.protocol import DeltaMessage

    return DeltaMessage.model_validate(
        {
            "content": content,
            "tool_calls": [
                {"index": i, "function": {"name": n, "arguments": a}} for i, n, a in calls
            ],
        }
    )


def _final(content: str | None, *calls: tuple[str, str]) -> Any:
    from vllm.entrypoints.generate.base.protocol import ExtractedToolCallInformation

    return ExtractedToolCallInformation.model_validate(
        {
            "tools_called": bool(calls),
            "content": content,
            "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in calls],
        }
    )


def _run(cls: type[_ScriptedToolParser], tokenizer: Any, script: list[Any], final: Any) -> Any:
    cls.script, cls.final = script, final
    parser = VllmParserFormat("test_scripted", tokenizer).new_parser()
    return [parser.feed("x") for _ in script], parser.close()


def test_repair_emits_the_missing_suffix_of_content_and_arguments(
    scripted: type[_ScriptedToolParser], tokenizer: Any
) -> None:
    script = [_delta("Hi"), _delta(None, (0, "f", '{"a": ')), _delta(None, (0, None, "[1"))]
    fed, closed = _run(scripted, tokenizer, script, _final("Hi there", ("f", '{"a": [1, 2]}')))
    assert fed == [[Text("Hi")], [CallStart("f"), CallArgs('{"a": ')], [CallArgs("[1")]]
    assert closed == [Text(" there"), CallArgs(", 2]}"), CallEnd()]


def test_name_is_sent_once_and_arguments_wait_for_it(
    scripted: type[_ScriptedToolParser], tokenizer: Any
) -> None:
    script = [
        _delta(None, (0, None, '{"a"')),
        _delta(None, (0, "f", ": 1}")),
        _delta(None, (0, "f", None)),
        _delta(None, (1, "g", "{}")),
        _delta(None, (0, None, "late")),
    ]
    final = _final(None, ("f", '{"a": 1}'), ("g", "{}"))
    fed, closed = _run(scripted, tokenizer, script, final)
    assert fed == [
        [],
        [CallStart("f"), CallArgs('{"a": 1}')],
        [],
        [CallEnd(), CallStart("g"), CallArgs("{}")],
        [],  # arguments for a call that already ended cannot be streamed
    ]
    assert closed == [CallEnd()]


def test_the_next_call_waits_until_the_open_calls_arguments_are_finished(
    scripted: type[_ScriptedToolParser], tokenizer: Any
) -> None:
    script = [
        _delta(None, (0, "f", '{"a": ')),
        _delta(None, (1, "g", "{}")),
        _delta(None, (0, None, "1}")),
        _delta(None, (2, "h", '{"b": ')),
        _delta(None, (3, "k", "{}")),
    ]
    final = _final(None, ("f", '{"a": 1}'), ("g", "{}"), ("h", '{"b": 2}'), ("k", "{}"))
    fed, closed = _run(scripted, tokenizer, script, final)
    assert fed == [
        [CallStart("f"), CallArgs('{"a": ')],
        [],
        [CallArgs("1}"), CallEnd(), CallStart("g"), CallArgs("{}")],
        [CallEnd(), CallStart("h"), CallArgs('{"b": ')],
        [],
    ]
    # the parser never finished h's arguments: the final parse settles h, then k comes whole
    assert closed == [CallArgs("2}"), CallEnd(), CallStart("k"), CallArgs("{}"), CallEnd()]


def test_streamed_arguments_that_differ_from_the_final_parse_become_a_bad_call(
    scripted: type[_ScriptedToolParser], tokenizer: Any
) -> None:
    script = [_delta(None, (0, "f", '{"a": 2}'))]
    fed, closed = _run(scripted, tokenizer, script, _final(None, ("f", '{"a": 1}')))
    assert fed == [[CallStart("f"), CallArgs('{"a": 2}')]]
    assert len(closed) == 1 and isinstance(closed[0], BadCall)
    assert (closed[0].name, closed[0].raw) == ("f", '{"a": 1}')
    assembler = StreamAssembler(VllmParserFormat("test_scripted", tokenizer).new_parser())
    assembler.feed("x")
    message = assembler.finish("stop", Usage())[-1].message  # type: ignore[union-attr]
    assert message.tool_calls == ()
    [invalid] = message.invalid_tool_calls
    assert (invalid.name, invalid.arguments) == ("f", '{"a": 1}')


def test_when_the_final_parse_finds_no_call_the_streamed_calls_stand(
    scripted: type[_ScriptedToolParser], tokenizer: Any
) -> None:
    script = [_delta(None, (0, "f", '{"a": '))]
    fed, closed = _run(scripted, tokenizer, script, _final("<raw text of the whole message>"))
    assert fed == [[CallStart("f"), CallArgs('{"a": ')]]
    assert closed == [CallEnd()]  # the assembler then finds the arguments invalid


def test_unknown_name_and_unusable_tokenizer_are_refused(tokenizer: Any) -> None:
    from transformers import AutoTokenizer

    assert "glm47" in vllm_parser_names()
    with pytest.raises(ValueError, match="not in vLLM's tool-parser registry"):
        VllmParserFormat("no_such_parser", tokenizer)
    plain = AutoTokenizer.from_pretrained(model_path())
    with pytest.raises(ValueError, match="cannot use this tokenizer"):
        VllmParserFormat("llama3_json", plain)


def test_special_markers_follow_vllms_request_adjustment(tokenizer: Any) -> None:
    # with tools, vLLM's hermes parser asks to keep special tokens; pythonic does not
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert "<|im_end|>" in VllmParserFormat("hermes", tokenizer, tools).special_markers
    assert VllmParserFormat("hermes", tokenizer).special_markers == ()
    assert VllmParserFormat("pythonic", tokenizer, tools).special_markers == ()


def test_special_markers_with_vllm_033s_unset_skip_special_tokens(
    tokenizer: Any, monkeypatch
) -> None:
    # vLLM 0.33 declares ChatCompletionRequest.skip_special_tokens: bool | None = None, where None
    # is the server default (skip); only a parser's explicit False keeps special tokens
    from vllm.entrypoints.openai.chat_completion.protocol import ChatCompletionRequest

    validate = ChatCompletionRequest.model_validate

    def as_in_033(data: Any, *args: Any, **kwargs: Any) -> Any:
        request = validate(data, *args, **kwargs)
        request.skip_special_tokens = None
        return request

    monkeypatch.setattr(ChatCompletionRequest, "model_validate", as_in_033)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    assert VllmParserFormat("pythonic", tokenizer, tools).special_markers == ()
    assert VllmParserFormat("hermes", tokenizer).special_markers == ()
    assert "<|im_end|>" in VllmParserFormat("hermes", tokenizer, tools).special_markers


def test_streams_on_many_threads_use_the_tokenizer_one_at_a_time(tokenizer: Any) -> None:
    """vLLM's tokenizer pool keeps a tokenizer copy per overlapping call: encodes must not overlap,
    and each thread still gets its own, correct pieces."""
    fmt = VllmParserFormat("hermes", tokenizer)
    encode, guard = fmt.tokenizer.encode, threading.Lock()
    active = most = 0

    def recording_encode(*args: Any, **kwargs: Any) -> Any:
        nonlocal active, most
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.001)
        try:
            return encode(*args, **kwargs)
        finally:
            with guard:
                active -= 1

    fmt.tokenizer.encode = recording_encode
    texts = [_hermes(f"Hi {i}.", [("a", {"n": i})])[0] for i in range(8)]
    results: dict[int, list[Piece]] = {}

    def stream(i: int) -> None:
        results[i] = merge_pieces(feed_in_chunks(fmt, texts[i], [3]))

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1
    assert [results[i] for i in range(8)] == [merge_pieces(feed_all(fmt, t)) for t in texts]


def test_output_a_parser_cannot_read_at_all_stays_content(tokenizer: Any) -> None:
    # vLLM's gpt-oss parser ("openai") is a stub that raises on every call: the model's text
    # must still come back (as content), never vanish.
    fmt = VllmParserFormat("openai", tokenizer)
    text = "<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>"
    pieces = _in_tokens(fmt, text)
    assert "".join(p.text for p in pieces if isinstance(p, Text)) == text
    assert not [p for p in pieces if not isinstance(p, Text)]
