"""Two processes saving rows of one address from the same start agree on its host (task OPS.4).

The tie-break for an address two hosts held from the same start is "the host
learnt last", and the rows' ``rowid`` is that order in the journal.  Two
processes (the API beside a CLI ingest) that each learnt one of the hosts
each learnt the other's last when they read it back at a save, while the
table's ``rowid`` followed the order of their writes: the two live maps, a
reloaded map and the evidence rows could name different hosts.  Now a save
that reads another writer's rows takes the journal's order for the rows it
holds (:mod:`ingest.ipmap_store`).  Two real processes on one journal file.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from graphsiem.model import Event
from ingest.ipmap import IpHostMap
from ingest.ipmap_evidence import mapped_hosts
from ingest.journal import Journal

IP = "10.0.0.5"
START = 1000.0
LEASE = 3600.0


def _writer(path: str, host: str, commands: multiprocessing.Queue, answers: multiprocessing.Queue) -> None:
    """A process with its own map of the journal at ``path``, doing what ``commands`` say."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    ipmap = IpHostMap().load(db)
    while (command := commands.get()) != "stop":
        if command == "learn":  # a lease of IP to this process's host, from START
            ipmap.add_lease(IP, host, START, LEASE)
        elif command == "save":
            ipmap.save(db)
        elif command == "lookup":
            answers.put(ipmap.lookup(IP, START + 10.0))
            continue
        answers.put("ok")
    db.close()


def _answers(db: sqlite3.Connection) -> tuple[str | None, list[str]]:
    """The reloaded map's host and the evidence row's, for a connection from ``IP`` at START + 10."""
    event = Event(id="e1", kind="zeek:conn", ts=START + 10.0, host=None, source="zeek",
                  fields={"source.ip": IP, "destination.ip": "8.8.8.8"})
    evidence = [h.host for h in mapped_hosts(db, [event]).get("e1", [])]
    return IpHostMap().load(db).lookup(IP, START + 10.0), evidence


@pytest.mark.parametrize("first_saver", ["aa-ws", "zz-ws"])
def test_two_processes_that_each_learnt_a_host_from_the_same_second_agree(tmp_path: Path, first_saver: str) -> None:
    path = tmp_path / "journal.sqlite"
    Journal(path).close()
    context = multiprocessing.get_context("spawn")
    answers: dict[str, multiprocessing.Queue] = {}
    commands: dict[str, multiprocessing.Queue] = {}
    processes = []
    for host in ("aa-ws", "zz-ws"):
        commands[host], answers[host] = context.Queue(), context.Queue()
        processes.append(context.Process(target=_writer, args=(str(path), host, commands[host], answers[host])))
    for process in processes:
        process.start()
    second_saver = "zz-ws" if first_saver == "aa-ws" else "aa-ws"

    def do(host: str, command: str) -> object:
        commands[host].put(command)
        return answers[host].get(timeout=60)

    try:
        for host in (first_saver, second_saver):
            do(host, "learn")  # each learns its own host, neither has seen the other's
        do(first_saver, "save")
        do(second_saver, "save")  # reads the first's row
        do(first_saver, "learn")  # the same lease again: touched, its next save reads the second's row
        do(first_saver, "save")
        live = {host: do(host, "lookup") for host in (first_saver, second_saver)}
    finally:
        for host in commands:
            commands[host].put("stop")
        for process in processes:
            process.join(30)
    db = sqlite3.connect(path)
    reloaded, evidence = _answers(db)
    db.close()
    assert live[first_saver] == live[second_saver] == reloaded
    assert evidence == [reloaded]
