"""The TSV and JSON copies of the same Brim Zeek logs give identical normalised events.

Brim ships each WRCCDC log twice: Zeek ASCII (``zeek-default/<log>.log``, epoch
times, 6-decimal floats) and JSON streaming logs (``zeek-json/<log>.json``,
ISO-8601 times, full-precision floats).  After parsing, kind, time and every
field must be equal, record for record.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.parsers.test_zeek_corpus import BRIM, parse_json, parse_tsv

PAIRS = sorted((BRIM / "zeek-default").glob("*.log"))


def test_every_tsv_log_has_a_json_twin() -> None:
    assert len(PAIRS) == 12
    assert all((BRIM / "zeek-json" / f"{path.stem}.json").is_file() for path in PAIRS)


@pytest.mark.parametrize("tsv_path", PAIRS, ids=lambda path: path.stem)
def test_tsv_and_json_give_identical_events(tsv_path: Path) -> None:
    tsv_received, tsv_events, tsv_rejected = parse_tsv(tsv_path)
    json_received, json_events, json_rejected = parse_json(
        BRIM / "zeek-json" / f"{tsv_path.stem}.json"
    )
    assert tsv_rejected == json_rejected == []
    # every record gives one zeek event, and syslog records may add the @cee Windows event
    assert tsv_received == json_received == sum(e.kind.startswith("zeek:") for e in tsv_events)
    for number, (tsv_event, json_event) in enumerate(zip(tsv_events, json_events, strict=True), 1):
        assert (tsv_event.kind, tsv_event.ts, tsv_event.fields) == (
            json_event.kind,
            json_event.ts,
            json_event.fields,
        ), f"record {number} differs"
