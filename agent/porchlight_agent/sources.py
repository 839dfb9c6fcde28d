"""The agent's one seam to the operating system: files under a root directory, commands, a UDP socket, and
(for the scapy fallback only) packet capture.

Every collector reads the gateway only through a ``Sources``. Production uses the defaults (root ``/``,
``subprocess`` with a timeout, a real UDP socket); tests point ``root`` at a fixture tree, swap the runner
for a ``FixtureRunner`` that answers argv tuples with captured output, and aim DNS probes at a UDP server
they start on 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeAlias

from .collectors.base import CollectorError

__all__ = [
    "CommandFailed", "CommandNotFound", "CommandTimeout", "FixtureRunner", "Runner", "SourceError",
    "Sources", "SubprocessRunner", "UdpExchange", "udp_exchange",
]


class SourceError(CollectorError):
    """A file or command the agent needs could not be read or run."""


class CommandNotFound(SourceError):
    """The tool is not installed on this gateway (e.g. no ``iw``, no ``conntrack``)."""


class CommandFailed(SourceError):
    """The tool ran but exited non-zero; ``output`` keeps its stdout (``ping`` exits 1 on total loss)."""

    def __init__(self, message: str, output: str = "", returncode: int | None = None) -> None:
        super().__init__(message)
        self.output = output
        self.returncode = returncode


class CommandTimeout(CommandFailed):
    """The tool did not finish within its timeout and was killed."""


class Runner(Protocol):
    """Runs one command and returns its standard output as text."""

    def __call__(self, argv: Sequence[str], timeout: float) -> str:
        """Run ``argv``; raise CommandNotFound, CommandFailed or CommandTimeout when it does not succeed."""
        ...


class SubprocessRunner:
    """The production runner: ``subprocess.run`` with a timeout, no shell, C locale for stable output."""

    __slots__ = ("_env",)

    def __init__(self) -> None:
        self._env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def __call__(self, argv: Sequence[str], timeout: float) -> str:
        try:
            done = subprocess.run(  # argv list, never a shell
                list(argv), capture_output=True, timeout=timeout, text=True, errors="replace",
                env=self._env, check=False,
            )
        except FileNotFoundError:
            raise CommandNotFound(f"{argv[0]}: not installed") from None
        except PermissionError:
            raise CommandNotFound(f"{argv[0]}: not executable") from None
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            raise CommandTimeout(f"{argv[0]}: timed out after {timeout:g}s", out) from None
        if done.returncode != 0:
            err = (done.stderr or "").strip().splitlines()
            reason = err[-1][:200] if err else f"exit status {done.returncode}"
            raise CommandFailed(f"{argv[0]}: {reason}", done.stdout, done.returncode)
        return done.stdout


#: What a FixtureRunner answers for one argv: literal output, a captured file, an error to raise, or a
#: list of those answered in turn (the last one repeats).
FixtureAnswer: TypeAlias = "str | Path | BaseException | list[FixtureAnswer]"


class FixtureRunner:
    """A runner for tests and benchmarks: maps argv tuples to captured output.

    An argv with no answer raises CommandNotFound, as on a gateway without the tool. ``calls`` records
    every argv asked for, so a test can check which commands a collector ran.
    """

    def __init__(self, answers: Mapping[tuple[str, ...], FixtureAnswer] | None = None) -> None:
        self.answers: dict[tuple[str, ...], FixtureAnswer] = dict(answers or {})
        self.calls: list[tuple[str, ...]] = []
        self._turn: dict[tuple[str, ...], int] = {}

    def set(self, argv: Sequence[str], answer: FixtureAnswer) -> None:
        """Answer ``argv`` with ``answer`` from now on."""
        key = tuple(argv)
        self.answers[key] = answer
        self._turn.pop(key, None)

    def __call__(self, argv: Sequence[str], timeout: float) -> str:
        key = tuple(argv)
        self.calls.append(key)
        if key not in self.answers:
            raise CommandNotFound(f"{key[0] if key else '?'}: not installed (no fixture for {' '.join(key)})")
        answer = self.answers[key]
        if isinstance(answer, list):
            turn = self._turn.get(key, 0)
            self._turn[key] = turn + 1
            answer = answer[min(turn, len(answer) - 1)]
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Path):
            return answer.read_text()
        assert isinstance(answer, str)
        return answer


#: Sends one UDP datagram and returns the first reply: (host, port, payload, timeout) -> reply bytes.
UdpExchange = Callable[[str, int, bytes, float], bytes]


def udp_exchange(host: str, port: int, payload: bytes, timeout: float) -> bytes:
    """One request/response over UDP; TimeoutError when no reply arrives in time (the DNS probe's seam)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.send(payload)
        try:
            return sock.recv(4096)
        except TimeoutError:
            raise TimeoutError(f"no reply from {host}:{port} within {timeout:g}s") from None


def _clock_ticks() -> int:
    try:
        return int(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100


def _lines(fh: TextIO) -> Iterator[str]:
    with fh:
        yield from fh


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the agent reads the gateway from: a root for /proc, /sys, /tmp and /etc, a command runner and
    a UDP exchange for DNS probes.

    Paths are given as on the gateway (``"/proc/uptime"``) and resolved under ``root``.
    """

    root: Path = Path("/")
    runner: Runner = field(default_factory=SubprocessRunner)
    udp: UdpExchange = udp_exchange
    clock_ticks: int = field(default_factory=_clock_ticks)

    def path(self, gateway_path: str) -> Path:
        """The local path of a gateway path such as ``/proc/net/nf_conntrack``."""
        return self.root / gateway_path.lstrip("/")

    def read_text(self, gateway_path: str) -> str:
        """The whole text of a file; SourceError when it is missing or unreadable."""
        try:
            with open(self.path(gateway_path), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError as exc:
            raise SourceError(f"{gateway_path}: {exc.strerror or exc}") from None

    def read_optional(self, gateway_path: str) -> str | None:
        """The text of a file, or None when it does not exist or cannot be read (an optional source)."""
        try:
            with open(self.path(gateway_path), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    def iter_lines(self, gateway_path: str) -> Iterator[str] | None:
        """The lines of a file, read as they are consumed (for large tables); None when it cannot be opened.
        The file is closed when the iterator is exhausted or dropped."""
        try:
            fh = open(self.path(gateway_path), encoding="utf-8", errors="replace")  # noqa: SIM115 - closed by _lines
        except OSError:
            return None
        return _lines(fh)

    def read_new(self, gateway_path: str, offset: int | None, limit: int = 1 << 20) -> tuple[str, int]:
        """Whole lines appended to a growing file (a log) since ``offset``, and the offset to resume from.

        ``offset`` None starts at most ``limit`` bytes before the end. A file that shrank (rotated) is read
        from its start; a missing file gives ``("", 0)``. At most ``limit`` bytes are read per call.
        """
        try:
            with open(self.path(gateway_path), "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if offset is None:
                    offset = max(0, size - limit)
                    skip_partial = offset > 0
                else:
                    skip_partial = False
                if offset > size:
                    offset = 0
                fh.seek(offset)
                data = fh.read(limit)
        except OSError:
            return "", 0
        end = data.rfind(b"\n")
        if end < 0:
            # No complete line yet; a line longer than the limit is skipped rather than read forever.
            return "", offset + (len(data) if len(data) >= limit else 0)
        chunk = data[:end + 1]
        if skip_partial:
            first = chunk.find(b"\n")
            chunk = chunk[first + 1:]
            return chunk.decode("utf-8", errors="replace"), offset + end + 1
        return chunk.decode("utf-8", errors="replace"), offset + end + 1

    def exists(self, gateway_path: str) -> bool:
        """Whether the path exists on the gateway."""
        return self.path(gateway_path).exists()

    def list_dir(self, gateway_path: str) -> list[str]:
        """Sorted entry names of a directory; empty when it does not exist."""
        try:
            return sorted(os.listdir(self.path(gateway_path)))
        except OSError:
            return []

    def capture(self, interface: str, on_packet: Callable[[Any], None],
                bpf: str = "ip or ip6") -> Callable[[], object]:
        """Start capturing packets on ``interface`` with scapy (the flow source of last resort) and return
        the function that stops it; SourceError when scapy is not installed or capture is not allowed."""
        try:
            from scapy.sendrecv import AsyncSniffer
        except ImportError:
            raise SourceError("packet capture needs scapy, which is not installed") from None
        sniffer = AsyncSniffer(iface=interface, prn=on_packet, store=False, filter=bpf)
        try:
            sniffer.start()
        except (OSError, RuntimeError) as exc:
            raise SourceError(f"cannot capture on {interface}: {exc}") from None
        return sniffer.stop

    def run(self, argv: Sequence[str], timeout: float = 5.0) -> str:
        """Run a command through the runner and return its standard output."""
        return self.runner(argv, timeout)
