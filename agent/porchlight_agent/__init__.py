"""Porchlight gateway agent: samples Wi-Fi, devices, application flows, QoE and its own health, and
publishes compact reports over MQTT. Runs on python3-light 3.11 with paho-mqtt 1.6 or 2.x."""

__version__ = "0.1.0"
