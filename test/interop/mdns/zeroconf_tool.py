#!/usr/bin/env python3
"""python-zeroconf (Debian python3-zeroconf) as an independent mDNS / DNS-SD peer for the lab.

Runs only inside a network namespace of the netns LAN (test/helpers/netns_lan.ts): it refuses to
start in PID 1's network namespace, where it would multicast on the machine's real network.

Usage (always through `ip netns exec`, which the lab's spawn() does):
  zeroconf_tool.py browse <type> <seconds>
      Prints one JSON line per resolved instance, then {"done": true, "count": N}:
      {"event": "resolved", "name", "type", "server", "port", "addresses": [...],
       "properties": {key: value-or-null}}
      and {"event": "removed", "name", "type"} for goodbyes seen while browsing.
  zeroconf_tool.py publish <type> <instance> <port> [key=value ...]
      Registers the service (probing and announcing as python-zeroconf does), prints
      {"event": "registered", "name", "server"} and keeps it until SIGTERM or SIGINT, then
      unregisters it (goodbye, TTL 0) and prints {"event": "unregistered"}.
Options: --server <host.local.> (default: <hostname>.local.), --address <ip> (repeatable; default:
every address of every interface but loopback).
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time

import ifaddr
from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf


def refuse_outside_lab():
    """Fails closed unless this process runs in the lab namespace it was started for.

    The lab's spawn() passes SUPERPEER_LAB_NETNS_INODE (the inode of the namespace it created) and
    SUPERPEER_LAB_OUTSIDE_INODES (its own namespace's, and PID 1's when readable): this process's
    namespace must be the first and none of the others. Anything missing or unreadable: refuse.
    """
    expected = os.environ.get("SUPERPEER_LAB_NETNS_INODE", "")
    outside = [x for x in os.environ.get("SUPERPEER_LAB_OUTSIDE_INODES", "").split(",") if x]
    try:
        own = os.stat("/proc/self/ns/net")
    except OSError as error:
        sys.exit(f"zeroconf_tool: cannot tell which network namespace this is ({error}): refusing to multicast")
    try:
        init = os.stat("/proc/1/ns/net")
        outside.append(f"{init.st_dev}:{init.st_ino}")
    except OSError:
        pass  # unreadable without CAP_SYS_PTRACE: the lab's own reference must do
    here = f"{own.st_dev}:{own.st_ino}"
    if not expected or not outside or here != expected or here in outside:
        sys.exit("zeroconf_tool: refusing to multicast: not inside the lab namespace it was started for "
                 f"(here {here}, lab {expected or 'unset'}, outside {','.join(outside) or 'unset'}); "
                 "start it with the lab's spawn() (test/helpers/netns_lan.ts)")


def lab_addresses():
    """Every non-loopback address of this namespace, IPv6 link-local included.

    Zeroconf(interfaces=[...]) maps an IPv6 address given as text to its interface index itself
    (zeroconf/_utils/net.py ip6_addresses_to_indexes); tuples in that list are ignored.
    """
    out = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            address = ip.ip[0] if isinstance(ip.ip, tuple) else ip.ip
            if address.startswith("127.") or address == "::1":
                continue
            out.append(address)
    return out


def say(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


def decode_properties(properties):
    out = {}
    for key, value in (properties or {}).items():
        k = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        out[k] = None if value is None else (
            value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    return out


def browse(zc, service_type, seconds):
    seen = {}
    lock = threading.Lock()

    def on_change(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Removed:
            say({"event": "removed", "name": name, "type": service_type})
            return
        info = zeroconf.get_service_info(service_type, name, timeout=3000)
        if info is None:
            say({"event": "unresolved", "name": name, "type": service_type})
            return
        record = {
            "event": "resolved",
            "name": name,
            "type": service_type,
            "server": info.server,
            "port": info.port,
            "addresses": sorted(info.parsed_scoped_addresses(IPVersion.All)),
            "properties": decode_properties(info.properties),
        }
        with lock:
            if seen.get(name) == record:
                return
            seen[name] = record
        say(record)

    browser = ServiceBrowser(zc, service_type, handlers=[on_change])
    time.sleep(seconds)
    browser.cancel()
    say({"done": True, "count": len(seen)})


def publish(zc, service_type, instance, port, pairs, server, addresses):
    properties = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        properties[key] = value if sep else None
    info = ServiceInfo(
        service_type,
        f"{instance}.{service_type}",
        port=port,
        properties=properties,
        server=server,
        parsed_addresses=addresses,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    zc.register_service(info)
    say({"event": "registered", "name": info.name, "server": info.server})
    stop.wait()
    zc.unregister_service(info)
    say({"event": "unregistered", "name": info.name})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default=None)
    parser.add_argument("--address", action="append", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("browse")
    b.add_argument("type")
    b.add_argument("seconds", type=float)
    p = sub.add_parser("publish")
    p.add_argument("type")
    p.add_argument("instance")
    p.add_argument("port", type=int)
    p.add_argument("txt", nargs="*")
    args = parser.parse_args()

    refuse_outside_lab()
    addresses = lab_addresses()
    if args.address:
        addresses = [a for a in addresses if a in args.address]
    if not addresses:
        sys.exit("zeroconf_tool: no address but loopback in this namespace: is the lab up?")
    zc = Zeroconf(interfaces=addresses, ip_version=IPVersion.All)
    try:
        if args.command == "browse":
            browse(zc, args.type, args.seconds)
        else:
            server = args.server or f"{socket.gethostname()}.local."
            publish(zc, args.type, args.instance, args.port, args.txt, server, addresses)
    finally:
        zc.close()


if __name__ == "__main__":
    main()
