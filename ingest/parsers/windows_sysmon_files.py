"""Sysmon file events -> normalised fields: created, stream created, deleted, blocked, executable detected.

The mappers of :mod:`ingest.parsers.windows_events` for Sysmon 11, 15, 23 and
26 to 29.  Sysmon 15's ``Zone.Identifier`` stream (the mark of the web) gives
the downloaded file its URL (:func:`_sysmon_15`).
"""

from __future__ import annotations

import re

from ingest.parsers.sensor_fields import put_url
from ingest.parsers.windows_fields import (
    Data,
    Fields,
    Mapper,
    put_file,
    put_hashes,
    value_of,
)
from ingest.parsers.windows_sysmon import int_or_text, sysmon_process

__all__ = ["MAPPERS"]


def _sysmon_11(data: Data, fields: Fields) -> str:
    sysmon_process(fields, data)
    put_file(fields, data.get("TargetFilename"))
    return "sysmon:file_create"


def _file_with_hashes(data: Data, fields: Fields) -> None:
    sysmon_process(fields, data)
    put_file(fields, data.get("TargetFilename"))
    put_hashes(fields, "file.", data.get("Hashes"))


def _sysmon_23(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_delete"


def _sysmon_26(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)  # as 23, the file not archived
    return "sysmon:file_delete_detected"


def _sysmon_27(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_block_executable"


def _sysmon_28(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)
    return "sysmon:file_block_shredding"


def _sysmon_29(data: Data, fields: Fields) -> str:
    _file_with_hashes(data, fields)  # a new file with a PE header: a dropped executable
    return "sysmon:file_executable_detected"


_ZONE_VALUES = re.compile(r"(?:^|\s)(ZoneId|ReferrerUrl|HostUrl)=(\S+)", re.IGNORECASE)
_STREAM_CONTENTS_CHARS = 4096


def _sysmon_15(data: Data, fields: Fields) -> str:
    """A named stream created (``file:stream``); ``Hash`` is the stream's content's.

    For ``Zone.Identifier`` (the mark of the web a browser or mail client
    writes beside what it saved) the entity is the file itself, with the URL
    it came from (``HostUrl``); the stream's hash is the mark's, kept apart so
    that two downloads from one URL are not one file.  Any other stream is its
    own file entity, known by its content's hash (a payload hidden in a stream).
    """
    sysmon_process(fields, data)
    target = value_of(data, "TargetFilename")
    if target is None:
        return "sysmon:file_stream_create"
    path, stream = _split_stream(str(target))
    if stream is not None:
        fields["file.stream.name"] = stream
    contents = value_of(data, "Contents")
    if stream is not None and stream.lower() == "zone.identifier":
        put_file(fields, path)
        put_hashes(fields, "file.stream.", data.get("Hash"))
        if contents is not None:
            _put_zone(fields, str(contents))
    else:
        put_file(fields, str(target))
        put_hashes(fields, "file.", data.get("Hash"))
    if contents is not None:
        fields["file.stream.contents"] = str(contents)[:_STREAM_CONTENTS_CHARS]
    return "sysmon:file_stream_create"


def _split_stream(target: str) -> tuple[str, str | None]:
    """``C:\\d\\a.exe:Zone.Identifier[:$DATA]`` -> (``C:\\d\\a.exe``, ``Zone.Identifier``); a drive's colon is no stream."""
    if target.upper().endswith(":$DATA"):
        target = target[:-6]
    cut = target.rfind(":")
    if cut <= 1 or "\\" in target[cut:] or "/" in target[cut:]:
        return target, None
    return target[:cut], target[cut + 1:] or None


def _put_zone(fields: Fields, contents: str) -> None:
    """``ZoneId``, ``HostUrl`` (the download's URL) and ``ReferrerUrl`` of a Zone.Identifier mark."""
    for name, value in _ZONE_VALUES.findall(contents):
        name = name.lower()
        if name == "zoneid":
            fields["file.zone_id"] = int_or_text(value)
        elif name == "referrerurl":
            fields["http.request.referrer"] = value
        elif "url.full" not in fields and "url.original" not in fields:
            put_url(fields, value)


MAPPERS: dict[int, Mapper] = {
    11: _sysmon_11,
    15: _sysmon_15,
    23: _sysmon_23,
    26: _sysmon_26,
    27: _sysmon_27,
    28: _sysmon_28,
    29: _sysmon_29,
}
"""Sysmon event id -> mapper, for the events of this module."""
