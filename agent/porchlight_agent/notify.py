"""The notification hook: hands a ``notify`` command's title, message and link to the gateway's local UI.

Either an executable (``notify_hook``, run without a shell, the notification as JSON on stdin) or, by
default, a file drop (``notify_file``, replaced atomically) that a LuCI page or captive-portal script reads.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from .queue import atomic_write

__all__ = ["Notification", "NotificationHook", "NotifyError"]

log = logging.getLogger("porchlight.notify")

_HOOK_TIMEOUT_S: Final = 10.0


class NotifyError(Exception):
    """The notification could not be handed over (hook missing, failed or too slow, file not writable)."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One notification for the subscriber."""

    command_id: str
    title: str
    message: str
    url: str | None = None
    campaign_id: str | None = None
    ts: int = 0

    def to_json(self) -> bytes:
        """The notification as the hook reads it."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()


class NotificationHook:
    """Delivers notifications through the configured executable, or drops them into a file."""

    def __init__(self, hook: str | None, drop_file: Path, *, timeout_s: float = _HOOK_TIMEOUT_S) -> None:
        self.hook = shlex.split(hook) if hook else None
        self.drop_file = drop_file
        self.timeout_s = timeout_s

    def deliver(self, notification: Notification) -> str:
        """Hand the notification over; returns how ("hook" or "file"). NotifyError with a reason otherwise."""
        payload = notification.to_json()
        if self.hook:
            try:
                done = subprocess.run(
                    self.hook, input=payload, capture_output=True, timeout=self.timeout_s, check=False)
            except FileNotFoundError:
                raise NotifyError(f"notify hook {self.hook[0]} does not exist") from None
            except PermissionError:
                raise NotifyError(f"notify hook {self.hook[0]} is not executable") from None
            except subprocess.TimeoutExpired:
                raise NotifyError(f"notify hook timed out after {self.timeout_s:g}s") from None
            if done.returncode != 0:
                err = done.stderr.decode(errors="replace").strip().splitlines()
                raise NotifyError(f"notify hook exited {done.returncode}: {err[-1][:200] if err else ''}".strip())
            log.info("event=notification_delivered via=hook command_id=%s", notification.command_id)
            return "hook"
        try:
            self.drop_file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.drop_file, payload)
        except OSError as exc:
            raise NotifyError(f"cannot write {self.drop_file}: {exc.strerror}") from None
        log.info("event=notification_delivered via=file path=%s command_id=%s title=%r", self.drop_file,
                 notification.command_id, notification.title[:80])
        return "file"
