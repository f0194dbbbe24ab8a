"""POST /v1/events: one record sent in another JSON framing is a duplicate, not a new event (review T11 F4).

Records sent as NDJSON, then wrapped in a JSON array, then as objects back to back,
then re-spaced in a pretty-printed array: one event each.  Before, the array and
every re-framing gave new events.  The committed made-up Suricata EVE records
(``tests/ingest/fixtures/framing_ids``) test it in any checkout; three real
Winlogbeat lines (compact, keys not sorted) from the corpus test it on real data.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.api.conftest import Api

WINLOGBEAT = Path("otrf-security-datasets") / "empire_enable_rdp_2019-05-18203650.json"
FIXTURES = Path(__file__).resolve().parent.parent / "ingest" / "fixtures" / "framing_ids"


def _post(api: Api, body: bytes, content_type: str) -> dict:
    answer = api.post("/v1/events", role="ingest", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _assert_one_event_per_record(api: Api, lines: list[bytes], extra: list[tuple[str, bytes, str]]) -> None:
    """POST ``lines`` as NDJSON, then in every other framing: only the first makes events."""
    records = [orjson.loads(line) for line in lines]
    count = len(records)
    bodies = [
        ("ndjson", b"\n".join(lines) + b"\n", "application/x-ndjson"),
        ("array", b"[" + b",".join(lines) + b"]", "application/json"),
        ("back to back", b"".join(lines), "application/json"),
        ("re-spaced", orjson.dumps(records, option=orjson.OPT_INDENT_2), "application/json"),
        ("untyped objects", b"\n\n".join(orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in records), ""),
        *extra,
    ]
    answers = {name: _post(api, body, content_type) for name, body, content_type in bodies}

    assert answers["ndjson"]["events"] == count, answers["ndjson"]
    for name, answer in answers.items():
        assert answer["accepted"] == count, (name, answer)
        if name != "ndjson":
            assert (answer["events"], answer["duplicates"]) == (0, count), (name, answer)


def test_one_record_in_four_framings_is_one_event(api: Api, samples_dir: Path) -> None:
    lines = (samples_dir / WINLOGBEAT).read_bytes().splitlines()[10:13]
    _assert_one_event_per_record(api, lines, extra=[])


def test_the_committed_eve_records_in_every_framing_are_one_event_each(api: Api) -> None:
    """The fixture files as written by ``json.dumps`` (``\\u00e9`` escapes, ``indent=1``) too, without the corpus."""
    lines = (FIXTURES / "eve.ndjson").read_bytes().splitlines()
    files = [
        ("eve_array.json", (FIXTURES / "eve_array.json").read_bytes(), "application/json"),
        ("eve_objects.json", (FIXTURES / "eve_objects.json").read_bytes(), "application/json"),
    ]
    _assert_one_event_per_record(api, lines, extra=files)
