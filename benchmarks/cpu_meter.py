"""CPU time of processes and of their threads, read before and after a measured phase.

A benchmark takes a :class:`CpuSnapshot` of the processes it cares about (this one, a server it
started) before and after a phase; :func:`cpu_used` gives the CPU seconds spent in between, per
process role and per thread group. A thread group is the Python thread name without its counter
(``ThreadPoolExecutor-0_3`` -> ``ThreadPoolExecutor``) for this process's threads, and the kernel's
thread name (``/proc/<pid>/task/<tid>/comm``) for other processes' threads and native threads.
Child processes (vLLM's engine core) are counted as one more role, ``<role> children``.

>>> import os
>>> before = CpuSnapshot.take({"client": os.getpid()})
>>> _ = sum(i * i for i in range(100_000))
>>> used = cpu_used(before, CpuSnapshot.take({"client": os.getpid()}))
>>> used.seconds("client") >= 0 and "MainThread" in used.threads["client"]
True
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import psutil

_COUNTER = re.compile(r"[-_]?\d+(_\d+)?$")


def _group(name: str) -> str:
    """A thread name without its trailing counter."""
    return _COUNTER.sub("", name) or name


def _python_thread_names(pid: int) -> dict[int, str]:
    """Native thread id -> Python thread name, for this process only."""
    if pid != psutil.Process().pid:
        return {}
    return {t.native_id: t.name for t in threading.enumerate() if t.native_id is not None}


def _kernel_thread_name(pid: int, tid: int) -> str:
    try:
        with open(f"/proc/{pid}/task/{tid}/comm", encoding="utf-8") as comm:
            return comm.read().strip() or "?"
    except OSError:
        return "?"


@dataclass
class CpuSnapshot:
    """User + system CPU seconds by role: each process's threads by group, and its children."""

    process: dict[str, float] = field(default_factory=dict)
    threads: dict[str, dict[str, float]] = field(default_factory=dict)
    children: dict[str, float] = field(default_factory=dict)

    @classmethod
    def take(cls, roles: dict[str, int]) -> CpuSnapshot:
        """CPU so far of each process in ``roles`` (role name -> pid)."""
        snap = cls()
        for role, pid in roles.items():
            process = psutil.Process(pid)
            own = process.cpu_times()
            snap.process[role] = own.user + own.system
            names = _python_thread_names(pid)
            groups: dict[str, float] = {}
            for thread in process.threads():
                name = names.get(thread.id) or _kernel_thread_name(pid, thread.id)
                key = _group(name)
                groups[key] = groups.get(key, 0.0) + thread.user_time + thread.system_time
            snap.threads[role] = groups
            total = 0.0
            for child in process.children(recursive=True):
                try:
                    times = child.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
            snap.children[role] = total
        return snap


@dataclass
class CpuUsed:
    """CPU seconds spent between two snapshots."""

    process: dict[str, float]
    threads: dict[str, dict[str, float]]
    children: dict[str, float]

    def seconds(self, role: str) -> float:
        """The process ``role``, all its threads (also those that ended), not its children."""
        return self.process[role]


def cpu_used(before: CpuSnapshot, after: CpuSnapshot) -> CpuUsed:
    """What ``after`` adds to ``before``. Threads that ended in between are gone from the thread
        list; their time, and the rounding of per-thread times to clock ticks, is the ``other`` group
    (the process total minus the live threads)."""
    threads = {
        role: {
            name: max(seconds - before.threads.get(role, {}).get(name, 0.0), 0.0)
            for name, seconds in groups.items()
        }
        for role, groups in after.threads.items()
    }
    process = {
        role: max(seconds - before.process.get(role, 0.0), 0.0)
        for role, seconds in after.process.items()
    }
    for role, groups in threads.items():
        other = process[role] - sum(groups.values())
        if other > 1e-3:
            groups["other"] = other
    children = {
        role: max(seconds - before.children.get(role, 0.0), 0.0)
        for role, seconds in after.children.items()
    }
    return CpuUsed(process, threads, children)
