//! The per-record floor of the steps every GraphSIEM ingest must take, written in Rust.
//!
//! `benchmarks/bench_ingest.py` prints the same floors for the Python pipeline.
//! This program asks whether a compiled pipeline would escape them: it reads an
//! NDJSON file and, per record, decodes it (serde_json: the parser needs the
//! record), derives the stable id, builds a journal row and inserts it into a
//! table of the journal's schema (`ingest/journal.py`: rollback journal in
//! TRUNCATE mode, synchronous=FULL, 64 KiB pages), committing every 5,000 rows
//! as the pipeline does. `--wal` uses WAL instead, as journals did before
//! 2026-11-28 22:10. `--log` writes no SQLite at all: each row goes to an
//! append-only log (below), the floor of a system of record without per-row
//! SQL work.
//! No parsing into normalised fields, no projection, no graph: a floor.
//!
//! The id follows the journal's id scheme (`ingest/event_ids.py`):
//!
//! * `--scheme 2` (default, every journal made since schemes exist): sha256 over
//!   `name \x1f` and the line's bytes as read (without its line ending), hex cut
//!   to 32 characters; the row's `raw` is the line as read. `sha2` picks the
//!   CPU's SHA extensions (SHA-NI) at run time on x86-64; no cargo feature is
//!   needed for that (its `asm` feature only swaps the fallback used without them).
//! * `--scheme 1` (older journals): the record re-encoded with sorted keys
//!   (canonical text), blake2b-256 over `name \x1f` and that text, hex cut to 32
//!   characters; the row's `raw` is the canonical text.
//!
//! In both, the row's `fields` is the decoded record re-encoded by serde_json
//! (sorted keys), standing for the parser's normalised fields.
//!
//! Ids are kept unique as the journal does now (`ingest/id_index.py`): no SQLite
//! index on `id`, an in-memory set of each id's first 64 bits checked before the
//! insert (a repeated prefix skips the row; the journal would read the row back
//! and compare full ids). The journal also saves those prefixes in `id_runs`
//! (16 bytes a row); that write is left out here. `--unique-index` instead puts
//! SQLite's `UNIQUE` index on `id` and inserts with `INSERT OR IGNORE`, as
//! journals made before 2026-11-28 18:08 do and as this program did before.
//!
//! `--log` appends the same row values (id, kind, ts, host, source, origin,
//! fields, raw) to the file `DB-log`, a segment, and keeps ids unique with the
//! same in-memory prefix set. Each file starts with 8 magic bytes naming the
//! framing and its version (`GSJLOG01`, `GSJIDS01`); integers are little-endian:
//!
//! ```text
//! record = length:u32  body  crc:u32
//! body   = id:32 bytes (the hex id)  ts:f64  kind:str  host:str-or-NULL
//!          source:str  origin:str  fields:str  raw:str
//! str    = n:u32 then n bytes;  NULL = the length u32::MAX and no bytes
//! crc    = CRC-32 (IEEE, the same as Python's zlib.crc32) of length and body
//! ```
//!
//! Since the real journal also persists its id index, each batch's new ids go
//! to `DB-ids` as 16 bytes a record: the id's first 64 bits and the record's
//! byte offset in the segment. The offset is what a reader needs to fetch the
//! record and compare full ids, since the log has no other index. Per
//! 5,000-row batch (a commit's worth), the framed records go to the kernel
//! about 1 MiB at a time (`WRITE_SIZE`) and the segment is made durable with
//! `fdatasync` (`File::sync_data`); then the batch's id entries are written in
//! one write and the ids file is synced in the same way.
//! Recovery scans the segment from its start and stops at the first record
//! whose length runs past the end of the file or whose CRC does not match (a
//! torn tail); it truncates the segment there (`scan`, tested below). Because
//! the segment is synced before the id entries are even written, the ids file
//! can lag the segment but never lead it. Recovery would drop any entry whose
//! offset is not a valid record with that prefix, and index the records that
//! have no entry (this program does not implement that). After a run the
//! program reads both files back this way, outside the timings, and checks
//! that the segment holds every record written and that each id entry names
//! its record's offset and prefix.
//!
//! The check is `crc32fast`, a maintained crate (the one `flate2` uses) that
//! picks a PCLMULQDQ/AVX-512 kernel at run time: perf put under 2% of a
//! Windows run's samples in it, the read-back's checks included. Its CRC is
//! zlib's, so a Python tool can check a segment with the standard library.
//! xxh3 would do as well as a check, but Python would need a third-party
//! module for it. A 32-bit CRC catches every burst of up to 32 bits and misses
//! random damage with probability 2^-32.
//!
//! `--normalise zeek|windows` (`src/normalise.rs`) is the per-record work of
//! a compiled ingest core, not a floor: each record is decoded straight into
//! the normalised fields the Python parsers make (`src/zeek.rs`,
//! `src/windows.rs`; serde-derived types borrowing from the line, with
//! `--decoder serde` or `sonic`), every event gets its scheme-2 id as the
//! pipeline computes it (the parser name `zeek`, `winlogbeat`, `nxlog` or
//! `sentinel`; `\x1f index` when a record yields several events), the events
//! are projected into in-memory entity, relation and sighting maps
//! (`src/project.rs`), and each event is appended to the `--log` segment with
//! its own kind, time, host and parser name, its fields (`--fields json` or
//! `compact`, `src/encode.rs`) and the line as read. `cargo test` checks the
//! ids, kinds, times, hosts and fields against the Python pipeline on corpus
//! lines (`src/parity_tests.rs`; needs `GRAPHSIEM_SAMPLES`).
//!
//! Run (crates from crates.io):
//!     cargo run --release --manifest-path benchmarks/journal_floor_rs/Cargo.toml -- \
//!         FILE.ndjson [DB] [--scheme 1|2] [--unique-index] [--wal] [--log] [--keep]
//! FILE is, e.g., the tiled corpus `bench_ingest.py` writes (see its `tile`).
//! DB defaults to a file in the system's temporary directory; it and its
//! -journal, -wal, -shm, -log and -ids files are removed at the end unless
//! `--keep` is given. `cargo test` checks the log's framing.
//! Prints microseconds per record for each step (wall time), records per
//! second of wall time, and records per CPU-second of the process (user +
//! system; time spent waiting for fsync is not CPU time). Reading a line and
//! checking its UTF-8 is in no column, only in the records/s.
//!
//! Figures (2026-11-28, 2 shared cores with SHA-NI, load 1.1-1.7, median of 3
//! runs each, default id prefixes, WAL as journals were then, us per record):
//!
//! | corpus                   | scheme | decode | id                 | row  | insert+commit | records/s |
//! |--------------------------|--------|--------|--------------------|------|---------------|-----------|
//! | Zeek JSON, 100,326 x 667 B | 1    | 1.06   | 1.75 (0.88 + 0.87) | 0.97 | 5.08          | 104,728   |
//! | Zeek JSON                | 2      | 1.05   | 0.51               | 1.08 | 5.05          | 118,824   |
//! | Windows JSON, 104,101 x 2.8 KB | 1 | 4.66 | 6.13 (3.25 + 2.88) | 3.31 | 15.59         | 31,305    |
//! | Windows JSON             | 2      | 4.59   | 1.78               | 3.37 | 15.43         | 35,981    |
//!
//! `--log` against the default (rollback journal), scheme 2 (2026-11-28
//! 23:59-00:00, load 0.64-1.05, each round started after 3 s of an idle
//! machine, alternating, medians of 5 Windows and 7 Zeek rounds, us per
//! record). "write" is the log's append + fdatasync (of it: frame + CRC, write,
//! fdatasync) or SQLite's insert + commit. "x loads" divides records/CPU-s by
//! `orjson.loads` per CPU-second on the same lines (`bench_ingest.py`'s
//! `raw_rate`, same rounds): 265,822 Windows and 972,974 Zeek records.
//!
//! | corpus  | store    | decode | id   | row  | write                   | records/s | records/CPU-s | x loads |
//! |---------|----------|--------|------|------|-------------------------|-----------|---------------|---------|
//! | Windows | log      | 5.05   | 1.78 | 3.40 | 6.68 (1.18, 1.31, 3.63) | 51,242    | 60,997        | 0.23    |
//! | Windows | rollback | 4.86   | 1.77 | 3.29 | 9.78                    | 44,718    | 53,265        | 0.20    |
//! | Zeek    | log      | 1.17   | 0.55 | 1.10 | 2.28 (0.54, 0.35, 1.10) | 172,469   | 203,414       | 0.21    |
//! | Zeek    | rollback | 1.14   | 0.54 | 1.11 | 4.13                    | 129,466   | 152,408       | 0.16    |
//!
//! At 0.25x of `orjson.loads` a whole pipeline gets 15.0 us of CPU a Windows
//! record and 4.1 us a Zeek record; decode + id + log alone takes 16.4 and
//! 4.9 us (see `docs/performance.md`).
//!
//! `--normalise` (2026-11-29 23:23-23:36, `bench_ingest.py --rust-floor 5
//! --records 100000`: 5 alternating rounds per corpus, each with
//! `orjson.loads` on the same lines, load 2.6-10; medians, records/CPU-s,
//! ratio to the median `orjson.loads` rate; the Zeek figures are a second
//! series, which also ran `--fields delta`):
//!
//! | corpus  | mode                          | records/CPU-s | x loads |
//! |---------|-------------------------------|---------------|---------|
//! | Windows | `--log` (floor)               | 76,803        | 0.25    |
//! | Windows | normalise, serde, json        | 89,821        | 0.29    |
//! | Windows | normalise, serde, compact     | 103,342       | 0.34    |
//! | Windows | normalise, sonic, compact     | 107,334       | 0.35    |
//! | Zeek    | `--log` (floor)               | 278,341       | 0.25    |
//! | Zeek    | normalise, serde, json        | 210,112       | 0.19    |
//! | Zeek    | normalise, serde, compact     | 224,346       | 0.20    |
//! | Zeek    | normalise, sonic, compact     | 242,236       | 0.21    |
//! | Zeek    | normalise, sonic, delta       | 271,462       | 0.24    |
//!
//! `orjson.loads`: 304,689 Windows and 1,131,522 Zeek records/CPU-s. A second
//! Windows series (23:43-23:47, load 8-17, `orjson.loads` 320,570) gave 0.25,
//! 0.30, 0.31, 0.32 and, with `--fields delta` (sonic), 0.33.

mod encode;
mod normal;
mod normalise;
#[cfg(test)]
mod parity_tests;
mod project;
mod value;
mod windows;
mod zeek;

use blake2::{digest::consts::U32, Blake2b, Digest};
use sha2::Sha256;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::time::Instant;

const BATCH: usize = 5000;
/// The parser name that starts every id (`name \x1f ...`).
const NAME: &[u8] = b"bench";
/// `ingest/journal.py`'s settings, with `{mode}` `TRUNCATE` (its `ROLLBACK_MODE`) or `WAL`.
const PRAGMAS: &str =
    "PRAGMA page_size=65536; PRAGMA cache_size=-65536; PRAGMA journal_mode={mode};
PRAGMA synchronous=FULL;";
/// `ingest/journal.py`'s `events` table, with `{unique}` either empty (the id
/// index keeps ids unique) or `UNIQUE` (journals made before the id index).
const EVENTS: &str = "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT,
id TEXT NOT NULL {unique}, kind TEXT NOT NULL, ts REAL NOT NULL, host TEXT, source TEXT NOT NULL,
origin TEXT NOT NULL, fields BLOB NOT NULL, raw BLOB);";
/// The constant columns of every row, as the SQLite insert writes them.
const KIND: &str = "bench";
const TS: f64 = 0.0;
const SOURCE: &str = "bench";
/// The first bytes of a `--log` segment and of its ids file (name and version of the framing).
const SEGMENT_MAGIC: &[u8; 8] = b"GSJLOG01";
const IDS_MAGIC: &[u8; 8] = b"GSJIDS01";
/// The length prefix that stands for SQL NULL (the row's `host`).
const NULL: u32 = u32::MAX;
/// `--log` hands the kernel the framed records about 1 MiB at a time: one
/// write() of a whole batch (~29 MB of Windows records) cost 15 us a record in
/// the kernel's copy into the page cache on this machine, 1 MiB writes 1.3-1.6
/// us and 64 KiB writes 2.5-2.7 us.
const WRITE_SIZE: usize = 1 << 20;

struct Options {
    path: String,
    db: std::path::PathBuf,
    scheme: u8,
    is_unique_index: bool,
    is_wal: bool,
    is_log: bool,
    is_kept: bool,
    /// `--normalise FORMAT`: the compiled core's per-record work (`normalise.rs`).
    normalise: Option<normalise::Format>,
    decoder: normalise::Decoder,
    encoding: encode::Encoding,
}

fn options() -> Result<Options, String> {
    let usage =
        "usage: journal-floor FILE.ndjson [DB] [--scheme 1|2] [--unique-index] [--wal] [--log] [--keep]\n\
         \x20      journal-floor FILE.ndjson [DB] --normalise zeek|windows [--decoder serde|sonic] [--fields json|compact|delta] [--keep]";
    let (mut path, mut db, mut scheme) = (None, None, 2u8);
    let (mut is_unique_index, mut is_wal, mut is_log, mut is_kept) = (false, false, false, false);
    let (mut normalise, mut decoder, mut encoding) = (None, normalise::Decoder::Serde, encode::Encoding::Json);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scheme" => {
                scheme = match args.next().as_deref() {
                    Some("1") => 1,
                    Some("2") => 2,
                    other => return Err(format!("--scheme takes 1 or 2, not {other:?}\n{usage}")),
                }
            }
            "--normalise" => {
                normalise = match args.next().as_deref() {
                    Some("zeek") => Some(normalise::Format::Zeek),
                    Some("windows") => Some(normalise::Format::Windows),
                    other => return Err(format!("--normalise takes zeek or windows, not {other:?}\n{usage}")),
                }
            }
            "--decoder" => {
                decoder = match args.next().as_deref() {
                    Some("serde") => normalise::Decoder::Serde,
                    Some("sonic") => normalise::Decoder::Sonic,
                    other => return Err(format!("--decoder takes serde or sonic, not {other:?}\n{usage}")),
                }
            }
            "--fields" => {
                encoding = match args.next().as_deref() {
                    Some("json") => encode::Encoding::Json,
                    Some("compact") => encode::Encoding::Compact,
                    Some("delta") => encode::Encoding::Delta,
                    other => return Err(format!("--fields takes json, compact or delta, not {other:?}\n{usage}")),
                }
            }
            "--unique-index" => is_unique_index = true,
            "--wal" => is_wal = true,
            "--log" => is_log = true,
            "--keep" => is_kept = true,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}\n{usage}")),
            _ if path.is_none() => path = Some(arg),
            _ if db.is_none() => db = Some(std::path::PathBuf::from(arg)),
            _ => return Err(usage.to_string()),
        }
    }
    let path = path.ok_or(usage)?;
    if is_log && (is_unique_index || is_wal) {
        return Err(format!(
            "--log writes no SQLite table: it takes no --unique-index or --wal\n{usage}"
        ));
    }
    if normalise.is_some() && (is_unique_index || is_wal || is_log || scheme != 2) {
        return Err(format!(
            "--normalise writes the append-only log with scheme-2 ids: it takes no other store or scheme option\n{usage}"
        ));
    }
    // The process id keeps two runs at once from sharing a database.
    let db = db.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("journal-floor-{}.sqlite", std::process::id()))
    });
    Ok(Options {
        path,
        db,
        scheme,
        is_unique_index,
        is_wal,
        is_log,
        is_kept,
        normalise,
        decoder,
        encoding,
    })
}

/// `db` with `suffix` appended to its name (`DB-journal`, `DB-log`, ...).
fn beside(db: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// Removes the database, its journal files and the `--log` files (the disk is shared).
fn remove_db(db: &std::path::Path) {
    for suffix in ["", "-journal", "-wal", "-shm", "-log", "-ids"] {
        let _ = std::fs::remove_file(beside(db, suffix));
    }
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

struct Row {
    id: String,
    /// `kind`, `ts`, `host` and `source` are the constants `bench`, 0.0,
    /// NULL and `bench` except in `--normalise` (the event's own).
    kind: std::borrow::Cow<'static, str>,
    ts: f64,
    host: Option<String>,
    source: &'static str,
    origin: String,
    fields: Vec<u8>,
    raw: String,
}

/// Inserts the rows whose id is new in one transaction; returns how many were skipped.
fn commit(
    conn: &rusqlite::Connection,
    rows: &mut Vec<Row>,
    prefixes: Option<&mut HashSet<u64>>,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut skipped = 0;
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (id, kind, ts, host, source, origin, fields, raw) \
             VALUES (?1, 'bench', 0.0, NULL, 'bench', ?2, ?3, ?4)",
        )?;
        match prefixes {
            Some(prefixes) => {
                for row in rows.iter() {
                    // the id's first 16 hex digits = its first 64 bits, as ingest/id_index.py
                    if !prefixes.insert(u64::from_str_radix(&row.id[..16], 16)?) {
                        skipped += 1;
                        continue;
                    }
                    insert.execute(rusqlite::params![row.id, row.origin, row.fields, row.raw])?;
                }
            }
            None => {
                for row in rows.iter() {
                    skipped += 1 - insert
                        .execute(rusqlite::params![row.id, row.origin, row.fields, row.raw])?
                        as u64;
                }
            }
        }
    }
    tx.commit()?;
    rows.clear();
    Ok(skipped)
}

/// Appends `bytes` to `buffer` behind their u32 length; `None` is SQL NULL.
fn put(buffer: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            buffer.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            buffer.extend_from_slice(bytes);
        }
        None => buffer.extend_from_slice(&NULL.to_le_bytes()),
    }
}

/// Appends one framed record (see the module doc) to `buffer`.
fn frame(buffer: &mut Vec<u8>, row: &Row) {
    let start = buffer.len();
    buffer.extend_from_slice(&[0; 4]); // the body's length, known at the end
    debug_assert_eq!(row.id.len(), 32);
    buffer.extend_from_slice(row.id.as_bytes());
    buffer.extend_from_slice(&row.ts.to_le_bytes());
    put(buffer, Some(row.kind.as_bytes()));
    put(buffer, row.host.as_deref().map(str::as_bytes));
    put(buffer, Some(row.source.as_bytes()));
    put(buffer, Some(row.origin.as_bytes()));
    put(buffer, Some(&row.fields));
    put(buffer, Some(row.raw.as_bytes()));
    let length = (buffer.len() - start - 4) as u32;
    buffer[start..start + 4].copy_from_slice(&length.to_le_bytes());
    let crc = crc32fast::hash(&buffer[start..]);
    buffer.extend_from_slice(&crc.to_le_bytes());
}

/// One record read back from a segment; `None` in `host` is SQL NULL.
#[derive(Debug, PartialEq)]
struct Record<'a> {
    id: &'a [u8],
    ts: f64,
    kind: &'a [u8],
    host: Option<&'a [u8]>,
    source: &'a [u8],
    origin: &'a [u8],
    fields: &'a [u8],
    raw: &'a [u8],
}

/// Splits a record's body into its columns; `None` if the lengths do not add up.
fn unframe(body: &[u8]) -> Option<Record<'_>> {
    let mut at = 40;
    let mut take = |may_be_null: bool| -> Option<Option<&[u8]>> {
        let length = u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        if length == NULL && may_be_null {
            return Some(None);
        }
        let bytes = body.get(at..at.checked_add(length as usize)?)?;
        at += length as usize;
        Some(Some(bytes))
    };
    let record = Record {
        id: body.get(..32)?,
        ts: f64::from_le_bytes(body.get(32..40)?.try_into().ok()?),
        kind: take(false)??,
        host: take(true)?,
        source: take(false)??,
        origin: take(false)??,
        fields: take(false)??,
        raw: take(false)??,
    };
    (at == body.len()).then_some(record)
}

/// The records of a segment (with the offset each starts at) up to the first
/// torn or corrupt one, and the offset where that one starts (where recovery
/// truncates the segment).
fn scan(segment: &[u8]) -> (Vec<(usize, Record<'_>)>, usize) {
    let mut records = Vec::new();
    let mut at = SEGMENT_MAGIC.len();
    if segment.get(..at) != Some(SEGMENT_MAGIC) {
        return (records, 0);
    }
    // `get` returns None past the end: a torn length, body or checksum stops the scan.
    while let Some(length) = segment.get(at..at + 4) {
        let body_end = at + 4 + u32::from_le_bytes(length.try_into().unwrap()) as usize;
        let (Some(framed), Some(crc)) = (
            segment.get(at..body_end),
            segment.get(body_end..body_end + 4),
        ) else {
            break;
        };
        if crc32fast::hash(framed) != u32::from_le_bytes(crc.try_into().unwrap()) {
            break;
        }
        let Some(record) = unframe(&framed[4..]) else {
            break;
        };
        records.push((at, record));
        at = body_end + 4;
    }
    (records, at)
}

/// The `--log` system of record: a segment of framed records and a file of
/// (id prefix, record offset) pairs, both made durable once per batch.
struct Log {
    segment: std::fs::File,
    ids: std::fs::File,
    prefixes: HashSet<u64>,
    /// The segment's length: the offset the next record starts at.
    end: u64,
    /// Framed records not yet written (up to about WRITE_SIZE bytes) and the
    /// batch's 16-byte id entries (written at its end).
    records: Vec<u8>,
    entries: Vec<u8>,
    /// Seconds spent framing (with the id check and CRC), writing and in fdatasync.
    framing: f64,
    writing: f64,
    syncing: f64,
}

impl Log {
    fn create(segment: &std::path::Path, ids: &std::path::Path) -> std::io::Result<Log> {
        let mut segment = std::fs::File::create(segment)?;
        let mut ids = std::fs::File::create(ids)?;
        segment.write_all(SEGMENT_MAGIC)?;
        ids.write_all(IDS_MAGIC)?;
        Ok(Log {
            segment,
            ids,
            prefixes: HashSet::new(),
            end: SEGMENT_MAGIC.len() as u64,
            records: Vec::new(),
            entries: Vec::new(),
            framing: 0.0,
            writing: 0.0,
            syncing: 0.0,
        })
    }

    /// Appends the rows whose id prefix is new and syncs; returns how many were skipped.
    fn append(&mut self, rows: &mut Vec<Row>) -> Result<u64, Box<dyn std::error::Error>> {
        let t0 = Instant::now();
        let mut skipped = 0;
        let mut writing = 0.0;
        self.entries.clear();
        for row in rows.iter() {
            let prefix = u64::from_str_radix(&row.id[..16], 16)?;
            if !self.prefixes.insert(prefix) {
                skipped += 1;
                continue;
            }
            self.entries.extend_from_slice(&prefix.to_le_bytes());
            self.entries.extend_from_slice(&self.end.to_le_bytes());
            let before = self.records.len();
            frame(&mut self.records, row);
            self.end += (self.records.len() - before) as u64;
            if self.records.len() >= WRITE_SIZE {
                let t = Instant::now();
                self.segment.write_all(&self.records)?;
                self.records.clear();
                writing += t.elapsed().as_secs_f64();
            }
        }
        let t1 = Instant::now();
        self.segment.write_all(&self.records)?;
        self.records.clear();
        let t2 = Instant::now();
        // The segment is durable before the id entries that point into it are
        // written: after a crash the ids file can lag the segment, never lead it.
        self.segment.sync_data()?;
        let t3 = Instant::now();
        self.ids.write_all(&self.entries)?;
        let t4 = Instant::now();
        self.ids.sync_data()?;
        let t5 = Instant::now();
        let seconds = |from: Instant, to: Instant| (to - from).as_secs_f64();
        // `writing` so far is the loop's writes, which t0..t1 also holds.
        self.framing += seconds(t0, t1) - writing;
        self.writing += writing + seconds(t1, t2) + seconds(t3, t4);
        self.syncing += seconds(t2, t3) + seconds(t4, t5);
        rows.clear();
        Ok(skipped)
    }
}

/// Where the rows go: the journal's SQLite table or the append-only log.
enum Sink {
    Sqlite(rusqlite::Connection, Option<HashSet<u64>>),
    Log(Log),
}

impl Sink {
    fn commit(&mut self, rows: &mut Vec<Row>) -> Result<u64, Box<dyn std::error::Error>> {
        match self {
            Sink::Sqlite(conn, prefixes) => commit(conn, rows, prefixes.as_mut()),
            Sink::Log(log) => log.append(rows),
        }
    }
}

/// Reads the `--log` files back as recovery would and checks they hold `count`
/// records and an id entry naming each.
fn verify_log(db: &std::path::Path, count: u64) -> Result<String, Box<dyn std::error::Error>> {
    let segment = std::fs::read(beside(db, "-log"))?;
    let ids = std::fs::read(beside(db, "-ids"))?;
    let started = Instant::now();
    let (records, end) = scan(&segment);
    let seconds = started.elapsed().as_secs_f64();
    let entries = ids.get(IDS_MAGIC.len()..).unwrap_or_default().chunks(16);
    if ids.get(..IDS_MAGIC.len()) != Some(IDS_MAGIC)
        || end != segment.len()
        || records.len() as u64 != count
        || entries.len() as u64 != count
    {
        return Err(format!(
            "read back {} records ending at byte {end} of {} and {} id entries, not {count}",
            records.len(),
            segment.len(),
            entries.len()
        )
        .into());
    }
    for ((offset, record), entry) in records.iter().zip(entries) {
        let prefix = u64::from_str_radix(std::str::from_utf8(&record.id[..16])?, 16)?;
        if entry[..8] != prefix.to_le_bytes() || entry[8..] != (*offset as u64).to_le_bytes() {
            return Err(
                format!("the id entry of the record at byte {offset} does not name it").into(),
            );
        }
    }
    Ok(format!(
        "read back {count} records ({} bytes, CRCs good) in {:.0} ms and their {count} id entries",
        segment.len(),
        seconds * 1e3
    ))
}

/// The next line that is not blank, without its line ending (as the Python
/// reader's `rstrip(b"\r\n")`), its UTF-8 checked once and not copied;
/// `number` counts every line read.
fn next_line(
    reader: &mut impl BufRead,
    number: &mut u64,
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    loop {
        let mut bytes = Vec::new();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(None);
        }
        *number += 1;
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        if !bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Some(String::from_utf8(bytes)?));
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options().unwrap_or_else(|problem| {
        eprintln!("{problem}");
        std::process::exit(2)
    });
    remove_db(&options.db);
    let result = match options.normalise {
        Some(format) => normalise::run(&options.path, &options.db, format, options.decoder, options.encoding)
            .and_then(|count| normalise::verify(&options.db, count, options.encoding)),
        None => run(&options),
    };
    if !options.is_kept {
        remove_db(&options.db);
    }
    result
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let mut sink = if options.is_log {
        Sink::Log(Log::create(
            &beside(&options.db, "-log"),
            &beside(&options.db, "-ids"),
        )?)
    } else {
        let conn = rusqlite::Connection::open(&options.db)?;
        conn.execute_batch(
            &PRAGMAS.replace("{mode}", if options.is_wal { "WAL" } else { "TRUNCATE" }),
        )?;
        conn.execute_batch(&EVENTS.replace(
            "{unique}",
            if options.is_unique_index {
                "UNIQUE"
            } else {
                ""
            },
        ))?;
        Sink::Sqlite(conn, (!options.is_unique_index).then(HashSet::<u64>::new))
    };
    let mut reader =
        std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&options.path)?);

    // Scheme 2 starts each digest from a copy of the state after `name \x1f`, as
    // ingest/event_ids.py does.
    let mut sha_started = Sha256::new();
    sha_started.update(NAME);
    sha_started.update(b"\x1f");

    let (mut decode, mut canonical, mut hash, mut build, mut write) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut rows = Vec::with_capacity(BATCH);
    let (mut count, mut skipped, mut number) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let cpu_started = cpu_seconds();
    while let Some(line) = next_line(&mut reader, &mut number)? {
        let t0 = Instant::now();
        // serde_json's default map is ordered by key: serialising it sorts keys.
        let value: serde_json::Value = serde_json::from_str(&line)?;
        let t1 = Instant::now();
        let (id, raw, t2) = if options.scheme == 1 {
            let text = serde_json::to_string(&value)?;
            let t2 = Instant::now();
            let mut hasher = Blake2b::<U32>::new();
            hasher.update(NAME);
            hasher.update(b"\x1f");
            hasher.update(text.as_bytes());
            (hex::encode(&hasher.finalize()[..16]), text, t2)
        } else {
            let mut hasher = sha_started.clone();
            hasher.update(line.as_bytes()); // the bytes as read: no re-dump
            (hex::encode(&hasher.finalize()[..16]), line, t1)
        };
        let t3 = Instant::now();
        let fields = serde_json::to_vec(&value)?;
        rows.push(Row {
            id,
            kind: KIND.into(),
            ts: TS,
            host: None,
            source: SOURCE,
            origin: format!("{}:{number}", options.path),
            fields,
            raw,
        });
        let t4 = Instant::now();
        decode += (t1 - t0).as_secs_f64();
        canonical += (t2 - t1).as_secs_f64();
        hash += (t3 - t2).as_secs_f64();
        build += (t4 - t3).as_secs_f64();
        count += 1;
        if rows.len() == BATCH {
            let t = Instant::now();
            skipped += sink.commit(&mut rows)?;
            write += t.elapsed().as_secs_f64();
        }
    }
    let t = Instant::now();
    skipped += sink.commit(&mut rows)?;
    write += t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    let us = |seconds: f64| seconds * 1e6 / count as f64;
    let id_steps = if options.scheme == 1 {
        format!(
            "id {:.2} (canonical {:.2}, blake2b {:.2})",
            us(canonical + hash),
            us(canonical),
            us(hash)
        )
    } else {
        format!("id {:.2} (sha256 of the line as read)", us(hash))
    };
    let (store, write_step) = match &sink {
        Sink::Sqlite(..) => (
            format!(
                "{}, {}",
                if options.is_unique_index {
                    "UNIQUE id index"
                } else {
                    "in-memory id prefixes"
                },
                if options.is_wal {
                    "WAL"
                } else {
                    "rollback journal"
                }
            ),
            format!("SQLite insert+commit {:.2}", us(write)),
        ),
        Sink::Log(log) => (
            "in-memory id prefixes, append-only log".to_string(),
            format!(
                "log append+fdatasync {:.2} (frame+crc {:.2}, write {:.2}, fdatasync {:.2})",
                us(write),
                us(log.framing),
                us(log.writing),
                us(log.syncing)
            ),
        ),
    };
    drop(sink);
    println!(
        "scheme {}, {store}: {count} records ({skipped} skipped as repeats), {:.0} records/s wall, \
         {:.0} records/CPU-s; us per record: decode {:.2}, {id_steps}, row {:.2}, {write_step}",
        options.scheme,
        count as f64 / total,
        count as f64 / cpu,
        us(decode),
        us(build),
    );
    if options.is_log {
        println!("{}", verify_log(&options.db, count - skipped)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: u32) -> Row {
        Row {
            id: format!("{number:032x}"),
            kind: KIND.into(),
            ts: TS,
            host: None,
            source: SOURCE,
            origin: format!("file.ndjson:{number}"),
            fields: format!("{{\"n\":{number}}}").into_bytes(),
            raw: format!("{{\"n\": {number}}}"),
        }
    }

    /// A segment of three records and the offset each record starts at.
    fn segment() -> (Vec<u8>, Vec<usize>) {
        let mut bytes = SEGMENT_MAGIC.to_vec();
        let mut starts = Vec::new();
        for number in 1..=3 {
            starts.push(bytes.len());
            frame(&mut bytes, &row(number));
        }
        (bytes, starts)
    }

    #[test]
    fn records_read_back_with_the_columns_written() {
        let (bytes, starts) = segment();
        let (records, end) = scan(&bytes);
        assert_eq!(end, bytes.len());
        let second = row(2);
        assert_eq!(
            records[1],
            (
                starts[1],
                Record {
                    id: second.id.as_bytes(),
                    ts: TS,
                    kind: KIND.as_bytes(),
                    host: None,
                    source: SOURCE.as_bytes(),
                    origin: second.origin.as_bytes(),
                    fields: &second.fields,
                    raw: second.raw.as_bytes(),
                }
            )
        );
        assert_eq!(records.len(), 3);
    }

    #[test]
    fn a_torn_tail_ends_the_scan_where_the_torn_record_starts() {
        let (bytes, starts) = segment();
        for cut in starts[2] + 1..bytes.len() {
            let (records, end) = scan(&bytes[..cut]);
            assert_eq!((records.len(), end), (2, starts[2]), "cut at byte {cut}");
        }
    }

    #[test]
    fn a_changed_byte_ends_the_scan_where_its_record_starts() {
        let (bytes, starts) = segment();
        for at in starts[1]..starts[2] {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            let (records, end) = scan(&changed);
            assert_eq!((records.len(), end), (1, starts[1]), "byte {at} changed");
        }
    }
}
