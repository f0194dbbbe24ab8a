"""Beagle's side of the peer comparison; runs INSIDE Beagle's own venv (Python 3.7), never the project's.

Beagle 1.0.5 (``pybeagle`` on PyPI, May 2019) builds its graph from a
datasource (a generator of flat dicts) through a transformer (dicts to
``Node`` objects, in a producer/consumer thread pool) and a backend (here
NetworkX, its default).  Its Windows datasources read binary EVTX through
``python-evtx`` and flatten each record's XML: ``SysmonEVTX`` into
``EventID``, ``Computer`` and ``EventData_<Name>`` keys for the Sysmon
transformer, ``WinEVTX`` into lower-case ``eventid_qualifiers``,
``computer`` and ``data_name_<name>`` keys for the Windows transformer (which
reads Security 4688 only).  The corpus's Sysmon records are NXLog JSON, so
:class:`NdjsonWindows` yields each record in exactly those shapes (what
``parse_record`` would have produced from the same event's XML): Sysmon
channel records to ``SysmonTransformer``, Security records to
``WinEVTXTransformer``, both node lists into ONE NetworkX graph (more than
Beagle's UI does with two uploads: the most generous reading).  Records of
other channels reach no transformer and are counted as dropped.

``--adapter-check FILE`` (an EVTX file) flattens its records as NXLog does,
feeds them through :class:`NdjsonWindows` and through Beagle's own EVTX
datasource, and says whether both graphs have the same nodes, edges and
facts (on the corpus's Sysmon EVTX files they do).

``--evtx FILE`` instead runs Beagle's own datasource on a binary EVTX file,
unchanged (python-evtx and lxml included): ``SysmonEVTX`` when its first
record is Sysmon's, else ``WinEVTX``, as a user picks one in Beagle.

Prints one JSON object: records, cpu_s, wall_s, peak_rss_mb, nodes, edges
(distinct (source, destination, edge type): ``consolidate_edges=True``),
errors (events whose transform raised), kinds ("<channel> <event id>" ->
[records, records that produced nodes]) and facts (spawns, accesses, writes,
connects as lower-case image names), the same shape as
``benchmarks/peers_graphsiem.py``.
"""

import argparse
import datetime
import json
import resource
import sys
import threading
import time
from collections import defaultdict

from beagle.backends.networkx import NetworkX
from beagle.common import logger
from beagle.datasources.base_datasource import DataSource
from beagle.datasources.sysmon_evtx import SysmonEVTX
from beagle.datasources.win_evtx import WinEVTX
from beagle.transformers.evtx_transformer import WinEVTXTransformer
from beagle.transformers.sysmon_transformer import SysmonTransformer

SYSMON = "Microsoft-Windows-Sysmon/Operational"
# NXLog's envelope fields: not EventData in the event's XML
ENVELOPE = {"EventID", "Hostname", "Channel", "EventTime", "EventReceivedTime", "SourceModuleName",
            "SourceModuleType", "Message", "@timestamp", "@version", "tags", "host", "port", "_bench_copy"}


def record_kind(record):
    channel = record.get("Channel") or record.get("log_name") or "?"
    return "{} {}".format(channel, record.get("EventID", record.get("event_id", "?")))


def utc_epoch(text):
    """Beagle's SysmonEVTX.parse_record conversion of UtcTime (kept as it does it)."""
    return int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").strftime("%s"))


def event_time(record):
    """WinEVTX.parse_record's epoch of TimeCreated, from NXLog's EventTime (Winlogbeat's @timestamp)."""
    text = record.get("EventTime") or record.get("@timestamp", "")[:19].replace("T", " ")
    return int(datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").strftime("%s")) if text else 0


def as_sysmon_evtx(record):
    """The dict SysmonEVTX.parse_record makes of this Sysmon event's XML."""
    data = record.get("event_data") or record
    out = {"EventID": str(record.get("EventID", record.get("event_id"))),
           "Computer": record.get("Hostname") or record.get("computer_name")}
    for key, value in data.items():
        if key not in ENVELOPE and value is not None:
            out["EventData_" + key] = str(value)
    if "EventData_UtcTime" in out:
        out["EventData_UtcTime"] = utc_epoch(out["EventData_UtcTime"])
    return out


def as_win_evtx(record):
    """The dict WinEVTX.parse_record makes of this Security event's XML."""
    data = record.get("event_data") or record
    out = {"eventid_qualifiers": str(record.get("EventID", record.get("event_id"))),
           "computer": record.get("Hostname") or record.get("computer_name"),
           "timecreated_systemtime": event_time(record)}
    for key, value in data.items():
        if key not in ENVELOPE and value is not None:
            out["data_name_" + key.lower()] = str(value)
    return out


class NdjsonWindows(DataSource):
    """NXLog / Winlogbeat NDJSON Windows records of one channel group, in Beagle's EVTX shapes."""

    name = "NDJSON Windows events"
    transformers = [SysmonTransformer]
    category = "SysMon"

    def __init__(self, path, security):
        self.path = path
        self.security = security
        self.host = None

    def events(self):
        with open(self.path, "rb") as stream:
            for line in stream:
                if not line.strip():
                    continue
                record = json.loads(line)
                channel = record.get("Channel") or record.get("log_name")
                self.host = self.host or record.get("Hostname")
                if self.security and channel == "Security":
                    yield dict(as_win_evtx(record), _kind=record_kind(record))
                elif not self.security and channel == SYSMON:
                    yield dict(as_sysmon_evtx(record), _kind=record_kind(record))

    def metadata(self):
        return {"hostname": self.host}


class Counted:
    """Mix-in: count, per record kind, the events a transformer turned into nodes."""

    def transform(self, event):
        kind = event.pop("_kind", None)
        nodes = super().transform(event)
        if kind is not None and nodes:
            with LOCK:
                USED[kind] += 1
        return nodes


class CountedSysmon(Counted, SysmonTransformer):
    pass


class CountedWinEvtx(Counted, WinEVTXTransformer):
    pass


LOCK = threading.Lock()
USED = defaultdict(int)


def facts(graph):
    """Spawns, accesses, writes and connects of the graph, as lower-case image names."""
    def image(node):
        return (getattr(node, "process_image", None) or "").lower()

    out = {"spawns": [], "accesses": [], "writes": [], "connects": []}
    for source, target, data in graph.edges(data=True):
        src, dst = graph.nodes[source]["data"], graph.nodes[target]["data"]
        name = data["edge_name"]
        if name == "Launched":
            out["spawns"].append([image(src), image(dst), getattr(dst, "command_line", None) or "", ""])
        elif name == "Connected To":
            out["connects"].append([image(src), getattr(dst, "ip_address", "")])
        elif name in ("Wrote", "Accessed") and hasattr(dst, "file_name"):
            out["writes"].append([image(src), (dst.file_name or "").lower()])
    return {key: sorted(value) for key, value in out.items()}


def run_ndjson(path):
    records = 0
    kinds = defaultdict(int)
    with open(path, "rb") as stream:
        for line in stream:
            if line.strip():
                records += 1
                kinds[record_kind(json.loads(line))] += 1
    wall, cpu = time.perf_counter(), time.process_time()
    sysmon = CountedSysmon(NdjsonWindows(path, security=False))
    security = CountedWinEvtx(NdjsonWindows(path, security=True))
    nodes = sysmon.run() + security.run()
    graph = NetworkX(nodes=nodes, metadata={}, consolidate_edges=True).graph()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    errors = sum(len(v) for t in (sysmon, security) for v in t.errors.values())
    return records, cpu, wall, graph, errors, {k: [n, USED[k]] for k, n in kinds.items()}


def first_channel(path):
    """The Channel of the file's first record (how a user picks Beagle's datasource for it)."""
    import Evtx.Evtx as evtx

    with evtx.Evtx(path) as log:
        for record in log.records():
            for element in record.lxml().iter():
                if element.tag.endswith("}Channel"):
                    return element.text
    return None


def run_evtx(path):
    wall, cpu = time.perf_counter(), time.process_time()
    if first_channel(path) == SYSMON:
        source, transformer_class = SysmonEVTX(path), CountedSysmon
    else:
        source, transformer_class = WinEVTX(path), CountedWinEvtx
    transformer = transformer_class(source)
    graph = NetworkX(nodes=transformer.run(), metadata={}, consolidate_edges=True).graph()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    records = sum(1 for _ in source.events())
    errors = sum(len(v) for v in transformer.errors.values())
    return records, cpu, wall, graph, errors, {}


def as_nxlog(path):
    """The records of an EVTX file as flat NXLog-style dicts (Channel, EventID, Hostname, EventData)."""
    import Evtx.Evtx as evtx

    with evtx.Evtx(path) as log:
        for record in log.records():
            row = {}
            for element in record.lxml().iter():
                tag = element.tag.split("}")[-1]
                if tag == "EventID":
                    row["EventID"] = int(element.text)
                elif tag == "Channel":
                    row["Channel"] = element.text
                elif tag == "Computer":
                    row["Hostname"] = element.text
                elif tag == "Data" and element.get("Name"):
                    row[element.get("Name")] = element.text
            yield row


def adapter_check(path):
    """Whether the NDJSON adapter gives the graph Beagle's own EVTX datasource gives, on one EVTX file."""
    import os
    import tempfile

    handle, flat = tempfile.mkstemp(suffix=".ndjson")
    try:
        with os.fdopen(handle, "w") as stream:
            for row in as_nxlog(path):
                stream.write(json.dumps(row) + "\n")
        adapted, native = run_ndjson(flat)[3], run_evtx(path)[3]
    finally:
        os.unlink(flat)
    return {"adapted": [adapted.number_of_nodes(), adapted.number_of_edges()],
            "native": [native.number_of_nodes(), native.number_of_edges()],
            "same_facts": facts(adapted) == facts(native)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--evtx", action="store_true", help="a binary EVTX file, through SysmonEVTX or WinEVTX")
    parser.add_argument("--coverage", action="store_true", help="also print kinds and facts")
    parser.add_argument("--adapter-check", action="store_true",
                        help="an EVTX file: compare the NDJSON adapter's graph with Beagle's own datasource's")
    args = parser.parse_args()
    logger.remove()  # Beagle logs every event at INFO/DEBUG: its cost is not the graph's
    if args.adapter_check:
        sys.stdout.write(json.dumps(adapter_check(args.path)) + "\n")
        return 0
    records, cpu, wall, graph, errors, kinds = (run_evtx if args.evtx else run_ndjson)(args.path)
    result = {"records": records, "rejected": errors, "cpu_s": cpu, "wall_s": wall,
              "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if args.coverage:
        result["kinds"] = kinds
        result["facts"] = facts(graph)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
