"""What the real-engine benchmarks (``e2e.py``, ``batch.py``) share: the engine's command-line
arguments, the in-process models on one shared engine, and running as a script.

Example (a script's skeleton)::

    parser = argparse.ArgumentParser()
    add_engine_arguments(parser)
    parser.add_argument("--paths", type=path_list(PATHS), default=list(PATHS))
    ...
    if __name__ == "__main__":
        run_script(main)
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--engine-args`` (JSON), ``--tool-parser`` and ``--reasoning-parser``."""
    parser.add_argument("--model", default=None, help="path or hub id (default: prepared model)")
    parser.add_argument(
        "--engine-args", type=json.loads, default=None, help="vLLM engine arguments as JSON"
    )
    parser.add_argument("--tool-parser", default=None, help="default: detected from the model")
    parser.add_argument(
        "--reasoning-parser", default=None, help="vLLM reasoning parser, every path"
    )


def path_list(known: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse type: comma-separated names, each one of ``known``.

    >>> parse = path_list(("raw", "server"))
    >>> parse("server,raw")
    ['server', 'raw']
    >>> parse("raw,srv")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: unknown paths ['srv']; known: ('raw', 'server')
    """

    def parse(text: str) -> list[str]:
        names = text.split(",")
        unknown = set(names) - set(known)
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown paths {sorted(unknown)}; known: {known}")
        return names

    return parse


def running_engine_args(engine: Any) -> dict[str, Any]:
    """A started ``VllmEngine``'s arguments plus the dtype it really runs (vllm-native picks
    float32 on CPU when none is given): what another engine needs to run the same."""
    args = dict(engine.engine_args)
    model_config = engine._llm.model_config  # the running engine's resolved settings
    args.setdefault("dtype", str(model_config.dtype).removeprefix("torch."))
    return args


class InProcess:
    """``ChatVLLM`` (``tools`` bound) and LlamaIndex ``Vllm`` on one shared, started engine, with
    the same model, parsers, greedy sampling, ``ignore_eos`` and ``max_tokens``; ``client`` is
    the core's client of that engine. ``close`` stops the engine only if it started here (a
    test session's engine stays up)."""

    def __init__(self, args: argparse.Namespace, tools: Sequence[Any], what: str) -> None:
        from langchain_vllm import ChatVLLM
        from llama_index_vllm import Vllm
        from vllm_native.chat import ChatClient
        from vllm_native.engine import VllmEngine

        self.max_tokens: int = args.max_tokens
        common: Any = {
            "model": args.model,
            "engine_args": args.engine_args or {},
            "tool_parser": args.tool_parser,
            "reasoning_parser": args.reasoning_parser,
            "temperature": 0,
            "sampling_kwargs": {"ignore_eos": True},
        }
        self.chat = ChatVLLM(**common, **{"max_tokens": self.max_tokens}).bind_tools(list(tools))
        self.llama = Vllm(max_new_tokens=self.max_tokens, **common)
        self.client = ChatClient(
            args.model,
            engine_args=args.engine_args,
            tool_parser=args.tool_parser,
            reasoning_parser=args.reasoning_parser,
        )
        engine = self.client.engine  # the engine both frameworks share (same configuration)
        if not isinstance(engine, VllmEngine):
            raise TypeError(f"the {what} benchmark needs a real vLLM engine")
        self.engine = engine
        self.started_here = not engine.started
        engine.start()

    def close(self) -> None:
        if self.started_here:
            self.client.close()


def run_script(main: Callable[[], Any]) -> None:
    """Run ``main`` as a script: offline hub, a small CPU KV cache unless set, and SIGTERM (a
    ``timeout``) turned into an exit that still closes the engines and servers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
