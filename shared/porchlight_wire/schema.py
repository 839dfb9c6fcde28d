"""The report schema: every section and field, with its type, unit and meaning.

This module is the single source of truth of the wire contract. SCHEMA.md is generated from it
(``python -m porchlight_wire.schema_doc``) and a test fails when the two differ.

A report is one JSON object::

    {"schema": "1.0", "header": {...}, "stations": {"mac": [...], "signal_avg_dbm": [...], ...}, ...}

The agent samples every ``sample_interval_s`` (60 s by default) and reports every report interval (300 s):
a report carries one aggregated record per radio, station, (device, application), probe target and one for
health, covering the header's [start_ts, end_ts]. That is what the cloud stores and analyses, and it keeps a
typical home's traffic to about a kilobyte per report. Events and errors keep their own timestamps.

Every section other than the header is *columnar*: an object of equally long arrays, one array per field
and one position per record. Columns compress far better than repeated objects, validate with one C-level
pass per column, and map one to one onto the cloud's array columns. A column that would hold only nulls
may be left out. Unknown top-level keys, unknown header keys and unknown columns are kept, never fatal,
so a newer agent can talk to an older cloud within the same major version.

Schema 1.1 (additive): some fields are *diagnosis-only* (``Field.periodic`` False, "diagnosis only" in
SCHEMA.md). A periodic report leaves their columns out, as 1.0 allowed for any optional column, because the
cloud stores nothing of them; a diagnosis report (``header.kind`` 'diagnosis') carries every column. A 1.0
cloud reads a 1.1 report as one whose diagnosis-only columns are null; a 1.1 cloud reads 1.0 reports as
before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SCHEMA_MAJOR: Final = 1
SCHEMA_MINOR: Final = 1
SCHEMA_VERSION: Final = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"
#: The cloud accepts the current and the previous major version (there is no previous one before 1.x).
ACCEPTED_MAJORS: Final = tuple(m for m in (SCHEMA_MAJOR, SCHEMA_MAJOR - 1) if m >= 1)

#: Upper bounds that protect both sides from a runaway or hostile report.
MAX_RECORDS_PER_SECTION: Final = 20_000
MAX_STRING_LENGTH: Final = 256
MAX_LIST_ITEMS: Final = 64

# Type names used in field specs. "list[str]" is a JSON array of strings.
INT: Final = "int"
FLOAT: Final = "float"
STR: Final = "str"
BOOL: Final = "bool"
STR_LIST: Final = "list[str]"


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a section: its JSON key, type, unit and what it means."""

    name: str
    type: str
    unit: str
    doc: str
    required: bool = False
    tr181: str = ""
    #: False for a diagnosis-only field (schema 1.1): periodic reports leave its column out.
    periodic: bool = True


@dataclass(frozen=True, slots=True)
class Section:
    """A named part of a report, with the cadence of its records."""

    key: str
    doc: str
    cadence: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """Return the field called ``name``; KeyError when the section has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Field names in schema order."""
        return tuple(f.name for f in self.fields)


def _f(name: str, type_: str, unit: str, doc: str, *, required: bool = False, tr181: str = "",
       periodic: bool = True) -> Field:
    return Field(name, type_, unit, doc, required, tr181, periodic)


_TS = _f("ts", INT, "s", "When it happened, Unix epoch seconds (UTC).", required=True)

HEADER = Section(
    key="header",
    doc="Who sent the report, about which interval, and in what state the agent was.",
    cadence="once per report",
    fields=(
        _f("home_id", STR, "", "Subscriber home identifier assigned by the ISP ([A-Za-z0-9._-], 1-64).",
           required=True),
        _f("gateway_id", STR, "", "Gateway identifier, also its MQTT user name ([A-Za-z0-9._-], 1-64).",
           required=True),
        _f("model", STR, "", "Gateway hardware model, e.g. from /tmp/sysinfo/model.", required=True,
           tr181="Device.DeviceInfo.ModelName"),
        _f("firmware", STR, "", "Firmware version string, e.g. DISTRIB_RELEASE + DISTRIB_REVISION.",
           required=True, tr181="Device.DeviceInfo.SoftwareVersion"),
        _f("agent_version", STR, "", "Porchlight agent version.", required=True),
        _f("boot_id", STR, "", "Random id chosen when the agent's queue was created or the gateway booted; "
           "with seq it identifies a report exactly once.", required=True),
        _f("seq", INT, "count", "Report sequence number within boot_id, from 0, +1 per report.",
           required=True),
        _f("start_ts", INT, "s", "Start of the reporting interval, Unix epoch seconds.", required=True),
        _f("end_ts", INT, "s", "End of the reporting interval, Unix epoch seconds.", required=True),
        _f("sample_interval_s", INT, "s", "Sampling interval in force during the report.", required=True),
        _f("kind", STR, "", "'periodic' or 'diagnosis' (a sample taken at once on a command)."),
        _f("flags", STR_LIST, "", "State flags: counters_degraded, flow_offload, conntrack_acct_off, "
           "mac_hashed, clock_unsynced."),
        _f("dropped_reports", INT, "count", "Reports the on-gateway queue dropped (full or too old) since "
           "the previous report that reached the broker."),
        _f("queue_depth", INT, "count", "Reports waiting in the on-gateway queue when this one was built."),
        _f("command_id", STR, "", "For kind=diagnosis: the id of the command that asked for it."),
        _f("inventory", STR, "", "'full' when the devices section lists every device, 'changes' when it "
           "lists only new or changed devices (the default when absent)."),
    ),
)

_SAMPLES = _f("samples", INT, "count", "Samples of the report interval this record summarises (the agent samples "
              "every header.sample_interval_s and aggregates into one record per report).")

RADIOS = Section(
    key="radios",
    doc="Per radio, one record per report: channel, width and how busy the air was over the interval.",
    cadence="per radio per report",
    fields=(
        _f("radio", STR, "", "Interface of the radio's access point, e.g. phy0-ap0 or wlan0.", required=True),
        _f("band", STR, "GHz", "'2.4', '5' or '6'.", tr181="Device.WiFi.Radio.{i}.OperatingFrequencyBand"),
        _SAMPLES,
        _f("channel", INT, "", "Primary channel number at the last sample.", tr181="Device.WiFi.Radio.{i}.Channel"),
        _f("width_mhz", INT, "MHz", "Channel width at the last sample.",
           tr181="Device.WiFi.Radio.{i}.CurrentOperatingChannelBandwidth"),
        _f("noise_dbm", INT, "dBm", "Mean noise floor from the survey of the in-use channel.",
           tr181="Device.WiFi.Radio.{i}.Stats.Noise"),
        _f("busy_pct", FLOAT, "%", "Mean channel busy time as a share of the survey intervals (0-100); null when "
           "the driver reports no busy time.", tr181="Wi-Fi Data Elements Radio.Utilization"),
        _f("busy_max_pct", FLOAT, "%", "Highest busy share of any one sample interval (0-100).", periodic=False),
        _f("tx_pct", FLOAT, "%", "Mean share of time this radio transmitted (0-100)."),
        _f("rx_pct", FLOAT, "%", "Mean share of time this radio received (0-100)."),
        _f("stations", INT, "count", "Most stations associated at any sample.",
           tr181="Device.WiFi.AccessPoint.{i}.AssociatedDeviceNumberOfEntries"),
    ),
)

STATIONS = Section(
    key="stations",
    doc="Per associated Wi-Fi station (per link for a multi-link Wi-Fi 7 station), one record per report. "
        "tx is access point to station (downlink), rx is station to access point (uplink). Counters are sums "
        "of per-sample deltas over the interval and never negative (a counter reset restarts from the new "
        "value); levels are the mean of the samples in which the station was associated.",
    cadence="per station per report",
    fields=(
        _f("mac", STR, "", "Station MAC (lower-case, colon separated) or, with MAC hashing on, "
           "'h:' + 16 hex digits of a per-home keyed hash. For a multi-link station: its MLD address.",
           required=True, tr181="AssociatedDevice.{i}.MACAddress"),
        _f("radio", STR, "", "Interface the station is associated to (at the last sample).", required=True),
        _f("band", STR, "GHz", "'2.4', '5' or '6'."),
        _f("link_id", INT, "", "Multi-link operation link number; null for a single-link station."),
        _SAMPLES,
        _f("signal_dbm", INT, "dBm", "Signal strength at the last sample.",
           tr181="AssociatedDevice.{i}.SignalStrength", periodic=False),
        _f("signal_avg_dbm", INT, "dBm", "Mean signal over the samples (the driver's average where it has one)."),
        _f("signal_min_dbm", INT, "dBm", "Weakest signal of any sample."),
        _f("noise_dbm", INT, "dBm", "Noise on the station's channel where known.", periodic=False),
        _f("tx_rate_mbps", FLOAT, "Mbit/s", "Mean PHY rate of frames sent to the station.",
           tr181="AssociatedDevice.{i}.LastDataDownlinkRate (kbit/s there)"),
        _f("tx_rate_min_mbps", FLOAT, "Mbit/s", "Lowest sampled PHY rate of frames sent to the station.",
           periodic=False),
        _f("rx_rate_mbps", FLOAT, "Mbit/s", "Mean PHY rate of frames received from the station.",
           tr181="AssociatedDevice.{i}.LastDataUplinkRate (kbit/s there)"),
        _f("tx_mcs", INT, "", "MCS index of the tx rate at the last sample.", periodic=False),
        _f("tx_nss", INT, "count", "Spatial streams of the tx rate at the last sample.", periodic=False),
        _f("tx_width_mhz", INT, "MHz", "Channel width of the tx rate at the last sample.", periodic=False),
        _f("rx_mcs", INT, "", "MCS index of the rx rate at the last sample.", periodic=False),
        _f("rx_nss", INT, "count", "Spatial streams of the rx rate at the last sample.", periodic=False),
        _f("rx_width_mhz", INT, "MHz", "Channel width of the rx rate at the last sample.", periodic=False),
        _f("tx_retries", INT, "count", "Frames retransmitted to the station during the interval.",
           tr181="AssociatedDevice.{i}.Stats.RetransCount"),
        _f("tx_failed", INT, "count", "Frames that failed after all retries during the interval.",
           tr181="AssociatedDevice.{i}.Stats.FailedRetransCount", periodic=False),
        _f("tx_bytes", INT, "bytes", "Bytes sent to the station during the interval.",
           tr181="AssociatedDevice.{i}.Stats.BytesSent"),
        _f("rx_bytes", INT, "bytes", "Bytes received from the station during the interval.",
           tr181="AssociatedDevice.{i}.Stats.BytesReceived"),
        _f("tx_packets", INT, "count", "Packets sent to the station during the interval.",
           tr181="AssociatedDevice.{i}.Stats.PacketsSent"),
        _f("rx_packets", INT, "count", "Packets received from the station during the interval.",
           tr181="AssociatedDevice.{i}.Stats.PacketsReceived", periodic=False),
        _f("inactive_ms", INT, "ms", "Time since the station last sent or received a frame, at the last sample.",
           periodic=False),
        _f("connected_s", INT, "s", "Time since the station (re)associated, at the last sample.",
           tr181="Wi-Fi Data Elements STA.LastConnectTime", periodic=False),
        _f("expected_tput_mbps", FLOAT, "Mbit/s", "Mean of the driver's expected throughput to the station.",
           tr181="Wi-Fi Data Elements STA.EstMACDataRateDownlink", periodic=False),
        _f("airtime_tx_ms", INT, "ms", "Air time spent sending to the station during the interval.", periodic=False),
        _f("airtime_rx_ms", INT, "ms", "Air time spent receiving from the station during the interval.",
           periodic=False),
        _f("standard", STR, "", "Highest common capability: 'n', 'ac', 'ax' or 'be'.",
           tr181="AssociatedDevice.{i}.OperatingStandard", periodic=False),
    ),
)

DEVICES = Section(
    key="devices",
    doc="The home's device inventory. A report carries every device when header.inventory is 'full' (at "
        "least once an hour and after the agent starts) and otherwise only the devices that appeared or "
        "changed (addresses, name, class, connection) since the previous report; a device that is not listed "
        "did not change.",
    cadence="per new or changed device per report; every device in a full inventory",
    fields=(
        _f("mac", STR, "", "Device MAC or keyed hash, as in stations.mac.", required=True,
           tr181="Device.Hosts.Host.{i}.PhysAddress"),
        _f("ips", STR_LIST, "", "IPv4 and IPv6 addresses seen for the device (DHCP lease, neighbours).",
           tr181="Device.Hosts.Host.{i}.IPAddress"),
        _f("hostname", STR, "", "Host name from the DHCP lease, if any.", tr181="Device.Hosts.Host.{i}.HostName"),
        _f("vendor", STR, "", "Vendor from the MAC's OUI; null for a randomised (locally administered) MAC."),
        _f("device_class", STR, "", "phone, laptop, desktop, tablet, tv, streamer, console, speaker, camera, "
           "iot, printer, nas, unknown."),
        _f("class_confidence", FLOAT, "ratio", "Confidence of device_class, 0-1."),
        _f("connection", STR, "", "'wired', '2.4', '5', '6' (Wi-Fi band in GHz) or 'unknown'.",
           tr181="Device.Hosts.Host.{i}.Layer1Interface"),
        _f("first_seen", INT, "s", "When the agent first saw the device, Unix epoch seconds."),
        _f("last_seen", INT, "s", "When the agent last saw the device active, Unix epoch seconds."),
    ),
)

APPS = Section(
    key="apps",
    doc="Per device and application, one record per report: IP-level flow counters from conntrack (never "
        "payload), summed over the interval. 'up' is from the home to the Internet, 'down' towards the home. "
        "Flows the agent could not classify are reported as app 'unclassified', never guessed.",
    cadence="per (device, application) per report",
    fields=(
        _f("mac", STR, "", "Device the flows belong to (its MAC or keyed hash); '' for the gateway itself "
           "or an address with no known device.", required=True),
        _f("app", STR, "", "Application id from the classification tables (e.g. netflix, youtube, zoom, "
           "smtp, dns, quic, web, gaming, unclassified).", required=True),
        _f("bytes_up", INT, "bytes", "Bytes sent by the device during the interval."),
        _f("bytes_down", INT, "bytes", "Bytes received by the device during the interval."),
        _f("packets_up", INT, "count", "Packets sent by the device during the interval.", periodic=False),
        _f("packets_down", INT, "count", "Packets received by the device during the interval.", periodic=False),
        _f("flows", INT, "count", "Distinct flows that carried traffic during the interval."),
        _f("new_flows", INT, "count", "Flows first seen during the interval."),
        _f("dests", INT, "count", "Distinct remote addresses of those flows over the interval."),
        _f("active_samples", INT, "count", "Samples of the interval in which the device moved traffic of this "
           "application (activity minutes at 60 s sampling)."),
    ),
)

PROBES = Section(
    key="probes",
    doc="Active QoE probes run by the gateway during the interval, one record per target per report: "
        "round-trip time, jitter and loss, and DNS resolution time.",
    cadence="per target per report",
    fields=(
        _f("target", STR, "", "'first_hop', a configured host or address, or 'dns' for the resolver.",
           required=True),
        _f("kind", STR, "", "'icmp', 'tcp' (connect time) or 'dns'.", required=True),
        _f("sent", INT, "count", "Probes sent during the interval."),
        _f("lost", INT, "count", "Probes with no answer in time."),
        _f("rtt_ms", FLOAT, "ms", "Mean round-trip (or resolution) time of answered probes.",
           tr181="Device.IP.Diagnostics.IPPing.AverageResponseTimeDetailed (us there)"),
        _f("rtt_min_ms", FLOAT, "ms", "Smallest round-trip time.", periodic=False),
        _f("rtt_max_ms", FLOAT, "ms", "Largest round-trip time."),
        _f("jitter_ms", FLOAT, "ms", "Mean absolute difference of consecutive round-trip times (RFC 3550 style)."),
    ),
)

HEALTH = Section(
    key="health",
    doc="The gateway's own health and its WAN link, one record per report.",
    cadence="per report",
    fields=(
        _SAMPLES,
        _f("uptime_s", INT, "s", "Time since the gateway booted, at the last sample.",
           tr181="Device.DeviceInfo.UpTime"),
        _f("load1", FLOAT, "", "Mean one-minute load average."),
        _f("cpu_pct", FLOAT, "%", "Mean CPU busy share over the interval, all cores (0-100).",
           tr181="Device.DeviceInfo.ProcessStatus.CPUUsage"),
        _f("cpu_max_pct", FLOAT, "%", "Highest CPU busy share of any one sample interval (0-100)."),
        _f("mem_used_pct", FLOAT, "%", "Highest memory in use at any sample, excluding caches (0-100)."),
        _f("mem_total_kb", INT, "KiB", "Total memory.", tr181="Device.DeviceInfo.MemoryStatus.Total", periodic=False),
        _f("wan_up", BOOL, "", "WAN link up at the last sample.", periodic=False),
        _f("wan_down_s", INT, "s", "Time the WAN link was seen down during the interval (whole samples)."),
        _f("wan_flaps", INT, "count", "WAN link down transitions during the interval."),
        _f("wan_rx_bytes", INT, "bytes", "Bytes received on the WAN interface during the interval."),
        _f("wan_tx_bytes", INT, "bytes", "Bytes sent on the WAN interface during the interval."),
        _f("conntrack_entries", INT, "count", "Most connection-tracking entries at any sample."),
        _f("agent_cpu_ms", INT, "ms", "CPU time the agent used during the interval."),
        _f("agent_rss_kb", INT, "KiB", "Largest agent resident memory at any sample."),
    ),
)

EVENTS = Section(
    key="events",
    doc="Things that happened between samples.",
    cadence="per event",
    fields=(
        _TS,
        _f("kind", STR, "", "connect, disconnect, roam, wan_down, wan_up, reboot, agent_start, "
           "config_change, queue_drop, notification_shown.", required=True),
        _f("mac", STR, "", "Device concerned, if any."),
        _f("detail", STR, "", "Short human-readable detail."),
    ),
)

ERRORS = Section(
    key="errors",
    doc="Collector failures: one failing collector never stops the others, its error is reported here.",
    cadence="per collector error",
    fields=(
        _TS,
        _f("collector", STR, "", "wifi, inventory, conntrack, apps, probes, health, ...", required=True),
        _f("error", STR, "", "Short reason, no secrets, at most 256 characters.", required=True),
        _f("count", INT, "count", "How many times it happened in the interval."),
    ),
)

#: Columnar sections in the order they appear in SCHEMA.md.
SECTIONS: Final = (RADIOS, STATIONS, DEVICES, APPS, PROBES, HEALTH, EVENTS, ERRORS)
SECTIONS_BY_KEY: Final = {s.key: s for s in SECTIONS}
#: Per section, the diagnosis-only columns a periodic report leaves out (schema 1.1).
DIAGNOSIS_ONLY: Final = {s.key: frozenset(f.name for f in s.fields if not f.periodic) for s in SECTIONS}

HEADER_FLAGS: Final = frozenset(
    {"counters_degraded", "flow_offload", "conntrack_acct_off", "mac_hashed", "clock_unsynced"}
)
REPORT_KINDS: Final = frozenset({"periodic", "diagnosis"})
INVENTORY_MODES: Final = frozenset({"full", "changes"})
