"""``graphsiem detect``'s table: what each cluster's lines show."""

from __future__ import annotations

from graphsiem.cli.detect_cmd import render_table

DIGEST = "16b7846f" + "0" * 56


def _cluster(entities, keys, features):
    return {"id": "c1", "score": 82.2, "hosts": ["ws-1", "ws-2", "ws-3"], "first_seen": "a", "last_seen": "b",
            "entities": entities, "entity_keys": keys, "evidence": [],
            "explanation": {"summary": "3 hosts first installed a driver", "features": features}}


def test_a_file_keyed_by_its_digest_shows_the_digest_beside_its_path():
    path = "C:\\Windows\\Temp\\RTCore64.sys"
    cluster = _cluster([{"type": "file", "value": path}, {"type": "file", "value": path}],
                       [{"type": "file", "key": path.lower()}, {"type": "file", "key": DIGEST}], [])

    lines = render_table([cluster], top=1, duration_s=0.1).splitlines()

    files = [line for line in lines if line.strip().startswith("file:")]
    assert files == [f"      file: {path}", f"      file: {path} · sha256 16b7846f00000000…"]


def test_a_hex_looking_path_or_another_type_gets_no_digest_note():
    cluster = _cluster([{"type": "domain", "value": "x.example"}, {"type": "file", "value": "a" * 64}],
                       [{"type": "domain", "key": DIGEST}, {"type": "file", "key": "a" * 64}], [])
    out = render_table([cluster], top=1, duration_s=0.1)
    assert "sha256" not in out


def test_every_feature_that_raised_the_risk_is_listed_and_no_other():
    features = [{"name": f"f{i}", "value": 1.0, "baseline": 0.0, "contribution": 0.1} for i in range(6)]
    features.append({"name": "quiet", "value": 0.0, "baseline": 0.0, "contribution": 0.0})
    out = render_table([_cluster([], [], features)], top=1, duration_s=0.1)
    assert [line.split()[1] for line in out.splitlines() if line.startswith("  + ")] == [f"f{i}" for i in range(6)]


def test_each_check_is_printed_with_what_would_make_it_benign():
    cluster = _cluster([], [], [])
    cluster["explanation"]["checks"] = [
        {"feature": "burst_hosts", "check": "look for a deployment job at 10:12-10:22Z", "benign_if": "a change ticket"},
        {"feature": None, "check": "check the driver \x1b[31m hash", "benign_if": "a signed vendor driver"}]
    lines = render_table([cluster], top=1, duration_s=0.1).splitlines()
    at = lines.index("  check 1: look for a deployment job at 10:12-10:22Z")
    assert lines[at + 1] == "     benign if: a change ticket"
    assert lines[at + 2].startswith("  check 2: check the driver ") and "\x1b" not in lines[at + 2]
    assert lines[at + 3] == "     benign if: a signed vendor driver"
