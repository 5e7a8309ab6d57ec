"""`make demo`: stream a real answer from the default model, in-process, on this machine.

Run: ``python scripts/demo.py`` (``make demo`` prepares the environment and model first).
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # keep the answer readable

from langchain_vllm import ChatVLLM


def main() -> None:
    llm = ChatVLLM(temperature=0, max_tokens=64)
    question = "What is the capital of France?"
    print(f"Q: {question}\nA: ", end="", flush=True)
    started = time.perf_counter()
    merged = None
    for chunk in llm.stream(question):
        print(chunk.content, end="", flush=True)
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    meta = merged.response_metadata
    print(
        f"\n[finish_reason={meta.get('finish_reason')} model={meta.get('model_name')} "
        f"tokens={merged.usage_metadata} in {time.perf_counter() - started:.1f}s incl. engine start]"
    )
    llm.close()


if __name__ == "__main__":  # vLLM spawns its engine process, which re-imports this file
    main()
