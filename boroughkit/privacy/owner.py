"""Who holds a budget reservation: a process identity that survives pid reuse.

A reservation records ``host pid boot-id start-ticks`` of the process that made it. When that
process is gone (no such pid, or a different process under the same pid after a reboot or pid
reuse), the reservation can never be committed, and the next ledger command gives it back.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text(encoding="ascii").strip()
    except OSError:
        return "unknown"


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    # The command name (field 2) may hold spaces: fields after its closing parenthesis.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def _pid_namespace() -> str:
    """This process's pid namespace (containers sharing a hostname have their own)."""
    try:
        return os.readlink("/proc/self/ns/pid").replace(" ", "")
    except OSError:
        return "unknown"


def current_owner() -> str:
    """This process's identity, recorded with a reservation:
    ``host pid boot-id start-ticks pid-namespace``."""
    pid = os.getpid()
    return (
        f"{socket.gethostname()} {pid} {_boot_id()} {_start_ticks(pid) or 'unknown'} "
        f"{_pid_namespace()}"
    )


def owner_is_gone(owner: str | None) -> bool:
    """True only when ``owner`` ran on this host and is certainly no longer running.

    Reservations of other hosts, or of processes whose identity cannot be read, are left alone:
    budget in flight is the safe side.
    """
    if not owner:
        return False
    parts = owner.split()
    if len(parts) not in (4, 5) or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    if len(parts) == 5 and parts[4] != _pid_namespace():
        return False  # another container's process: its pid means nothing here, keep it
    host_pid, boot, ticks = int(parts[1]), parts[2], parts[3]
    if boot != _boot_id() and boot != "unknown":
        return True  # the machine rebooted since: every process of that boot is gone
    started = _start_ticks(host_pid)
    if started is None:
        return Path("/proc").is_dir()  # no such process (only trusted where /proc exists)
    return ticks != "unknown" and started != ticks
