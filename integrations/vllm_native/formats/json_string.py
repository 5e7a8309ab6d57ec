"""Incremental decoding of one JSON string literal: for arguments a model double-encoded.

Some models write a call's arguments as a JSON *string* holding the arguments object
(``"arguments": "{\\"city\\": \\"Paris\\"}"``). vLLM's Mistral parser keeps such string
arguments as the arguments text (``_pre_v11_function_calls`` in ``vllm/parser/mistral.py``:
"string arguments are kept as-is"), and so does its response-template parser
(``_to_tool_calls`` in ``vllm/parser/response_template.py``), so the call is valid when the string
decodes to an object. Streamed, the fragments must still concatenate to the final arguments JSON,
so what is streamed is the *decoded* text: this decoder turns the literal's pieces into decoded
pieces as they arrive, holding back only an escape sequence that is not complete yet.

Example:
    >>> d = JsonStringDecoder()
    >>> d.feed('"{\\\\"a') + d.feed('\\\\": 1}"')
    '{"a": 1}'
    >>> d.done
    True
"""

from __future__ import annotations

import json

import regex

_SPECIAL = regex.compile(r'["\\]')
_ESCAPE = regex.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})')
_HIGH_SURROGATE = regex.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}$")


class JsonStringDecoder:
    """Feed the text of one JSON string literal (from its opening quote) in pieces; each ``feed``
    returns the decoded text that is now certain. Text after the closing quote is ignored
    (``done`` becomes true); malformed escapes pass through undecoded, so the caller's final
    ``json.loads`` of the whole literal is what decides validity."""

    def __init__(self) -> None:
        self.opened = False
        self.done = False
        self.held = ""  # an incomplete escape sequence

    def feed(self, text: str) -> str:
        if self.done:
            return ""
        if not self.opened:
            text = text.lstrip()
            if not text:
                return ""
            self.opened = True
            text = text[1:]  # the opening quote
        text = self.held + text
        self.held = ""
        out: list[str] = []
        pos = 0
        while True:
            match = _SPECIAL.search(text, pos)
            if match is None:
                out.append(text[pos:])
                break
            out.append(text[pos : match.start()])
            if match.group() == '"':
                self.done = True
                break
            escape = _ESCAPE.match(text, match.start())
            if escape is None:
                if len(text) - match.start() < 6:  # may still complete
                    self.held = text[match.start() :]
                    break
                out.append("\\")  # not a JSON escape: left for the final check to reject
                pos = match.start() + 1
                continue
            sequence = escape.group()
            if _HIGH_SURROGATE.match(sequence) and len(text) < escape.end() + 6:
                self.held = text[match.start() :]  # its low half may follow
                break
            if _HIGH_SURROGATE.match(sequence) and text.startswith("\\u", escape.end()):
                pair = text[match.start() : escape.end() + 6]
                out.append(_decode(pair))
                pos = escape.end() + 6
                continue
            out.append(_decode(sequence))
            pos = escape.end()
        return "".join(out)

    def close(self) -> str:
        """End of input: whatever is still held, undecoded."""
        held, self.held = self.held, ""
        return held


def _decode(sequence: str) -> str:
    try:
        return str(json.loads(f'"{sequence}"'))
    except ValueError:
        return sequence
