"""Entity identity (ingest.projection_entities): processes, the pid join, files, scripts, domains."""

from __future__ import annotations

from graphsiem.model import Event, stable_hash
from graphsiem.store.earliest_build import build_seen
from ingest.image_paths import image_identity
from ingest.projection import Projector, project_events
from tests.ingest.test_projection import PS, PS_CMD, ev, process_key


def test_process_identity_is_image_and_normalised_command_line():
    a = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD)
    b = ev("sysmon:process_create", host="ws-2", event_id="e2",
           process__executable=PS.upper(), process__command_line="  " + PS_CMD.upper().replace(" ", "   "))
    projection = project_events([a, b])
    (process,) = [e for e in projection.entities if e.type == "process"]
    assert process.key == process_key(PS, PS_CMD)
    # one entity for both spellings; it shows the last one, as the stores keep the
    # last value across batches: the same wherever batches are cut
    assert process.value == b.fields["process.command_line"]
    assert process.props["image"] == PS.upper() and process.props["command_line"] == process.value
    assert process.props["decoded_command"] == "IEX (New-Object)"  # from the first (the payload's case matters)
    assert process.props["name"] == "powershell.exe"
    hosts = sorted(s.host for s in projection.sightings if s.entity == ("process", process.key))
    assert hosts == ["ws-1", "ws-2"]


def test_process_spellings_do_not_depend_on_where_batches_are_cut(tmp_path):
    from graphsiem.store import open_store
    from ingest.replay import ProjectionSummary, project_batch

    a = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD)
    b = ev("sysmon:process_create", host="ws-2", event_id="e2",
           process__executable=PS.upper(), process__command_line=PS_CMD.upper())
    seen = []
    for batches in ([[a, b]], [[a], [b]]):
        store = open_store("embedded", data_dir=tmp_path / str(len(batches)))
        projector = Projector()
        for batch in batches:
            project_batch(projector, store, batch, ProjectionSummary())
        (process,) = store.iter_entities("process")
        seen.append((process.value, process.props["image"], process.props["command_line"]))
        store.close()
    assert seen[0] == seen[1] == (PS_CMD.upper(), PS.upper(), PS_CMD.upper())


def test_later_events_of_a_process_resolve_to_its_full_identity_by_guid():
    create = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
                process__guid="abc", process__pid=42)
    connect = ev("sysmon:network_connect", event_id="e2", process__executable=PS, process__guid="abc",
                 destination__ip="203.0.113.7")
    script = ev("powershell:script_block", event_id="e3", process__pid=42,
                powershell__script_block_text="IEX (New-Object Net.WebClient)")
    projection = Projector().project([create, connect, script])
    full = ("process", process_key(PS, PS_CMD))
    assert {(r.src, r.type) for r in projection.relations} >= {(full, "CONNECTED"), (full, "EXECUTED")}


def test_script_identity_collapses_whitespace_and_keeps_text():
    a = ev("powershell:script_block", powershell__script_block_text="Get-Process |\n   Select  Name")
    b = ev("powershell:script_block", event_id="e2", powershell__script_block_text="Get-Process | Select Name")
    scripts = [e for e in project_events([a, b]).entities if e.type == "script"]
    assert len(scripts) == 1 and scripts[0].key == stable_hash("Get-Process | Select Name")
    assert scripts[0].props["text"].startswith("Get-Process")


def test_file_identity_prefers_sha256_then_lower_path():
    hashed = ev("sysmon:file_create", process__executable=PS, file__path="C:\\A.exe", file__hash__sha256="ab" * 32)
    plain = ev("sysmon:file_create", event_id="e2", process__executable=PS, file__path="C:\\B.EXE")
    keys = sorted(e.key for e in project_events([hashed, plain]).entities if e.type == "file")
    assert keys == ["ab" * 32, "c:\\b.exe"]


def test_domains_carry_their_registered_domain():
    event = ev("sysmon:dns_query", dns__question__name="a.b.cdn.example.co.uk")
    (domain,) = [e for e in project_events([event]).entities if e.type == "domain"]
    assert domain.props["registered_domain"] == "example.co.uk"


def test_file_props_keep_every_digest_and_the_mime_type():
    event = ev("sysmon:file_create", process__executable=PS, file__path="C:\\A.exe",
               file__hash__sha1="11" * 20, file__hash__md5="22" * 16, file__mime_type="application/x-dosexec")
    (file,) = [e for e in project_events([event]).entities if e.type == "file"]
    assert file.key == "11" * 20  # the strongest digest, not the path
    assert file.props == {"sha1": "11" * 20, "md5": "22" * 16, "path": "C:\\A.exe", "name": "a.exe",
                          "mime_type": "application/x-dosexec"}
    assert list(file.props) == ["sha1", "md5", "path", "name", "mime_type"]


def test_a_recurring_process_keeps_its_first_props_and_gains_the_ones_it_lacked():
    first = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
               process__name="first-name.exe")
    later = ev("sysmon:process_create", event_id="e2", process__executable=PS, process__command_line=PS_CMD,
               process__name="other.exe", process__hash__sha256="ab" * 32)
    (process,) = [e for e in project_events([first, later]).entities if e.type == "process"]
    assert process.props == {"image": PS, "name": "first-name.exe", "command_line": PS_CMD,
                             "decoded_command": "IEX (New-Object)", "sha256": "ab" * 32,
                             "sha256_seen": build_seen(100.0, "e2")}  # the build stamped with its event
    assert list(process.props) == ["image", "name", "command_line", "decoded_command", "sha256", "sha256_seen"]


def test_a_recurring_file_keeps_its_first_props_and_gains_the_ones_it_lacked():
    first = ev("sysmon:image_load", process__executable=PS, file__path="C:\\A.dll", file__hash__sha256="ab" * 32)
    later = ev("sysmon:image_load", event_id="e2", process__executable=PS, file__path="C:\\B.dll",
               file__name="b.dll", file__hash__sha256="ab" * 32, file__hash__md5="22" * 16)
    (file,) = [e for e in project_events([first, later]).entities if e.type == "file"]
    assert (file.key, file.value) == ("ab" * 32, "C:\\A.dll")
    assert file.props == {"sha256": "ab" * 32, "path": "C:\\A.dll", "name": "a.dll", "md5": "22" * 16}
    assert list(file.props) == ["sha256", "path", "name", "md5"]


def test_an_unmapped_event_naming_a_known_process_by_guid_is_tied_to_it():
    create = ev("sysmon:process_create", process__executable=PS, process__command_line=PS_CMD,
                process__guid="abc")
    other = ev("windows:other", event_id="e2", process__guid="abc", event__code="4663")
    relations = Projector().project([create, other]).relations
    (ran,) = [r for r in relations if r.type == "RAN"]
    assert ran.dst == ("process", process_key(PS, PS_CMD)) and ran.evidence == ["e1", "e2"]


# -- pids are reused: a script block belongs to the process that held its pid at its time ---------

NOTEPAD = "C:\\Windows\\System32\\notepad.exe"


def _create(pid: int, ts: float, image: str, cmd: str, event_id: str) -> Event:
    return ev("sysmon:process_create", ts=ts, event_id=event_id, process__executable=image,
              process__command_line=cmd, process__pid=pid)


def _runner_of_script(at: float) -> set:
    """Who EXECUTED a script block of pid 4242 at ``at``, after PowerShell (10:00) and then notepad
    (12:00) held that pid, both projected before the block."""
    projector = Projector()
    projector.project([_create(4242, 36000.0, PS, PS_CMD, "ps"),
                       _create(4242, 43200.0, NOTEPAD, "notepad.exe report.txt", "np")])
    block = ev("powershell:script_block", ts=at, event_id="sb", process__pid="4242",
               powershell__script_block_text="Invoke-Mimikatz -DumpCreds")
    return {r.src for r in projector.project([block]).relations if r.type == "EXECUTED"}


def test_a_script_block_belongs_to_the_process_holding_its_pid_at_its_time():
    powershell = ("process", process_key(PS, PS_CMD))
    notepad = ("process", process_key(NOTEPAD, "notepad.exe report.txt"))
    assert _runner_of_script(36300.0) == {powershell}  # 10:05, before notepad took the pid
    assert _runner_of_script(45000.0) == {notepad}  # 12:30
    assert _runner_of_script(30000.0) == {("host", "ws-1")}  # before any known holder: the host


def test_a_process_seen_again_keeps_the_earliest_time_it_held_its_pid():
    projector = Projector()
    later, earlier = _create(7, 500.0, PS, PS_CMD, "a"), _create(7, 100.0, PS, PS_CMD, "b")
    projector.project([later, earlier])  # projected out of time order
    # the image as the pid join compares it: its path without the volume (another folder is another program)
    assert projector._pids[("ws-1", "7")] == ((100.0, ("process", process_key(PS, PS_CMD)), image_identity(PS)),)


def test_a_full_cache_drops_its_older_half_not_everything():
    cache: dict[int, int] = {}
    for n in range(11):
        Projector._remember(cache, n, n, limit=10)
    Projector._remember(cache, 11, 11, limit=10)
    assert list(cache) == [*range(5, 12)]  # of 11 entries the older 5 went; then the new one
