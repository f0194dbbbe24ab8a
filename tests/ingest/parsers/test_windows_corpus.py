"""Windows parsers over the real third-party corpus (``$GRAPHSIEM_SAMPLES``).

The corpus is never copied into the repository; without it these tests skip,
except under ``CI=true`` where a missing corpus is a failure.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import orjson
import pytest

from graphsiem.model import Event
from ingest.parsers.base import ParseContext, ParseError, ParserRegistry, UnknownFormatError
from ingest.parsers.windows import parsers
from tests.samples import samples_path

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = samples_path()
OTRF = SAMPLES / "otrf-security-datasets"

NDJSON_FILES = {
    "cmd_process_herpaderping_snippingtool_2020-10-2708290130.json": ("nxlog", 282),
    "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json": ("nxlog", 424),
    "empire_launcher_vbs_2020-09-04160940.json": ("nxlog", 2067),
    "empire_enable_rdp_2019-05-18203650.json": ("winlogbeat", 2668),
    "golden_saml/WindowsEvents.json": ("sentinel", 38),
}
SIGMA_JSON = sorted((SAMPLES / "sigma-regression").rglob("*.json"))


def _need_corpus() -> None:
    if not OTRF.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus missing at {SAMPLES} (set GRAPHSIEM_SAMPLES)")
        pytest.fail(f"corpus not found at {SAMPLES} (set GRAPHSIEM_SAMPLES)")


def _registry() -> ParserRegistry:
    registry = ParserRegistry()
    for parser in parsers():
        registry.register(parser)
    return registry


def _parse_file(name: str) -> tuple[list[Event], list[str], Counter[str]]:
    """Events, rejection reasons and detected formats of one NDJSON corpus file."""
    _need_corpus()
    registry = _registry()
    events: list[Event] = []
    rejected: list[str] = []
    formats: Counter[str] = Counter()
    path = OTRF / name
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        record = orjson.loads(line)
        try:
            parser = registry.detect(record)
            formats[parser.name] += 1
            events.extend(parser.parse(record, ParseContext(origin=f"{path}:{number}")))
        except (ParseError, UnknownFormatError) as exc:
            rejected.append(f"{number}: {exc}")
    return events, rejected, formats


@pytest.mark.parametrize("name", sorted(NDJSON_FILES))
def test_every_record_parses_or_is_rejected_with_a_reason(name: str) -> None:
    events, rejected, formats = _parse_file(name)
    expected_format, received = NDJSON_FILES[name]
    assert len(events) + len(rejected) == received
    assert len(rejected) < 0.01 * received, rejected[:5]
    assert formats == Counter({expected_format: received})
    assert all(event.host and event.ts > 1.5e9 for event in events)


def test_herpaderping_yields_the_process_chain_that_launches_mimikatz() -> None:
    events, _, _ = _parse_file("cmd_process_herpaderping_snippingtool_2020-10-2708290130.json")
    creates = [e for e in events if e.kind == "sysmon:process_create"]
    by_guid = {e.fields["process.guid"]: e for e in creates}
    launcher = next(e for e in creates if "mimikatz.exe" in e.fields["process.command_line"])
    assert launcher.host == "workstation5"
    assert launcher.fields["process.name"] == "processherpaderping.exe"
    assert launcher.fields["process.parent.name"] == "cmd.exe"
    # the herpaderped image (mimikatz written as wardog.exe) is its child, and has a child
    child = next(e for e in creates
                 if e.fields.get("process.parent.guid") == launcher.fields["process.guid"])
    assert child.fields["process.name"] == "wardog.exe"
    assert any(e.fields.get("process.parent.guid") == child.fields["process.guid"]
               for e in creates)
    assert child.fields["process.parent.guid"] in by_guid
    security = [e for e in events if e.kind == "winsec:process_create"]
    assert any("mimikatz.exe" in e.fields.get("process.command_line", "") for e in security)


def test_empire_vbs_yields_wscript_to_powershell_with_the_decoded_stager() -> None:
    events, _, _ = _parse_file("empire_launcher_vbs_2020-09-04160940.json")
    powershell = [
        e for e in events
        if e.kind == "sysmon:process_create"
        and e.fields["process.name"] == "powershell.exe"
        and e.fields["process.parent.name"] == "wscript.exe"
    ]
    assert len(powershell) == 1
    event = powershell[0]
    assert event.host == "workstation5"
    assert event.fields["host.name.original"] == "WORKSTATION5.theshire.local"
    decoded = event.fields["process.command_line_decoded"]
    assert "System.Net.WebClient".lower() in decoded.lower()
    assert "/news.php" in decoded
    assert event.ts == pytest.approx(1599250195.76)  # Sysmon UtcTime 2020-09-04 20:09:55.760


def test_empire_vbs_script_block_names_the_powershell_process() -> None:
    events, _, _ = _parse_file("empire_launcher_vbs_2020-09-04160940.json")
    (block,) = [e for e in events if e.kind == "powershell:script_block"]
    (stager,) = [e for e in events if e.kind == "sysmon:process_create"
                 and e.fields["process.name"] == "powershell.exe"]
    assert block.fields["process.pid"] == stager.fields["process.pid"] == 2316
    pipelines = [e for e in events if e.kind == "powershell:pipeline"]
    assert pipelines and all(e.fields["process.pid"] == 2316 for e in pipelines)
    assert all("process.command_line" not in e.fields for e in pipelines)
    assert all("webclient" in e.fields["process.command_line_decoded"].lower() for e in pipelines)


def test_nxlog_via_logstash_host_is_the_endpoint_not_the_wec_collector() -> None:
    events, _, _ = _parse_file("empire_launcher_vbs_2020-09-04160940.json")
    assert {e.host for e in events} == {"workstation5", "workstation6", "mordordc"}


def test_winlogbeat_67_host_is_hr001_not_the_collector() -> None:
    events, _, _ = _parse_file("empire_enable_rdp_2019-05-18203650.json")
    hosts = Counter(e.host for e in events)
    assert "wecserver" not in hosts
    assert hosts.most_common(1)[0][0] == "hr001"
    rdp = [e for e in events if e.kind == "sysmon:registry_set"
           and e.fields.get("registry.path", "").endswith("fDenyTSConnections")]
    assert rdp and all(e.host == "hr001" for e in rdp)


def test_golden_saml_hosts_and_logons() -> None:
    events, _, _ = _parse_file("golden_saml/WindowsEvents.json")
    assert {e.host for e in events} == {"dc01", "adfs01"}
    logons = [e for e in events if e.kind == "winsec:logon"]
    assert len(logons) == 28
    assert "simulandlabs\\wardog" in {e.fields.get("user.name") for e in logons}


# Accounts the corpus writes two ways (NetBIOS and DNS domain): one user name each.
ONE_ACCOUNT = {
    "golden_saml/WindowsEvents.json": ("simulandlabs\\cjones", {"simulandlabs", "simulandlabs.com"}),
    "empire_enable_rdp_2019-05-18203650.json": ("shire\\hfdc01$", {"shire", "shire.com"}),
    "empire_launcher_vbs_2020-09-04160940.json": ("theshire\\mordordc$", {"theshire", "theshire.local"}),
}


@pytest.mark.parametrize("name", sorted(ONE_ACCOUNT))
def test_an_account_written_with_either_domain_name_is_one_user(name: str) -> None:
    events, _, _ = _parse_file(name)
    user, spellings = ONE_ACCOUNT[name]
    account = user.split("\\", 1)[1]
    written = set()
    for event in events:
        raw = event.raw.get("event_data", event.raw) if isinstance(event.raw, dict) else {}
        for prefix in ("Subject", "Target"):
            if str(raw.get(f"{prefix}UserName", "")).lower() == account:
                written.add(str(raw.get(f"{prefix}DomainName")).lower())
    assert spellings <= written  # the corpus does write both
    # a KDC's 4768/4769/4771 name the account in its Kerberos realm, whole, as Zeek's kerberos.log does
    # (ingest.parsers.windows_kerberos): by design not the NetBIOS spelling the other events share
    names = {e.fields.get("user.name") for e in events if not e.kind.startswith("winsec:kerberos_")}
    assert user in names
    assert not {n for n in names if n and n.endswith("\\" + account) and n != user}
    assert not {n for n in names if n and "." in n.partition("\\")[0]}


def test_golden_saml_rows_without_channel_still_parse() -> None:
    events, _, _ = _parse_file("golden_saml/WindowsEvents.json")
    assert Counter(e.fields["event.code"] for e in events)["5156"] == 1


@pytest.mark.parametrize("path", SIGMA_JSON, ids=lambda p: p.parent.name)
def test_sigma_evtx_dump_json_parses(path: Path) -> None:
    _need_corpus()
    record = orjson.loads(path.read_bytes())
    parser = _registry().detect(record)
    assert parser.name == "evtx_json"
    (event,) = parser.parse(record, ParseContext(origin=str(path)))
    assert event.kind == "sysmon:process_create"
    assert event.host
    if "base64" in path.parent.name:
        assert "Invoke-WmiMethod" in event.fields["process.command_line_decoded"]
    else:
        assert event.fields["process.name"] == "certutil.exe"


def test_sigma_json_files_exist() -> None:
    _need_corpus()
    assert len(SIGMA_JSON) == 2
