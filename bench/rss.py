"""Resident memory of this process and of fresh interpreters: what the agent footprint bench measures."""

from __future__ import annotations

import subprocess
import sys


def rss_kb() -> int:
    """This process's resident set size in KiB, from /proc/self/status."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bare_interpreter_rss_kb() -> int:
    """RSS of a bare interpreter on this machine (what no agent code can make smaller)."""
    code = ("for line in open('/proc/self/status'):\n"
            "    if line.startswith('VmRSS:'): print(line.split()[1])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def daemon_import_rss_kb(without_ssl: bool) -> int:
    """RSS of a fresh interpreter that imported the daemon (paho included), optionally as on a gateway whose
    Python lacks OpenSSL's modules: OpenWrt's python3-openssl carries _ssl and _hashlib, and a gateway on
    plain MQTT need not install it (hashlib then uses Python's built-in hashes)."""
    block = "import sys; sys.modules['_ssl'] = sys.modules['_hashlib'] = None\n" if without_ssl else ""
    code = (block + "import porchlight_agent.daemon\n"
            "for line in open('/proc/self/status'):\n"
            "    if line.startswith('VmRSS:'): print(line.split()[1])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())
