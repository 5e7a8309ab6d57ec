"""Splitting raw model text into reasoning (``<think>...</think>``) and visible text, incrementally.

The rules follow vLLM's ``deepseek_r1`` and ``qwen3`` reasoning parsers:

- ``starts_in_reasoning=True`` is for chat templates that already opened ``<think>`` in the prompt
  (DeepSeek-R1, Qwen3 with thinking on): the output starts inside reasoning and normally contains
  only ``</think>``. A ``<think>`` inside reasoning is dropped (the model repeating the marker).
- ``starts_in_reasoning=False``: the output is reasoning only when it begins (after whitespace)
  with ``<think>``; otherwise all of it is visible text.
- Reasoning ends at the first ``</think>``. Without one, everything after the start is reasoning,
  also at the end of the stream (a truncated or unbalanced thought stays reasoning, as in vLLM).
- ``ends_at`` markers (``("<tool_call>",)`` for Qwen3 / Qwen3.5) end reasoning too, as in vLLM's
  ``qwen3`` parser (``vllm/parser/qwen3.py``: the ``(REASONING, "TOOL_START")`` transition, "tool
  call directly from reasoning (implicit end)"): the marker and what follows are visible text, so
  a call written inside ``<think>`` or before any ``</think>`` is parsed as a call.
- Whitespace right after ``</think>`` (the template's ``\\n\\n``) is dropped, and so is any later
  stray ``</think>`` in visible text (vLLM's qwen3 parser does the same). A ``<think>`` inside
  visible text is just text.
- ``drop`` markers are removed from visible text: the tags a family wraps its answer in
  (Granite 3.3's ``<response>...</response>``, removed as vLLM's ``ernie45`` parser removes
  them; here every occurrence, since the last ``</response>`` is not known while streaming).

Markers may arrive split across deltas: a suffix that could still become a marker is held back
until it is decided, so the cost per character does not grow with the text.

Example:
    >>> s = ReasoningSplitter()
    >>> s.feed("<think>Hmm.</th") + s.feed("ink>\\n\\nHello") + s.close()
    [(True, 'Hmm.'), (False, 'Hello')]
"""

from __future__ import annotations

from .base import StateMachine, partial_marker_suffix

CALL_MARKERS_ENDING_REASONING = ("<tool_call>",)
"""Call markers that end reasoning in vLLM's ``qwen3`` reasoning parser (and the parsers built
on it: Qwen3 / Qwen3.5 / Qwen3-Coder, MiMo, Seed-OSS, ...); ``deepseek_r1`` has no such rule."""
_PARSERS_ENDING_AT_CALLS = ("qwen3", "mimo", "seed_oss", "step3p5", "nemotron_v3", "minicpmv")


def reasoning_end_markers(
    reasoning_parser: str | None, format_markers: tuple[str, ...], enabled: bool | None = None
) -> tuple[str, ...]:
    """The ``ends_at`` markers of a turn: the format's call markers that end reasoning where vLLM
    does it (``reasoning_parser`` left to detection, or one of the Qwen3-style parsers);
    ``enabled=False`` turns it off, ``True`` on for any reasoning parser.

    >>> reasoning_end_markers(None, ("<tool_call>", "</tool_call>"))
    ('<tool_call>',)
    >>> reasoning_end_markers("deepseek_r1", ("<tool_call>", "</tool_call>"))
    ()
    """
    if enabled is None:
        enabled = reasoning_parser is None or reasoning_parser.lower() in _PARSERS_ENDING_AT_CALLS
    if not enabled:
        return ()
    return tuple(m for m in CALL_MARKERS_ENDING_REASONING if m in format_markers)


class ReasoningSplitter(StateMachine):
    """Feed raw text deltas, get ``(is_reasoning, text)`` parts; call ``close()`` once at the end.

    >>> s = ReasoningSplitter(starts_in_reasoning=True)
    >>> s.feed("plan</think>answer") + s.close()
    [(True, 'plan'), (False, 'answer')]
    """

    def __init__(
        self,
        start: str = "<think>",
        end: str = "</think>",
        starts_in_reasoning: bool = False,
        ends_at: tuple[str, ...] = (),
        drop: tuple[str, ...] = (),
    ) -> None:
        self.start, self.end = start, end
        self.ends_at = ends_at
        self.dropped = (end, *drop)  # removed from visible text
        self.implicit_end = False  # reasoning ended at an ``ends_at`` marker, not at ``end``
        self.state = "reasoning" if starts_in_reasoning else "opening"
        self.held = ""  # text not yet decided
        self.leading = ""  # whitespace before a possible opening marker
        self.drop_space = False  # right after the end marker: whitespace is dropped

    def feed(self, text: str) -> list[tuple[bool, str]]:
        """Consume ``text`` and return the parts that are now decided."""
        out: list[tuple[bool, str]] = []
        self.run_steps(text, out)
        return _merged(out)

    def close(self) -> list[tuple[bool, str]]:
        """End of stream: release held text (an unfinished marker is plain text of its part)."""
        out: list[tuple[bool, str]] = []
        if self.state == "opening":
            out.append((False, self.leading + self.held))
        elif self.held and not (self.state == "content" and self.drop_space):
            out.append((self.state == "reasoning", self.held))
        self.held, self.leading = "", ""
        return _merged(out)

    # -- states -----------------------------------------------------------------------------
    def _step_opening(self, out: list[tuple[bool, str]]) -> None:
        stripped = self.held.lstrip()
        self.leading += self.held[: len(self.held) - len(stripped)]
        self.held = stripped
        if stripped.startswith(self.start):
            self.held = stripped[len(self.start) :]
            self.leading = ""
            self.state = "reasoning"
        elif stripped and not self.start.startswith(stripped):
            self.held = self.leading + stripped
            self.leading = ""
            self.state = "content"

    def _step_reasoning(self, out: list[tuple[bool, str]]) -> None:
        end = self.held.find(self.end)
        implicit = [p for p in (self.held.find(m) for m in self.ends_at) if p >= 0]
        if implicit and (end < 0 or min(implicit) < end):
            pos = min(implicit)  # the marker stays: it starts visible text (a tool call)
            out.append((True, self.held[:pos].replace(self.start, "")))
            self.held = self.held[pos:]
            self.state, self.implicit_end = "content", True
            return
        if end >= 0:
            out.append((True, self.held[:end].replace(self.start, "")))
            self.held = self.held[end + len(self.end) :]
            self.state, self.drop_space = "content", True
            return
        markers = (self.start, self.end, *self.ends_at)
        cut = len(self.held) - partial_marker_suffix(self.held, markers)
        out.append((True, self.held[:cut].replace(self.start, "")))
        self.held = self.held[cut:]

    def _step_content(self, out: list[tuple[bool, str]]) -> None:
        if self.drop_space:
            self.held = self.held.lstrip()
            self.drop_space = not self.held
        found = [(pos, m) for m in self.dropped if (pos := self.held.find(m)) >= 0]
        if found:
            pos, marker = min(found)
            out.append((False, self.held[:pos]))
            self.held = self.held[pos + len(marker) :]
            return
        keep = partial_marker_suffix(self.held, self.dropped)
        out.append((False, self.held[: len(self.held) - keep]))
        self.held = self.held[len(self.held) - keep :]


def _merged(parts: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """Drop empty parts and join neighbours of the same kind."""
    merged: list[tuple[bool, str]] = []
    for is_reasoning, text in parts:
        if not text:
            continue
        if merged and merged[-1][0] == is_reasoning:
            merged[-1] = (is_reasoning, merged[-1][1] + text)
        else:
            merged.append((is_reasoning, text))
    return merged
