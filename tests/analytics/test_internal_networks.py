"""The fleet's own networks, declarable in one place (red-team T8, finding 6).

"Internal" was two hard-coded lists (ingest's, analytics'): a fleet whose own
servers are on public space (a university's /16, a company's provider-independent
block, a CDN range it runs its updater from) could declare none of it, so a benign
raw-address updater on 74 hosts rose from risk 60.6 to 71.8 once a download from a
new external address counted.  Now ``GRAPHSIEM_INTERNAL_NETWORKS`` (service
settings, ingest and detect), ``DetectionConfig.internal_networks`` and ``graphsiem
detect --internal-network`` add networks to the defaults, which stay as they were.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from analytics.config import ConfigError, DetectionConfig
from analytics.detect import detect
from analytics.external_addresses import is_external_ip
from graphsiem.internal_networks import (
    DEFAULT_INTERNAL_NETWORKS,
    INTERNAL_NETWORKS_ENV,
    declared_internal_networks,
    parse_internal_networks,
)
from graphsiem.model import Event
from graphsiem.settings import Settings
from ingest.ipmap import IpHostMap
from ingest.normalize import is_internal
from ingest.parsers.base import ParseContext
from ingest.parsers.syslog import SyslogParser
from ingest.projection import Projector
from tests.analytics.internal_networks_fleet import (
    CDN_ADDRESS,
    CDN_NETWORK,
    cdn_updater_fleet,
    rank_of_build,
)

REPO = Path(__file__).resolve().parents[2]

# -- defaults ------------------------------------------------------------------


def test_the_default_networks_are_the_ones_both_lists_held():
    assert [str(n) for n in DEFAULT_INTERNAL_NETWORKS] == [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"]


@pytest.mark.parametrize(("address", "internal", "external"), [
    ("10.1.2.3", True, False), ("172.16.8.1", True, False), ("192.168.1.20", True, False),
    ("100.64.3.9", True, False), ("169.254.169.254", True, False), ("fd00::5", True, False),
    ("fe80::1", True, False), ("::ffff:10.0.0.1", True, False),
    ("203.0.113.7", False, True), ("130.59.1.20", False, True), (CDN_ADDRESS, False, True),
    ("2001:db8:1::5", False, True), ("127.0.0.1", False, False), ("224.0.0.251", False, False),
])
def test_without_a_declaration_the_defaults_decide_as_before(monkeypatch, address, internal, external):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    assert is_internal(address) is internal
    assert is_external_ip(address) is external


# -- declared networks ------------------------------------------------------------


def test_the_environment_declares_networks_for_ingest_and_analytics_alike(monkeypatch):
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, "130.59.0.0/16, 2001:db8:1::/48")
    for address in ("130.59.1.20", "2001:db8:1::5", "::ffff:130.59.7.7"):
        assert is_internal(address) and not is_external_ip(address), address
    for address in ("130.60.0.1", "2001:db8:2::5", CDN_ADDRESS):
        assert not is_internal(address) and is_external_ip(address), address
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV)  # read again when it changes
    assert not is_internal("130.59.1.20") and is_external_ip("130.59.1.20")


def test_a_run_declares_networks_for_itself_beside_the_environments(monkeypatch):
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, "130.59.0.0/16")
    with declared_internal_networks([CDN_NETWORK]) as space:
        assert not is_external_ip(CDN_ADDRESS) and not is_external_ip("130.59.1.20")
        assert [str(n) for n in space.declared] == ["130.59.0.0/16", CDN_NETWORK]
    assert is_external_ip(CDN_ADDRESS)  # the run's end restores the environment's


def _cef_download(source: str) -> Event:
    line = ("<134>Mar  1 10:00:02 fw01 CEF:0|Example Corp|Edge Firewall|2.1|200|Allowed download|3|"
            f"src={source} spt=50432 dst=198.51.100.7 dpt=80 shost=WS-0042.uni.example "
            "request=http://cdn-img.example/payload.exe fname=payload.exe rt=Mar 01 2024 10:00:02 UTC")
    (event,) = SyslogParser().parse(line, ParseContext(origin="devices.log:1", reference_year=2024))
    event.id = "e1"
    return event


def test_a_device_names_a_fleet_host_beside_a_declared_address(monkeypatch):
    """A firewall's CEF ``shost`` beside the university's own address is its workstation: the IP map
    learns it and the download is the host's; undeclared, the name was a DNS name and the address acted."""
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    event = _cef_download("130.59.1.20")
    assert event.fields.get("source.domain") == "ws-0042.uni.example" and "source.hostname" not in event.fields
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, "130.59.0.0/16")
    event = _cef_download("130.59.1.20")
    assert event.fields["source.hostname"] == "ws-0042" and "source.domain" not in event.fields
    ipmap = IpHostMap()
    assert ipmap.observe(event)
    relations = {(r.src, r.type, r.dst[0]) for r in Projector(ipmap).project([event]).relations}
    assert (("host", "ws-0042"), "REQUESTED", "url") in relations


# -- invalid values: clear errors, at startup ------------------------------------------


@pytest.mark.parametrize(("value", "reason"), [
    ("130.59.0.0/16,300.1.0.0/16", "'300.1.0.0/16' is not a CIDR network"),
    ("corp.example", "'corp.example' is not a CIDR network"),
    ("130.59.1.0/16", "'130.59.1.0/16' has host bits set (the network is 130.59.0.0/16)"),
    ("0.0.0.0/0", "'0.0.0.0/0' is wider than a /8"),
    ("2000::/3", "'2000::/3' is wider than a /16"),
])
def test_an_invalid_network_is_refused_naming_it(value, reason):
    with pytest.raises(ValueError, match="^origin: " + reason.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.").replace("*", r"\*")):
        parse_internal_networks(value, origin="origin")
    with pytest.raises(ConfigError, match=reason.split("'")[1].replace(".", r"\.")):
        DetectionConfig(internal_networks=tuple(value.split(",")))
    with pytest.raises(ValidationError, match=f"GRAPHSIEM_INTERNAL_NETWORKS: .*{reason.split(chr(39))[1]}"):
        Settings(internal_networks=value)


def test_the_settings_and_the_config_read_a_list_as_canonical_text(monkeypatch, tmp_path):
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, "130.59.0.0/16 2001:DB8:1::/48;130.59.0.0/16")
    assert Settings().internal_networks == ("130.59.0.0/16", "2001:db8:1::/48")
    assert Settings(internal_networks="").internal_networks == ()
    path = tmp_path / "detection.yaml"
    DetectionConfig(internal_networks=("198.51.100.7",)).save(path)
    assert DetectionConfig.load(path).internal_networks == ("198.51.100.7/32",)
    assert ipaddress.ip_network(DetectionConfig.load(path).internal_networks[0]).num_addresses == 1


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "graphsiem", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_commands_refuse_a_bad_network_before_reading_anything(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if k != INTERNAL_NETWORKS_ENV}
    data = tmp_path / "data"
    log = tmp_path / "a.log"
    log.write_text('{"x": 1}\n', encoding="utf-8")
    done = _cli("detect", "--data", str(data), "--internal-network", "130.59.0.0/16",
                "--internal-network", "130.59.300.0/24", str(log), env=env)
    assert done.returncode == 2
    assert "--internal-network: '130.59.300.0/24' is not a CIDR network" in done.stderr
    done = _cli("ingest", str(log), "--data", str(data), env={**env, INTERNAL_NETWORKS_ENV: "10.0.0.0/8,nope"})
    assert done.returncode == 2
    assert "GRAPHSIEM_INTERNAL_NETWORKS: 'nope' is not a CIDR network" in done.stderr
    done = _cli("detect", "--data", str(data), str(log), env={**env, INTERNAL_NETWORKS_ENV: "0.0.0.0/0"})
    assert done.returncode == 2 and "GRAPHSIEM_INTERNAL_NETWORKS: '0.0.0.0/0' is wider than a /8" in done.stderr
    done = _cli("serve", "--data", str(data), "--port", "0", env={**env, INTERNAL_NETWORKS_ENV: "130.59.0.0/16 ::/0"})
    assert done.returncode == 2
    assert "invalid setting internal_networks" in done.stderr and "'::/0' is wider than a /16" in done.stderr
    assert not (data / "journal.sqlite").exists()  # nothing was ingested


# -- the T8 case on a real ingest and detect ----------------------------------------------


@pytest.fixture(scope="module")
def cdn_fleet(tmp_path_factory):
    root = tmp_path_factory.mktemp("cdn_fleet")
    store, journal = cdn_updater_fleet(root)
    yield store, root
    store.close()
    journal.close()


def test_a_declared_cdn_range_is_no_new_external_address_to_the_updater(cdn_fleet, monkeypatch):
    monkeypatch.delenv(INTERNAL_NETWORKS_ENV, raising=False)
    config = DetectionConfig(evidence_top=0, history_days=0)
    store = cdn_fleet[0]
    plain = detect(store, config=config).clusters
    declared = detect(store, config=DetectionConfig(evidence_top=0, history_days=0,
                                                        internal_networks=(CDN_NETWORK,))).clusters
    rank, before = rank_of_build(plain)
    rank_declared, after = rank_of_build(declared)
    assert before.features["download_from_new_domain"] == 1.0
    assert after.features["download_from_new_domain"] == 0.0
    assert "download from a new domain or address" not in after.explanation.summary
    assert after.score < before.score - 5.0, (before.score, after.score)
    assert rank_declared >= rank
    # the attacks in the fleet keep their places above it
    attacks = [c for c in declared[:rank_declared - 1] if c.score > after.score]
    assert len(attacks) == rank_declared - 1
    # the same through the environment (the service's and ingest's setting)
    monkeypatch.setenv(INTERNAL_NETWORKS_ENV, CDN_NETWORK)
    by_environment = rank_of_build(detect(store, config=config).clusters)[1]
    assert by_environment.features["download_from_new_domain"] == 0.0
    assert by_environment.score == pytest.approx(after.score)


def test_detect_takes_internal_network_options_on_the_command_line(cdn_fleet, tmp_path):
    """``graphsiem detect --internal-network`` reaches the detection (the contract JSON's features)."""
    import os

    telemetry = cdn_fleet[1] / "telemetry"  # ingested again into a data directory of the command's own
    env = {k: v for k, v in os.environ.items() if k != INTERNAL_NETWORKS_ENV}
    data, out = tmp_path / "data", tmp_path / "clusters.json"
    done = _cli("detect", str(telemetry / "endpoint"), str(telemetry / "network"), "--data", str(data),
                "--internal-network", CDN_NETWORK, "--json", str(out), "--quiet", env=env)
    assert done.returncode == 0, done.stderr
    clusters = json.loads(out.read_text(encoding="utf-8"))["clusters"]
    build = next(c for c in clusters if "ContosoSetup-5.2.exe" in c["explanation"]["summary"])
    features = {f["name"]: f["value"] for f in build["explanation"]["features"]}
    assert features["download_from_new_domain"] == 0.0
