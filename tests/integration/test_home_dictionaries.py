"""Home dictionaries end to end on the real TimescaleDB and Mosquitto: ingest keeps each gateway's newest full
report, the cloud issues a dictionary made of it and installs it with `set_dictionary`, the running agent
compresses with it from then on (and after a restart), ingest opens those reports, and a message that uses
another gateway's home dictionary goes to quarantine."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from porchlight_cloud import home_dictionaries
from porchlight_cloud.commands import CommandSender, MqttLogin
from porchlight_cloud.ingest.synthetic import Home
from porchlight_cloud.store import dictionaries as dictionaries_store
from porchlight_wire import Decoder, DictionaryStore, Encoder, json_bytes, parse_envelope, topic_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_support import ingest_thread, publisher, settings_for, wait_for
from transport_support import Subscriber, agent_argv, agent_python, credentials, spawn, stop

pytestmark = pytest.mark.integration
__all__ = ["agent_python", "publisher", "spawn"]  # fixtures, imported for pytest
END = 1_767_225_600


def _reference_kept(db_url: str, gateway_id: str) -> bool:
    with psycopg.connect(db_url, autocommit=True) as conn:
        return dictionaries_store.reference_of(conn, gateway_id) is not None


def _stored(db_url: str, boot_id: str, seq: int) -> bool:
    with psycopg.connect(db_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM reports r JOIN boots b USING (boot_key) "
                           "WHERE b.boot_id = %s AND r.seq = %s", (boot_id, seq)).fetchone()
    return bool(row and row[0])


def _dict_ids(sub: Subscriber) -> list[int]:
    return [parse_envelope(p)[0].dict_id for t, p in sub.messages if t.endswith("/report")]


def test_a_gateway_compresses_with_its_own_home_dictionary_once_the_cloud_installs_it(
        db_url: str, mqtt: Any, publisher: Any, add_gateway: Callable[[str], str], agent_python: str,
        tmp_path: Path, spawn: Any) -> None:
    gateway = f"gw-dict-{secrets.token_hex(3)}"
    home_id = f"home-{gateway}"
    password = credentials(add_gateway, gateway, mqtt.port)
    login = MqttLogin(mqtt.host, mqtt.port, password="porchlight-cloud-dev", root=mqtt.root)
    sub = Subscriber(mqtt.host, mqtt.port, f"{mqtt.root}/{home_id}/{gateway}/#")
    argv = agent_argv(agent_python, "run", home=home_id, gateway=gateway, password=password, port=mqtt.port,
                      root=mqtt.root, state=tmp_path, clock_speed=30)
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        # A full-inventory report of this gateway (the synthetic home stands for what its collectors saw).
        synthetic = Home.typical(1)
        synthetic.home_id, synthetic.gateway_id = home_id, gateway
        publisher.report(synthetic.report(END))
        publisher.flush()
        wait_for(lambda: _reference_kept(db_url, gateway), what="the gateway's reference")

        agent = spawn(argv)
        try:
            assert sub.wait_for(lambda m: (f"{mqtt.root}/{home_id}/{gateway}/status", b"online") in m, 20)
            with psycopg.connect(db_url, autocommit=True) as conn:
                [candidate] = home_dictionaries.candidates(conn, gateway_ids=[gateway])
                store = DictionaryStore.shipped()
                [(_, issued)] = home_dictionaries.issue(conn, [candidate], store)
            outcome = home_dictionaries.send(CommandSender(login), [(candidate, issued)], store,
                                             timeout_s=20)[gateway]
            if ".venv-paho1" in agent_python:
                # the 1.6 line runs here without zstandard (as on a bare OpenWrt): it says so and keeps zlib
                assert outcome.status == "failed" and "zstandard is not installed" in (outcome.reason or "")
                return
            assert outcome.status == "ok", outcome
            assert outcome.result["dict_id"] == issued.dict_id
            wait_for(lambda: issued.dict_id in _dict_ids(sub), what="a report compressed with the home dictionary")

            cloud = DictionaryStore.shipped()
            cloud.add_home(issued)
            message = [p for t, p in sub.messages if t.endswith("/report")][-1]
            header = Decoder(cloud).decode(message)["header"]
            wait_for(lambda: _stored(db_url, header["boot_id"], header["seq"]), what="that report stored")
            assert consumer.metrics.get("messages_quarantined_total", {"reason": "unknown_dictionary"}) in (0, None)

            # The gateway keeps its home dictionary across a restart.
            stop(agent)
            seen = len(_dict_ids(sub))
            agent = spawn(argv)
            wait_for(lambda: len(_dict_ids(sub)) > seen and _dict_ids(sub)[-1] == issued.dict_id, 30,
                     what="a report after the restart, with the home dictionary")
        finally:
            stop(agent)
            sub.close()


def test_a_report_compressed_with_another_gateways_home_dictionary_is_quarantined(
        db_url: str, mqtt: Any, publisher: Any) -> None:
    mine, theirs = Home.typical(11, prefix="dict"), Home.typical(12, prefix="dict")
    with ingest_thread(settings_for(db_url, mqtt)) as consumer:
        publisher.report(theirs.report(END))
        publisher.report(mine.report(END))
        publisher.flush()
        wait_for(lambda: _reference_kept(db_url, theirs.gateway_id), what="their reference")
        with psycopg.connect(db_url, autocommit=True) as conn:
            store = DictionaryStore.shipped()
            [(_, foreign)] = home_dictionaries.issue(
                conn, home_dictionaries.candidates(conn, gateway_ids=[theirs.gateway_id]), store)
        base = store.raw(foreign.base_id)
        theirs_encoder = Encoder(foreign.content(base), raw_dict_id=foreign.dict_id)
        # their own report with their dictionary is stored; mine with their dictionary is refused
        publisher.report(theirs.report(END + 300), encoder=theirs_encoder)
        forged = mine.report(END + 300)
        publisher.send(topic_for(mine.home_id, mine.gateway_id, "report", mqtt.root), theirs_encoder.encode(forged))
        publisher.report(mine.report(END + 600))
        publisher.flush()
        wait_for(lambda: consumer.metrics.get("messages_quarantined_total", {"reason": "foreign_dictionary"}) == 1,
                 what="the forged report quarantined")
        wait_for(lambda: _stored(db_url, theirs.boot_id, 1) and _stored(db_url, mine.boot_id, 2),
                 what="the good reports around it stored")
        assert not _stored(db_url, mine.boot_id, 1)
        with psycopg.connect(db_url, autocommit=True) as conn:
            detail = conn.execute("SELECT detail FROM quarantine WHERE reason = 'foreign_dictionary'").fetchone()
        assert detail and theirs.gateway_id in detail[0]



def test_a_trained_dictionary_with_an_id_in_the_home_range_is_refused_with_a_reason(db_url: str) -> None:
    import zstandard
    homes = [Home.typical(i) for i in range(10)]
    samples = [json_bytes(h.report(END + 300 * k)) for h in homes for k in range(10)]
    data = zstandard.train_dictionary(4096, samples, dict_id=3_000_000_001).as_bytes()
    with psycopg.connect(db_url, autocommit=True) as conn, pytest.raises(ValueError, match="home dictionary range"):
        dictionaries_store.add(conn, data)
