"""``Content-Encoding`` on ``POST /v1/events`` and ``POST /v1/files``.

Fluent Bit (``compress gzip``), Vector (``compression = "gzip"``) and Logstash
(``http_compression => true``) send gzip bodies with ``Content-Encoding: gzip``.
Before, the body was framed as it came: one rejected mojibake record and a 200,
so the shipper never retried and the records were lost.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import orjson
import pytest

from graphsiem.api.errors import ApiError
from graphsiem.api.services.ingest import decode_content
from tests.api.conftest import Api
from tests.api.fleet import fleet_events
from tests.zlib_counting import CountingZlib

EVENTS = fleet_events()[:6]
NDJSON = b"".join(orjson.dumps(record) + b"\n" for record in EVENTS)


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-15)
    return packer.compress(data) + packer.flush()


def _zstd(data: bytes) -> bytes:
    import zstandard  # a dependency of the project: zstd bodies are decoded, never skipped

    return zstandard.ZstdCompressor().compress(data)


def _br(data: bytes) -> bytes:
    import brotli  # a dependency too, with the output bound of brotli 1.1: never skipped

    return brotli.compress(data, quality=5)


CODINGS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "GZIP": gzip.compress,  # codings are case-insensitive (RFC 9110 8.4.1)
    "deflate": zlib.compress,  # RFC 9110: the zlib format
    "deflate-raw": _raw_deflate,  # what some clients send as "deflate" (no zlib header)
    "zstd": _zstd,
    "br": _br,
}


def _post(api: Api, body: bytes, coding: str | None, content_type: str = "application/x-ndjson"):
    headers = {"Content-Type": content_type}
    if coding is not None:
        headers["Content-Encoding"] = "deflate" if coding == "deflate-raw" else coding
    return api.post("/v1/events", role="ingest", content=body, headers=headers)


@pytest.mark.parametrize("coding", list(CODINGS))
def test_a_compressed_ndjson_body_is_decompressed_and_gives_the_same_ids(api: Api, coding: str) -> None:
    answer = _post(api, CODINGS[coding](NDJSON), coding)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["received"], report["accepted"], report["rejected"]) == (6, 6, 0), report
    # the same body uncompressed adds nothing: the ids are those of the decompressed lines
    plain = _post(api, NDJSON, None).json()
    assert plain["duplicates"] == 6 and plain["events"] == 0, plain


def test_a_gzip_json_array_body_is_read(api: Api) -> None:
    answer = _post(api, gzip.compress(orjson.dumps(EVENTS)), "gzip", "application/json")
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 6


def test_gzip_members_concatenated_are_all_read(api: Api) -> None:
    # a shipper that compresses each chunk of a body separately
    half = NDJSON.index(b"\n", len(NDJSON) // 2) + 1
    body = gzip.compress(NDJSON[:half]) + gzip.compress(NDJSON[half:])
    assert _post(api, body, "gzip").json()["accepted"] == 6


def test_identity_is_the_body_as_sent(api: Api) -> None:
    assert _post(api, NDJSON, "identity").json()["accepted"] == 6


@pytest.mark.parametrize("coding", ["compress", "gzip, snappy", "snappy", "lz4"])
def test_an_unsupported_encoding_is_415_naming_it_and_nothing_is_journaled(api: Api, coding: str) -> None:
    answer = _post(api, b"\x8b\x00\x01 compressed somehow", coding)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["code"] == "unsupported_media_type" and error["field"] == "header.Content-Encoding"
    assert coding.split(", ")[-1] in error["message"]
    assert "gzip" in answer.headers["accept-encoding"]  # RFC 7694: what the server accepts
    assert api.ctx.ingest.journal().counts()["events"] == 0
    assert api.ctx.ingest.journal().counts()["rejected"] == 0


@pytest.mark.parametrize("body", [gzip.compress(NDJSON)[:-12], b"\x1f\x8b not gzip at all",
                                  gzip.compress(NDJSON) + b"junk after the member"])
def test_a_damaged_gzip_body_is_400_and_nothing_is_journaled(api: Api, body: bytes) -> None:
    answer = _post(api, body, "gzip")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "header.Content-Encoding"
    assert "gzip" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_a_zip_bomb_is_413_naming_the_body_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    bomb = gzip.compress(b"{}\n" * (64 * limit // 3))  # 64 times the limit, ~70 KB compressed
    assert len(bomb) < limit
    answer = _post(api, bomb, "gzip")
    assert answer.status_code == 413, answer.text
    assert str(limit) in answer.json()["error"]["message"]
    assert "decompressed" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


@pytest.mark.parametrize("coding", ["gzip", "deflate", "zstd", "br"])
def test_decompression_stops_at_the_limit_without_holding_the_bomb(coding: str) -> None:
    limit = 1 << 20
    packed = CODINGS[coding](bytes(256 << 20))  # 256 MiB of zeros
    tracemalloc.start()
    try:
        with pytest.raises(ApiError) as raised:
            decode_content(packed, coding, limit=limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.status_code == 413
    assert peak < 8 * limit  # never the 256 MiB


def test_a_body_at_the_limit_decompresses(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    line = orjson.dumps(EVENTS[0]) + b"\n"
    body = line * (limit // len(line))
    assert len(body) <= limit
    assert decode_content(gzip.compress(body), "gzip", limit=limit) == body


def test_a_gzip_multipart_request_to_files_is_415_pointing_at_the_gz_file(api: Api) -> None:
    # The multipart envelope compressed as a whole is not supported (it would have to be
    # decompressed whole to be parsed); a .gz file as the part is, as before.
    request = api.client.build_request(
        "POST", "/v1/files", files={"file": ("eve.json", NDJSON)}, headers=api.headers("ingest"))
    envelope = request.read()
    answer = api.post("/v1/files", role="ingest", content=gzip.compress(envelope),
                      headers={"Content-Type": request.headers["content-type"],
                               "Content-Encoding": "gzip"})
    assert answer.status_code == 415, answer.text
    assert ".gz" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0
    as_part = api.post("/v1/files", role="ingest", files={"file": ("eve.json.gz", gzip.compress(NDJSON))})
    assert as_part.json()["accepted"] == 6


def _zstd_frames(*parts: bytes) -> bytes:
    return b"".join(_zstd(part) for part in parts)


@pytest.mark.parametrize("body", [
    _zstd(NDJSON)[:-4],  # the frame without its last 4 bytes (its checksum or block end)
    # two frames (a shipper compressing each chunk) cut in the middle of the second
    _zstd_frames(NDJSON[:len(NDJSON) // 2], NDJSON[len(NDJSON) // 2:])[:-(len(_zstd(NDJSON[len(NDJSON) // 2:])) // 2)],
], ids=["last-4-bytes", "second-frame-halved"])
def test_a_truncated_zstd_body_is_400_and_nothing_is_journaled(api: Api, body: bytes) -> None:
    answer = _post(api, body, "zstd")
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["field"] == "header.Content-Encoding" and "truncated" in error["message"], error
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_zstd_frames_concatenated_are_all_read(api: Api) -> None:
    half = NDJSON.index(b"\n", len(NDJSON) // 2) + 1
    assert _post(api, _zstd_frames(NDJSON[:half], NDJSON[half:]), "zstd").json()["accepted"] == 6


@pytest.mark.parametrize("padding", [b"", b"\x00"], ids=["members", "zero-padded"])
def test_many_gzip_members_take_linear_work(monkeypatch: pytest.MonkeyPatch, padding: bytes) -> None:
    # bodies are decoded by the file reader's GzipMembers: its zlib is the one counted
    from ingest.readers import streams

    member = gzip.compress(b"") + padding  # 20 bytes: each one a new decompressor
    # 1 MB: re-slicing the rest per member fed ~25 GB to zlib (past the budget after
    # ~30 members); 8 MiB of such members took 53 CPU-s before
    count = 50_000
    body = member * count + gzip.compress(b"last\n")
    counting = CountingZlib(budget=len(body) + count * 600)  # a few hundred bytes a member
    monkeypatch.setattr(streams, "zlib", counting)
    assert decode_content(body, "gzip", limit=1 << 20) == b"last\n"
    assert counting.fed >= len(body) - count * len(padding)  # every member was read


@pytest.mark.parametrize("body", [
    gzip.compress(b"a\n") + b"\x00" * 3,  # zero padding at the end, as gzip -d allows
    gzip.compress(b"a\n") + b"\x00" * 70_000 + gzip.compress(b"b\n"),  # padding over a slice
    gzip.compress(bytes(range(256)) * 1200),  # a member fed over many slices
])
def test_gzip_padding_and_long_members_still_decode(body: bytes) -> None:
    assert decode_content(body, "gzip", limit=1 << 20) == gzip.decompress(body)


def test_gzip_junk_after_padding_is_still_400() -> None:
    with pytest.raises(ApiError) as raised:
        decode_content(gzip.compress(b"a\n") + b"\x00\x00junk", "gzip", limit=1024)
    assert raised.value.status_code == 400 and "4 bytes of other data" in str(raised.value)


@pytest.mark.parametrize(("coding", "body", "problem"), [
    ("deflate", zlib.compress(b"a\n" * 1000)[:-3], "the data ends early (truncated)"),
    ("deflate-raw", _raw_deflate(bytes(range(256)) * 40)[:-10], "the data ends early (truncated)"),
    ("deflate", zlib.compress(b"a\n") + b"\x00\x00junk", "6 bytes of other data after the compressed data"),
    ("deflate-raw", _raw_deflate(b"a\n") + b"x", "1 bytes of other data after the compressed data"),
    ("deflate", zlib.compress(b"a\n") + zlib.compress(b"b\n"), "10 bytes of other data"),  # one stream only
    ("gzip", gzip.compress(b"a\n")[:-1], "the data ends early (truncated)"),
    ("gzip", gzip.compress(b"a\n") + b"\x1f", "1 bytes of other data"),  # half a magic at the end
    ("gzip", gzip.compress(b"a\n")[:-8] + b"\x00" * 8, "corrupt data (Error -3 while decompressing data: incorrect data check)"),
])
def test_damaged_deflate_and_gzip_bodies_are_400_naming_the_damage(coding: str, body: bytes, problem: str) -> None:
    header = "deflate" if coding == "deflate-raw" else coding
    with pytest.raises(ApiError) as raised:
        decode_content(body, header, limit=1 << 20)
    assert raised.value.status_code == 400
    assert f"the body is not valid {header} data (Content-Encoding: {header}): {problem}" in str(raised.value)


def _syslog_lines(count: int) -> bytes:
    return b"".join(b"<13>1 2026-11-20T09:00:00Z ws-%04d sshd 42 - - Accepted password %d\n"
                    % (i % 10, i) for i in range(count))


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream", ""])
def test_a_gzip_body_without_content_encoding_has_the_record_limit(api: Api, content_type: str) -> None:
    # Before, the text path handed it to the file reader, which gunzips by content with no
    # limit: a small gzip of more records than max_batch_records was accepted whole.
    limit = api.ctx.settings.max_batch_records
    body = gzip.compress(_syslog_lines(limit + 1))
    assert len(body) < api.ctx.settings.max_body_bytes
    answer = _post(api, body, None, content_type)
    assert answer.status_code == 413, answer.text
    assert str(limit) in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_a_gzip_body_without_content_encoding_has_the_body_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    # over the body limit once decompressed, with fewer records than the record limit
    lines = b"".join(line.rstrip(b"\n") + b" " + b"x" * 600 + b"\n" for line in _syslog_lines(500).splitlines())
    assert len(lines) > limit and 500 < api.ctx.settings.max_batch_records
    answer = _post(api, gzip.compress(lines), None, "text/plain")
    assert answer.status_code == 413, answer.text
    assert "decompressed" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_a_gzip_body_without_content_encoding_within_the_limits_is_read(api: Api) -> None:
    assert _post(api, gzip.compress(NDJSON), None, "text/plain").json()["accepted"] == 6
    damaged = _post(api, gzip.compress(NDJSON)[:-12], None, "text/plain")
    assert damaged.status_code == 400 and "truncated" in damaged.json()["error"]["message"]


def _post_coding_lines(api: Api, body: bytes, *lines: str):
    # httpx sends a list of header pairs as separate lines, as a proxy may
    headers = [*api.headers("ingest").items(), ("Content-Type", "application/x-ndjson"),
               *(("Content-Encoding", value) for value in lines)]
    return api.client.post("/v1/events", content=body, headers=headers)


# gzip alone would pass anyway (a body starting with 1f 8b is decoded without the header);
# deflate has no such rescue
@pytest.mark.parametrize("coding", ["gzip", "deflate", "zstd", "br"])
def test_repeated_content_encoding_lines_are_one_list(api: Api, coding: str) -> None:
    answer = _post_coding_lines(api, CODINGS[coding](NDJSON), "identity", coding)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 6


def test_an_unsupported_coding_on_a_second_line_is_415(api: Api) -> None:
    answer = _post_coding_lines(api, b"\x8b\x00\x01 compressed somehow", "identity", "snappy")
    assert answer.status_code == 415, answer.text
    assert "snappy" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_a_br_bomb_is_413_naming_the_body_limit(api: Api) -> None:
    limit = api.ctx.settings.max_body_bytes
    bomb = _br(b"{}\n" * (64 * limit // 3))  # 64 times the limit, a few KB compressed
    assert len(bomb) < 64 << 10
    answer = _post(api, bomb, "br")
    assert answer.status_code == 413, answer.text
    assert str(limit) in answer.json()["error"]["message"] and "decompressed (br)" in answer.json()["error"]["message"]
    assert api.ctx.ingest.journal().counts()["events"] == 0


@pytest.mark.parametrize(("body", "problem"), [
    (_br(NDJSON)[:-4], "the data ends early (truncated)"),
    (_br(NDJSON)[: len(_br(NDJSON)) // 2], "the data ends early (truncated)"),
    (b"\xff\xfe not brotli at all", "corrupt data"),
    (_br(NDJSON) + b"junk", "corrupt data"),  # data after the end of the stream
    (_br(NDJSON) + _br(NDJSON), "corrupt data"),  # br has no members: one stream only
], ids=["last-4-bytes", "halved", "not-brotli", "junk-after", "two-streams"])
def test_a_damaged_br_body_is_400_and_nothing_is_journaled(api: Api, body: bytes, problem: str) -> None:
    answer = _post(api, body, "br")
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["field"] == "header.Content-Encoding", error
    assert error["message"].startswith(f"the body is not valid br data (Content-Encoding: br): {problem}"), error
    assert api.ctx.ingest.journal().counts()["events"] == 0


def test_a_br_body_at_the_limit_decompresses_and_one_byte_more_is_413() -> None:
    limit = 4 << 20  # decoded over several calls of 1 MiB, draining what the decoder kept
    body = bytes(range(256)) * (limit // 256)
    assert decode_content(_br(body), "br", limit=limit) == body
    with pytest.raises(ApiError) as raised:
        decode_content(_br(body + b"x"), "br", limit=limit)
    assert raised.value.status_code == 413
