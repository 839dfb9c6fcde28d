"""The topic tree binds each message to one home and one gateway."""

import pytest
from porchlight_wire import TopicError, parse_topic, subscription, topic_for


def test_a_report_topic_round_trips() -> None:
    topic = topic_for("home-1", "gw-1", "report")
    assert topic == "porchlight/v1/home-1/gw-1/report"
    parsed = parse_topic(topic)
    assert (parsed.home_id, parsed.gateway_id, parsed.kind, str(parsed)) == ("home-1", "gw-1", "report", topic)


def test_ingest_workers_share_the_load_through_an_mqtt5_shared_subscription() -> None:
    assert subscription("report", share_group="ingest") == "$share/ingest/porchlight/v1/+/+/report"
    assert subscription("ack", root="pltest-1/v1") == "pltest-1/v1/+/+/ack"


@pytest.mark.parametrize("topic", ["porchlight/v1/h/g", "porchlight/v2/h/g/report", "porchlight/v1/h/g/other",
                                   "porchlight/v1/h/g/report/x", "porchlight/v1/+/g/report"])
def test_topics_outside_the_tree_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(topic)


@pytest.mark.parametrize("gateway_id", ["gw/1", "gw+", "#", ""])
def test_ids_with_topic_wildcards_or_separators_cannot_build_a_topic(gateway_id: str) -> None:
    with pytest.raises(TopicError):
        topic_for("home-1", gateway_id, "report")
