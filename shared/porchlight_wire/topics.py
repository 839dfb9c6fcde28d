"""The MQTT topic tree shared by gateways and the cloud.

    <root>/<home_id>/<gateway_id>/report   gateway -> cloud, QoS 1, one wire message per report
    <root>/<home_id>/<gateway_id>/status   gateway -> cloud, retained: "online", or "offline" via Last Will
    <root>/<home_id>/<gateway_id>/cmd      cloud -> gateway, QoS 1, one JSON command
    <root>/<home_id>/<gateway_id>/ack      gateway -> cloud, QoS 1, one JSON acknowledgement per command

The root has two levels and its second is the topic-tree version, ``porchlight/v1`` in production. The
broker's ACL binds the gateway level to the MQTT user name, so a gateway can only speak for itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .errors import TopicError

DEFAULT_ROOT: Final = "porchlight/v1"
KINDS: Final = ("report", "status", "cmd", "ack")
_ROOT_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}/v1$")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed Porchlight topic."""

    root: str
    home_id: str
    gateway_id: str
    kind: str

    def __str__(self) -> str:
        return f"{self.root}/{self.home_id}/{self.gateway_id}/{self.kind}"


def check_root(root: str) -> str:
    """Return root if it is a valid two-level topic root ending in /v1; raise TopicError otherwise."""
    if not _ROOT_PATTERN.match(root):
        raise TopicError(f"topic root {root!r} must look like 'name/v1'")
    return root


def topic_for(home_id: str, gateway_id: str, kind: str, root: str = DEFAULT_ROOT) -> str:
    """Build the topic of one home's gateway for a kind of message."""
    if kind not in KINDS:
        raise TopicError(f"unknown topic kind {kind!r}")
    for name, value in (("home_id", home_id), ("gateway_id", gateway_id)):
        if not _ID_PATTERN.match(value):
            raise TopicError(f"{name} {value!r} must match [A-Za-z0-9._-]{{1,64}}")
    return f"{check_root(root)}/{home_id}/{gateway_id}/{kind}"


def parse_topic(topic: str) -> Topic:
    """Parse a topic of the tree; TopicError when it is not one."""
    parts = topic.split("/")
    if len(parts) != 5:
        raise TopicError(f"topic {topic!r} is not <root>/v1/<home>/<gateway>/<kind>")
    root = f"{parts[0]}/{parts[1]}"
    home_id, gateway_id, kind = parts[2], parts[3], parts[4]
    if not _ROOT_PATTERN.match(root) or kind not in KINDS:
        raise TopicError(f"topic {topic!r} is not <root>/v1/<home>/<gateway>/<kind>")
    if not _ID_PATTERN.match(home_id) or not _ID_PATTERN.match(gateway_id):
        raise TopicError(f"topic {topic!r} has an invalid home or gateway id")
    return Topic(root, home_id, gateway_id, kind)


def subscription(kind: str, root: str = DEFAULT_ROOT, share_group: str | None = None) -> str:
    """The wildcard subscription for one kind across all gateways, optionally an MQTT v5 shared one."""
    if kind not in KINDS:
        raise TopicError(f"unknown topic kind {kind!r}")
    plain = f"{check_root(root)}/+/+/{kind}"
    if share_group is None:
        return plain
    if not _ID_PATTERN.match(share_group):
        raise TopicError(f"share group {share_group!r} must match [A-Za-z0-9._-]{{1,64}}")
    return f"$share/{share_group}/{plain}"
