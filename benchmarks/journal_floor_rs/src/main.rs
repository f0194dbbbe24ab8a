//! The per-record floor of two steps every GraphSIEM ingest must take, written in Rust.
//!
//! `benchmarks/bench_ingest.py` prints the same floors for the Python pipeline.
//! This program asks whether a compiled pipeline would escape them: it reads an
//! NDJSON file and, per record, decodes it (serde_json), re-encodes it with
//! sorted keys (the canonical text the stable id is derived from), hashes it
//! (blake2b-256, as `graphsiem.model.stable_hash`), and inserts a journal row of
//! the real schema (`ingest/journal.py`: WAL, synchronous=FULL, 64 KiB pages,
//! unique id) with the canonical text as `raw` and the record's top-level
//! fields as `fields`, committing every 5,000 rows as the pipeline does.
//! No parsing into normalised fields, no projection, no graph: a floor.
//!
//! Run (crates from crates.io):
//!     cargo run --release --manifest-path benchmarks/journal_floor_rs/Cargo.toml -- FILE.ndjson [DB]
//! FILE is, e.g., the tiled corpus `bench_ingest.py` writes (see its `tile`).
//! Prints microseconds per record for each step (thread CPU is not separated
//! from wall here: run it on a quiet machine).

use blake2::{digest::consts::U32, Blake2b, Digest};
use std::io::BufRead;
use std::time::Instant;

const BATCH: usize = 5000;
const SCHEMA: &str = "PRAGMA page_size=65536; PRAGMA cache_size=-65536; PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
kind TEXT NOT NULL, ts REAL NOT NULL, host TEXT, source TEXT NOT NULL, origin TEXT NOT NULL,
fields BLOB NOT NULL, raw BLOB);";

struct Row {
    id: String,
    origin: String,
    fields: Vec<u8>,
    raw: String,
}

fn commit(conn: &rusqlite::Connection, rows: &mut Vec<Row>) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (id, kind, ts, host, source, origin, fields, raw) \
             VALUES (?1, 'bench', 0.0, NULL, 'bench', ?2, ?3, ?4)",
        )?;
        for row in rows.iter() {
            insert.execute(rusqlite::params![row.id, row.origin, row.fields, row.raw])?;
        }
    }
    tx.commit()?;
    rows.clear();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: journal-floor FILE.ndjson [DB]")?;
    let db = args.next().unwrap_or_else(|| "journal-floor.sqlite".to_string());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    let conn = rusqlite::Connection::open(&db)?;
    conn.execute_batch(SCHEMA)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);

    let (mut decode, mut canonical, mut hash, mut build, mut write) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut rows = Vec::with_capacity(BATCH);
    let mut count = 0u64;
    let started = Instant::now();
    for (number, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let t0 = Instant::now();
        // serde_json's default map is ordered by key: serialising it sorts keys.
        let value: serde_json::Value = serde_json::from_str(&line)?;
        let t1 = Instant::now();
        let text = serde_json::to_string(&value)?;
        let t2 = Instant::now();
        let mut hasher = Blake2b::<U32>::new();
        hasher.update(b"bench\x1f");
        hasher.update(text.as_bytes());
        let id = hex::encode(&hasher.finalize()[..16]);
        let t3 = Instant::now();
        let fields = serde_json::to_vec(&value)?;
        rows.push(Row { id, origin: format!("{path}:{}", number + 1), fields, raw: text });
        let t4 = Instant::now();
        decode += (t1 - t0).as_secs_f64();
        canonical += (t2 - t1).as_secs_f64();
        hash += (t3 - t2).as_secs_f64();
        build += (t4 - t3).as_secs_f64();
        count += 1;
        if rows.len() == BATCH {
            let t = Instant::now();
            commit(&conn, &mut rows)?;
            write += t.elapsed().as_secs_f64();
        }
    }
    let t = Instant::now();
    commit(&conn, &mut rows)?;
    write += t.elapsed().as_secs_f64();
    let total = started.elapsed().as_secs_f64();
    let us = |seconds: f64| seconds * 1e6 / count as f64;
    println!(
        "{count} records, {:.0} records/s; us per record: decode {:.2}, canonical {:.2}, \
         blake2b {:.2}, row {:.2}, SQLite insert+commit {:.2}",
        count as f64 / total,
        us(decode),
        us(canonical),
        us(hash),
        us(build),
        us(write)
    );
    Ok(())
}
