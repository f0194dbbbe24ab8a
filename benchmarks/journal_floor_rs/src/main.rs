//! The per-record floor of the steps every GraphSIEM ingest must take, written in Rust.
//!
//! `benchmarks/bench_ingest.py` prints the same floors for the Python pipeline.
//! This program asks whether a compiled pipeline would escape them: it reads an
//! NDJSON file and, per record, decodes it (serde_json: the parser needs the
//! record), derives the stable id, builds a journal row and inserts it into a
//! table of the journal's schema (`ingest/journal.py`: rollback journal in
//! TRUNCATE mode, synchronous=FULL, 64 KiB pages), committing every 5,000 rows
//! as the pipeline does. `--wal` uses WAL instead, as journals did before
//! 2026-11-28 22:10.
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
//! Run (crates from crates.io):
//!     cargo run --release --manifest-path benchmarks/journal_floor_rs/Cargo.toml -- \
//!         FILE.ndjson [DB] [--scheme 1|2] [--unique-index] [--wal] [--keep]
//! FILE is, e.g., the tiled corpus `bench_ingest.py` writes (see its `tile`).
//! DB defaults to a file in the system's temporary directory; it and its
//! -journal, -wal and -shm files are removed at the end unless `--keep` is given.
//! Prints microseconds per record for each step (wall time), records per
//! second of wall time, and records per CPU-second of the process (user +
//! system; time spent waiting for fsync is not CPU time). Reading a line and
//! checking its UTF-8 is in no column, only in the records/s.
//!
//! Figures (2026-11-28, 2 shared cores with SHA-NI, load 1.1-1.7, median of 3
//! runs each, default id prefixes, us per record):
//!
//! | corpus                   | scheme | decode | id                 | row  | insert+commit | records/s |
//! |--------------------------|--------|--------|--------------------|------|---------------|-----------|
//! | Zeek JSON, 100,326 x 667 B | 1    | 1.06   | 1.75 (0.88 + 0.87) | 0.97 | 5.08          | 104,728   |
//! | Zeek JSON                | 2      | 1.05   | 0.51               | 1.08 | 5.05          | 118,824   |
//! | Windows JSON, 104,101 x 2.8 KB | 1 | 4.66 | 6.13 (3.25 + 2.88) | 3.31 | 15.59         | 31,305    |
//! | Windows JSON             | 2      | 4.59   | 1.78               | 3.37 | 15.43         | 35,981    |

use blake2::{digest::consts::U32, Blake2b, Digest};
use sha2::Sha256;
use std::collections::HashSet;
use std::io::BufRead;
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

struct Options {
    path: String,
    db: std::path::PathBuf,
    scheme: u8,
    is_unique_index: bool,
    is_wal: bool,
    is_kept: bool,
}

fn options() -> Result<Options, String> {
    let usage =
        "usage: journal-floor FILE.ndjson [DB] [--scheme 1|2] [--unique-index] [--wal] [--keep]";
    let (mut path, mut db, mut scheme) = (None, None, 2u8);
    let (mut is_unique_index, mut is_wal, mut is_kept) = (false, false, false);
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
            "--unique-index" => is_unique_index = true,
            "--wal" => is_wal = true,
            "--keep" => is_kept = true,
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}\n{usage}")),
            _ if path.is_none() => path = Some(arg),
            _ if db.is_none() => db = Some(std::path::PathBuf::from(arg)),
            _ => return Err(usage.to_string()),
        }
    }
    let path = path.ok_or(usage)?;
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
        is_kept,
    })
}

/// Removes the database and its journal files (the disk is shared).
fn remove_db(db: &std::path::Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options().unwrap_or_else(|problem| {
        eprintln!("{problem}");
        std::process::exit(2)
    });
    remove_db(&options.db);
    let result = run(&options);
    if !options.is_kept {
        remove_db(&options.db);
    }
    result
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
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
    let mut prefixes = (!options.is_unique_index).then(HashSet::<u64>::new);
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
    loop {
        let mut bytes = Vec::new();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        number += 1;
        // the line without its line ending, as the Python reader's rstrip(b"\r\n")
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = String::from_utf8(bytes)?; // validated once, not copied
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
            skipped += commit(&conn, &mut rows, prefixes.as_mut())?;
            write += t.elapsed().as_secs_f64();
        }
    }
    let t = Instant::now();
    skipped += commit(&conn, &mut rows, prefixes.as_mut())?;
    write += t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    drop(conn);
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
    println!(
        "scheme {}, {}, {}: {count} records ({skipped} skipped as repeats), {:.0} records/s wall, \
         {:.0} records/CPU-s; us per record: decode {:.2}, {id_steps}, row {:.2}, \
         SQLite insert+commit {:.2}",
        options.scheme,
        if options.is_unique_index {
            "UNIQUE id index"
        } else {
            "in-memory id prefixes"
        },
        if options.is_wal {
            "WAL"
        } else {
            "rollback journal"
        },
        count as f64 / total,
        count as f64 / cpu,
        us(decode),
        us(build),
        us(write)
    );
    Ok(())
}
