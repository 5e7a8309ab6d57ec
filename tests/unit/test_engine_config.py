"""Engine objects without starting vLLM: sharing, laziness, configuration errors."""

from __future__ import annotations

import json
import sys
import threading
import time
import types

import pytest

from vllm_native import engine as engine_module
from vllm_native.chat import ChatClient
from vllm_native.engine import VllmEngine, get_engine


def test_same_configuration_gives_the_same_engine_and_nothing_starts():
    a = get_engine("/models/x", {"max_model_len": 512, "tensor_parallel_size": 1})
    b = get_engine("/models/x", {"tensor_parallel_size": 1, "max_model_len": 512})
    c = get_engine("/models/x", {"max_model_len": 1024})
    assert a is b and a is not c
    assert not a.started and a.num_unfinished_requests == 0


def test_engine_args_pass_through_untouched():
    args = {"tensor_parallel_size": 2, "distributed_executor_backend": "ray", "quantization": "awq"}
    assert VllmEngine("m", args).engine_args == args


def test_context_window_is_read_without_starting(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"max_position_embeddings": 8192}))
    assert VllmEngine(str(tmp_path)).max_model_len == 8192
    engine = VllmEngine(str(tmp_path), {"max_model_len": 2048})
    assert engine.max_model_len == 2048 and not engine.started
    assert (
        ChatClient(model=str(tmp_path), engine_args={"max_model_len": 1024}).context_window == 1024
    )


def test_missing_model_path_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="does not exist"):
        VllmEngine("/no/such/model").start()


def test_gguf_path_is_refused_with_the_fix(tmp_path):
    gguf = tmp_path / "model.Q4_1.gguf"
    gguf.write_bytes(b"GGUF")
    with pytest.raises(ValueError, match="GGUF"):
        VllmEngine(str(gguf)).start()


def test_script_without_main_guard_gets_told(monkeypatch):
    fake_main = types.ModuleType("__mp_main__")
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    with pytest.raises(RuntimeError, match='if __name__ == "__main__":'):
        VllmEngine("/models/x").start()


def test_close_before_start_is_harmless():
    engine = VllmEngine("/models/x")
    engine.close()
    engine.close()
    assert not engine.started


def test_client_rejects_engine_and_model_together():
    with pytest.raises(ValueError, match="either engine="):
        ChatClient(model="x", engine=engine_module.VllmEngine("x"))


def test_renders_from_many_threads_run_one_at_a_time():
    """vLLM's tokenizer pool keeps a tokenizer copy per overlapping call: renders must not overlap."""
    active, most = 0, 0
    guard = threading.Lock()

    class Renderer:
        def render_messages(self, messages, params):
            nonlocal active, most
            with guard:
                active += 1
                most = max(most, active)
            time.sleep(0.01)
            with guard:
                active -= 1
            return None, {"prompt_token_ids": [1, 2], "prompt": "hi"}

    engine = VllmEngine("/models/x")
    engine._llm = types.SimpleNamespace(renderer=Renderer(), errored=False)
    threads = [
        threading.Thread(target=engine.render, args=([{"role": "user", "content": "hi"}],))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1


class _FailingLLM:
    """Stands in for vLLM 0.33's AsyncLLM, whose generate() raises request errors itself."""

    errored = False

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def generate(self, prompt, params, request_id, **options):
        raise self.error
        yield  # an async generator, as AsyncLLM.generate


def _engine_raising(error: Exception) -> VllmEngine:
    import asyncio

    engine = VllmEngine("/models/x")
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    engine._llm, engine._loop = _FailingLLM(error), loop
    return engine


def test_a_grammar_that_fails_in_generate_is_a_value_error():
    from vllm.exceptions import VLLMValidationError

    assert not issubclass(VLLMValidationError, ValueError)  # why the mapping is needed
    bad = VLLMValidationError("Invalid structured outputs: grammar does not compile")
    engine = _engine_raising(bad)
    prompt = engine_module.RenderedPrompt(token_ids=None, text="hi")
    with pytest.raises(ValueError, match="vLLM rejected the request: Invalid structured") as info:
        list(engine.stream(prompt, None))
    assert info.value.__cause__ is bad


async def test_an_engine_side_generation_error_is_an_engine_error():
    from vllm.exceptions import GenerationError

    engine = _engine_raising(GenerationError("Internal server error"))
    with pytest.raises(engine_module.EngineError, match="GenerationError: Internal server error"):
        async for _ in engine.astream(
            engine_module.RenderedPrompt(token_ids=None, text="hi"), None
        ):
            pass


# vLLM 0.32/0.33's words (vllm/v1/worker/utils.py request_memory) when a second engine asks for
# its default 0.9 share of a GPU another engine already holds
VLLM_MEMORY_ERROR = (
    "Free memory on device cuda:0 (12.4/139.8 GiB) on startup is less than desired GPU memory "
    "utilization (0.9, 125.82 GiB). Decrease GPU memory utilization or reduce GPU memory used by "
    "other processes."
)


class _RunningEngine:
    """What VllmEngine reads from a started AsyncLLM."""

    model_config = types.SimpleNamespace(max_model_len=2048)
    output_handler = None

    def get_tokenizer(self):
        return None

    def shutdown(self):
        pass


@pytest.fixture
def second_start_fails(monkeypatch, tmp_path):
    """The first engine starts; every later start raises the given exception."""
    from vllm.v1.engine.async_llm import AsyncLLM

    def use(error: BaseException) -> tuple[VllmEngine, VllmEngine]:
        starts = iter([_RunningEngine()])

        def from_engine_args(args):
            started = next(starts, None)
            if started is None:
                raise error
            return started

        monkeypatch.setattr(AsyncLLM, "from_engine_args", from_engine_args)
        first, second = tmp_path / "first", tmp_path / "second"
        first.mkdir(), second.mkdir()
        return VllmEngine(str(first)).start(), VllmEngine(str(second))

    yield use
    for engine in list(engine_module._STARTED):
        engine.close()


def test_a_second_engine_short_of_gpu_memory_is_told_to_share_it(second_start_fails):
    first, second = second_start_fails(ValueError(VLLM_MEMORY_ERROR))
    with pytest.raises(ValueError) as raised:
        second.start()
    message = str(raised.value)
    assert f"{second.model!r} failed" in message and "1 other engine(s)" in message
    assert f"{first.model!r} (gpu_memory_utilization=0.9)" in message
    assert 'engine_args={"gpu_memory_utilization": 0.45}' in message
    assert VLLM_MEMORY_ERROR in message  # vLLM's own numbers stay visible
    assert first.started and not second.started


def test_an_engine_core_that_died_starting_on_a_gpu_gets_the_same_advice(
    second_start_fails, monkeypatch
):
    failure = RuntimeError(
        "Engine core initialization failed. See root cause above. Failed core proc(s): {}"
    )
    monkeypatch.setattr(engine_module, "_uses_gpu_memory", lambda: True)
    _, second = second_start_fails(failure)
    with pytest.raises(ValueError, match="gpu_memory_utilization") as raised:
        second.start()
    assert raised.value.__cause__ is failure


def test_other_start_failures_and_a_first_engine_keep_vllms_error(second_start_fails, monkeypatch):
    monkeypatch.setattr(engine_module, "_uses_gpu_memory", lambda: False)
    failure = RuntimeError("Engine core initialization failed. See root cause above.")
    _, second = second_start_fails(failure)
    with pytest.raises(RuntimeError, match="^Engine core initialization failed"):
        second.start()  # on the CPU build memory is not shared this way
    alone = VllmEngine("/models/alone")
    assert engine_module._memory_taken_by_others(ValueError(VLLM_MEMORY_ERROR), alone) is not None
    for engine in list(engine_module._STARTED):
        engine.close()
    assert engine_module._memory_taken_by_others(ValueError(VLLM_MEMORY_ERROR), alone) is None
