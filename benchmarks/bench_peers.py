"""GraphSIEM against its open-source peers: the same Sysmon records into each one's graph.

Run: ``bash benchmarks/peers_install.sh && .venv/bin/python benchmarks/bench_peers.py
[--records 50000] [--repeat 3]``.  The peers live in ``.cache/peers/<name>/``
(never the project's venv); each side runs in a process of its own
(``benchmarks/peers_graphsiem.py`` with the project's Python,
``benchmarks/peers_beagle_driver.py`` with Beagle's), which prints its figures
as JSON.

Three parts:

1. **Throughput**: the herpaderping and Empire launcher records (NXLog JSON,
   Sysmon + Security + PowerShell channels, 2,349 records) tiled to
   ``--records`` (each copy marked ``_bench_copy`` so GraphSIEM journals it as
   new), then each side builds its graph from the file ``--repeat`` times:
   records per CPU second (median, all threads of the process), wall and CPU
   seconds, peak RSS, nodes, edges (distinct source, destination and type),
   records rejected or whose transform raised, and the share of records that
   reach the graph (from part 2, run first) with the CPU microseconds per
   such record: a tool that drops most records is cheap per record read.  GraphSIEM's figure is the
   whole ``graphsiem ingest``: parse, the durable journal (SQLite), the
   projection and the embedded store's flush to disk; Beagle's is its
   datasource, transformer threads and NetworkX backend, in memory, nothing
   kept on disk.
2. **Coverage**: per Windows (channel, event id) of each sample, the records
   that reached each graph (GraphSIEM: records whose event is the evidence
   of a relation; Beagle: records its transformer turned into nodes).
3. **Correctness**: does each graph hold the process chain GraphSIEM shows?
   Herpaderping: cmd.exe -> ProcessHerpaderping.exe (``mimikatz.exe`` in
   its command line) -> wardog.exe (mimikatz written over wardog.exe), the
   write and the access; Empire: explorer.exe -> wscript.exe (launcher.vbs)
   -> powershell.exe ``-enc`` whose decoded stager (``/news.php``) is readable,
   powershell.exe -> whoami.exe, and powershell.exe's connection to the C2.

Beagle reads NDJSON here, not EVTX: the corpus's Sysmon is NXLog JSON, and
no tool on this machine writes binary EVTX.  The driver yields each record in
the exact dict Beagle's own ``SysmonEVTX`` / ``WinEVTX`` make of the event's
XML (``peers_beagle_driver.py``): the fastest input Beagle can have.  A
fourth part runs each tool's own EVTX reader on the corpus's binary EVTX
files (Beagle's ``SysmonEVTX`` or ``WinEVTX``, python-evtx included):
records per CPU second (small files: fixed costs weigh), nodes, edges; and
checks on the same files that the NDJSON adapter gives Beagle the graph its
own EVTX datasource gives.

The peers (tried 2026-12-01; each time-boxed to ~25 minutes):

* **Beagle** (yampelo/beagle): ``pybeagle`` 1.0.5 on PyPI, the last release
  (May 2019), with every dependency pinned to 2019 (numpy 1.16.2, pandas 0.24.2,
  lxml 4.3.3, networkx 2.3rc3): wheels exist for CPython 3.7 only, so
  ``peers_install.sh`` gives it a Python 3.7 venv (pyenv's 3.7.16 here).
  Installed and run.  Its Sysmon transformer reads Sysmon 1, 3 and 13-15 (11
  has a method that nothing calls); its Windows transformer reads 4688 only.
* **Timesketch graphs**: ``timesketch`` is on PyPI (20261014), but its graph
  plugins (``WinLoginsGraph``, ``WinServiceGraph``, ...) run in the server
  against events in OpenSearch, with PostgreSQL, Redis and Celery workers.
  OpenSearch is on none of the registries this machine reaches
  (``apt-cache policy opensearch elasticsearch``: no such package; its
  distribution is a tarball from its own site).  Not run.
* **BloodHound CE's ingest** (Go, SpecterOps/BloodHound): it ingests
  SharpHound/AzureHound collections (AD users, groups, computers, sessions,
  ACLs as JSON) into PostgreSQL + Neo4j; it reads no event telemetry, so no
  record of this corpus is input to it and no fair comparison exists (a
  comparison would need SharpHound output of the same domain, which the
  samples do not have).  Not installed.
* **GraphHunter** (Base4Security/GraphHunter): a Rust core
  (``graph_hunter_core``: Sysmon, Sentinel, generic JSON and CSV parsers into
  an in-memory graph, hypothesis search) inside a Tauri desktop app.  Not
  published on crates.io (``cargo info graph_hunter_core``:
  "could not find `graph_hunter_core` in registry"; same for
  ``graph-hunter-core``), nor on PyPI or npm; building it needs its source
  repository, which this machine cannot fetch.  Not run.

Figures (2026-12-01 01:40-01:50 UTC, 2 shared cores at load 19-22, default
``--records 50000 --repeat 3``; records per CPU second are the figure to read,
wall seconds are inflated by the load):

=========  ==========  =============  ======  =====  =======  =====  =====  ========  ============
tool       rec/CPU-s   runs           wall s  CPU s  RSS MiB  nodes  edges  in graph  us/graph rec
=========  ==========  =============  ======  =====  =======  =====  =====  ========  ============
GraphSIEM  22,034      20,974-22,649  18.13   2.35   229      335    606    67.7%     67
Beagle     10,166 [1]  10,023-10,798  19.72   5.08   121      120    115    4.6%      2,139
=========  ==========  =============  ======  =====  =======  =====  =====  ========  ============

[1] x0.46 of GraphSIEM (x0.55 and x0.52 in two earlier runs at load 16-22).
At 202,014 records (``--repeat 1``): GraphSIEM 22,993 rec/CPU-s, 245 MiB;
Beagle 11,195, 175 MiB (x0.49): GraphSIEM's memory is bounded by its batch,
Beagle keeps every node object until the graph is built.  No record rejected
and no transform error on either side.

Coverage (records that reach the graph): herpaderping 266 of 282 GraphSIEM,
25 Beagle; Empire launcher 1,325 of 2,067 GraphSIEM, 83 Beagle.  Beagle drops
every Sysmon 5, 7, 10, 11, 12, 17, 18, 22, 23, all PowerShell and every
Security event but 4688.  GraphSIEM journals but makes no relation of
Security 1102 (a finding, not an edge), 4627, 4634, 4656, 4658, 4670, 4672,
4673, 4689, 4690, 4703, 5158, Sysmon 9 (raw disk read), WMI 5857, PowerShell
4103 / 800 / 400 / 600 (module and engine logging; 4104 script blocks are
read) and 40961 / 40962 / 53504.  Chain: Beagle holds every spawn and the
C2 connection, but neither ProcessHerpaderping.exe writing and opening
wardog.exe (Sysmon 11 and 10) nor the decoded Empire stager (its graph
keeps the ``-enc`` base64 only); GraphSIEM holds all nine checks.

Native EVTX: GraphSIEM 7,017 rec/CPU-s on DE_1102_security_log_cleared.evtx
(112 records, the largest) against Beagle's WinEVTX 165 (x0.02, python-evtx);
on the 1-10 record files fixed costs dominate (GraphSIEM 96-955, Beagle
32-81).  ``sysmon_10_lsass_mimikatz_sekurlsa_logonpasswords.evtx``: GraphSIEM
3 nodes / 3 edges (mimikatz ACCESSED lsass), Beagle 0 / 0.

Summarised in ``docs/performance.md``, "Against the peers".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.tiled_copies import numbered_copy  # noqa: E402
from tests.samples import samples_path  # noqa: E402

OTRF = samples_path() / "otrf-security-datasets"
SAMPLES = {
    "herpaderping": OTRF / "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json",
    "empire": OTRF / "empire_launcher_vbs_2020-09-04160940.json",
}
BEAGLE_PYTHON = REPO / ".cache" / "peers" / "beagle" / "venv" / "bin" / "python"
GRAPHSIEM_SIDE = REPO / "benchmarks" / "peers_graphsiem.py"
BEAGLE_SIDE = REPO / "benchmarks" / "peers_beagle_driver.py"

# (fact kind, parent or source image, child image / file / address, text the child's
# command line (spawn) or decoded command (decoded) must hold)
Check = tuple[str, str, str, str]
CHECKS: dict[str, list[Check]] = {
    "herpaderping": [
        ("spawn", "cmd.exe", "processherpaderping.exe", "mimikatz.exe"),
        ("spawn", "processherpaderping.exe", "wardog.exe", ""),
        ("write", "processherpaderping.exe", "wardog.exe", ""),
        ("access", "processherpaderping.exe", "wardog.exe", ""),
    ],
    "empire": [
        ("spawn", "explorer.exe", "wscript.exe", "launcher.vbs"),
        ("spawn", "wscript.exe", "powershell.exe", "-enc"),
        ("decoded", "wscript.exe", "powershell.exe", "/news.php"),
        ("spawn", "powershell.exe", "whoami.exe", ""),
        ("connect", "powershell.exe", "10.10.10.5", ""),
    ],
}


def holds(facts: dict[str, list[list[str]]], check: Check) -> bool:
    """Whether a side's ``facts`` (see ``peers_graphsiem.measure``) hold ``check``."""
    kind, source, target, text = check
    if kind in ("spawn", "decoded"):
        column = 2 if kind == "spawn" else 3
        return any(row[0] == source and row[1] == target and text.lower() in row[column].lower()
                   for row in facts["spawns"])
    rows = {"write": facts["writes"], "access": facts["accesses"], "connect": facts["connects"]}[kind]
    return [source, target] in rows


def check_text(check: Check) -> str:
    """One line naming a check: ``spawn wscript.exe -> powershell.exe ('-enc')``."""
    kind, source, target, text = check
    return f"{kind} {source} -> {target}" + (f" ({text!r})" if text else "")


def tile(paths: list[Path], target: int, out: Path) -> int:
    """Write ~``target`` records of ``paths`` (copies numbered by ``_bench_copy``) to ``out``; return the count."""
    records = [orjson.loads(line) for path in paths for line in path.read_bytes().splitlines() if line.strip()]
    written = 0
    with out.open("wb") as stream:
        copy = 0
        while written < target:
            for record in records:
                stream.write(orjson.dumps(numbered_copy(record, copy)) + b"\n")
            written += len(records)
            copy += 1
    return written


def run_side(python: Path, script: Path, path: Path, *options: str) -> dict[str, Any]:
    """Run one side's script on ``path`` in a process of its own; its JSON figures."""
    done = subprocess.run([str(python), str(script), str(path), *options], capture_output=True, text=True,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    if done.returncode:
        raise RuntimeError(f"{script.name} on {path.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return orjson.loads(done.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median CPU time, with the rate range of all runs."""
    ordered = sorted(runs, key=lambda run: run["cpu_s"])
    chosen = dict(ordered[len(ordered) // 2])
    rates = [run["records"] / run["cpu_s"] for run in runs]
    chosen["rate"] = statistics.median(rates)
    chosen["rate_range"] = (min(rates), max(rates))
    return chosen


def format_throughput(rows: dict[str, dict[str, Any]], baseline: str = "GraphSIEM") -> str:
    """The throughput table: one row per tool and its ratio to ``baseline`` (>1: the tool is ahead).

    Each row needs ``records``, ``rate`` (records per CPU second), ``wall_s``,
    ``cpu_s``, ``peak_rss_mb``, ``nodes``, ``edges`` and ``rejected``;
    ``rate_range`` is shown when present, and with ``in_graph`` (the share of
    the records that reach the tool's graph, from the coverage part) the CPU
    microseconds per record that reached it.
    """
    header = (f"{'tool':<11} {'records':>8} {'rec/CPU-s':>10} {'range':>15} {'wall s':>7} {'CPU s':>7} "
              f"{'RSS MiB':>8} {'nodes':>7} {'edges':>7} {'rejected':>8} {'in graph':>8} {'us/graph rec':>12} "
              f"{'rate vs ' + baseline:>18}")
    lines = [header, "-" * len(header)]
    base = rows[baseline]["rate"]
    for name, row in rows.items():
        low, high = row.get("rate_range", (row["rate"], row["rate"]))
        share = row.get("in_graph")
        in_graph = f"{share:.1%}" if share else "-"
        per_record = f"{1e6 / (row['rate'] * share):,.0f}" if share else "-"
        lines.append(
            f"{name:<11} {row['records']:>8,} {row['rate']:>10,.0f} {f'{low:,.0f}-{high:,.0f}':>15} "
            f"{row['wall_s']:>7.2f} {row['cpu_s']:>7.2f} {row['peak_rss_mb']:>8.0f} {row['nodes']:>7,} "
            f"{row['edges']:>7,} {row['rejected']:>8,} {in_graph:>8} {per_record:>12} "
            f"{'x' + format(row['rate'] / base, '.2f'):>18}")
    return "\n".join(lines)


def format_coverage(sides: dict[str, dict[str, list[int]]]) -> str:
    """Per (channel, event id): records, and how many reached each side's graph."""
    names = list(sides)
    kinds = sorted({kind for side in sides.values() for kind in side},
                   key=lambda kind: (kind.rsplit(" ", 1)[0], int(kind.rsplit(" ", 1)[1])
                                     if kind.rsplit(" ", 1)[1].isdigit() else 0))
    lines = [f"{'channel event':<50} {'records':>8} " + " ".join(f"{name + ' in graph':>18}" for name in names)]
    total = 0
    for kind in kinds:
        records = max(side.get(kind, [0, 0])[0] for side in sides.values())
        total += records
        cells = " ".join(f"{side.get(kind, [0, 0])[1]:>18,}" for side in sides.values())
        lines.append(f"{kind[-50:]:<50} {records:>8,} {cells}")
    cells = " ".join(f"{sum(used for _, used in side.values()):>18,}" for side in sides.values())
    lines.append(f"{'all':<50} {total:>8,} {cells}")
    return "\n".join(lines)


def format_checks(sample: str, sides: dict[str, dict[str, list[list[str]]]]) -> str:
    """One line per chain check of ``sample``: held (yes/NO) by each side's graph."""
    lines = []
    for check in CHECKS[sample]:
        cells = "  ".join(f"{name}: {'yes' if holds(facts, check) else 'NO'}" for name, facts in sides.items())
        lines.append(f"  {check_text(check):<62} {cells}")
    return "\n".join(lines)


def format_evtx(side: dict[str, Any]) -> str:
    """``"  6,805 rec/CPU-s  12 /  21"``: one side's rate, nodes and edges on one EVTX file."""
    return f"{side['records'] / side['cpu_s']:>7,.0f} rec/CPU-s {side['nodes']:>3} / {side['edges']:>3}"


def main() -> int:
    """Run the three parts and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="records in the tiled throughput file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side (the median is shown)")
    args = parser.parse_args()
    if not BEAGLE_PYTHON.exists():
        print(f"Beagle is not installed ({BEAGLE_PYTHON}): run bash benchmarks/peers_install.sh", file=sys.stderr)
        return 1
    project_python = Path(sys.executable)
    sides = {"GraphSIEM": (project_python, GRAPHSIEM_SIDE), "Beagle": (BEAGLE_PYTHON, BEAGLE_SIDE)}
    # coverage first: its share of records reaching each graph prices the throughput rows
    records, used = dict.fromkeys(sides, 0), dict.fromkeys(sides, 0)
    for sample, path in SAMPLES.items():
        measured = {name: run_side(python, script, path, "--coverage") for name, (python, script) in sides.items()}
        in_file = sum(1 for line in path.read_bytes().splitlines() if line.strip())
        print(f"Coverage, {path.name}: {in_file:,} records; graph "
              + ", ".join(f"{name} {m['nodes']} nodes / {m['edges']} edges" for name, m in measured.items()))
        print(format_coverage({name: m["kinds"] for name, m in measured.items()}))
        print(f"Process chain ({sample}):")
        print(format_checks(sample, {name: m["facts"] for name, m in measured.items()}) + "\n")
        for name, m in measured.items():
            records[name] += in_file
            used[name] += sum(reached for _, reached in m["kinds"].values())
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        tiled = Path(tmp) / "tiled.ndjson"
        count = tile(list(SAMPLES.values()), args.records, tiled)
        print(f"Throughput: herpaderping + Empire launcher (NXLog JSON) tiled to {count:,} records, "
              f"median of {args.repeat} runs, load {os.getloadavg()[0]:.1f}")
        rows = {name: median_run([run_side(python, script, tiled) for _ in range(max(1, args.repeat))])
                for name, (python, script) in sides.items()}
        for name, row in rows.items():
            row["in_graph"] = used[name] / records[name]
        print(format_throughput(rows))
    print("\nBinary EVTX, each tool's own reader (GraphSIEM: evtx, Rust; Beagle: python-evtx and lxml,"
          " SysmonEVTX or WinEVTX by the first record's channel); records per CPU second, nodes / edges:")
    for path in sorted(samples_path().rglob("*.evtx")):
        ours = run_side(project_python, GRAPHSIEM_SIDE, path)
        theirs = run_side(BEAGLE_PYTHON, BEAGLE_SIDE, path, "--evtx")
        print(f"  {path.name[:52]:<52} {ours['records']:>4} records  GraphSIEM {format_evtx(ours)}"
              f"  Beagle {format_evtx(theirs)}")
    print("NDJSON adapter against Beagle's own EVTX datasource, same records (nodes, edges; facts):")
    for path in sorted(samples_path().rglob("*.evtx")):
        check = run_side(BEAGLE_PYTHON, BEAGLE_SIDE, path, "--adapter-check")
        verdict = "same" if check["adapted"] == check["native"] and check["same_facts"] else "DIFFERENT"
        print(f"  {path.name[:52]:<52} adapter {check['adapted']}  own {check['native']}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
