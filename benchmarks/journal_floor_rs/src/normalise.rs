//! `--normalise FORMAT`: a compiled ingest core's per-record work, as far as
//! the corpora need it: decode the record straight into the normalised fields
//! (`zeek.rs`, `windows.rs`), the scheme-2 id of each event, a projection into
//! in-memory entity and relation maps (`project.rs`), and the append-only log
//! of `--log` with each event's real columns (kind, time, host, parser name,
//! origin, the fields as compact JSON and the record as read).
//!
//! `--fields json` (default) writes the fields as the journal does, `compact`
//! in the binary form of `encode.rs`.
//!
//! `--decoder serde` (serde_json) or `sonic` (sonic-rs) decodes, both through
//! the same serde-derived types that borrow strings from the line. The
//! format is given per file, as `bench_ingest.py` groups its corpora; the
//! Windows shapes are told apart per record from the decoded envelope.

use crate::encode::{encode, Encoding};
use crate::normal::Event;
use crate::project::Graph;
use crate::value::Flat;
use crate::windows::{self, WinAny};
use crate::zeek::{self, Decode, Names};
use crate::{cpu_seconds, Log, Row};
use sha2::{Digest, Sha256};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Format {
    Zeek,
    Windows,
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Decoder {
    Serde,
    Sonic,
}

fn flat_serde(text: &str) -> Result<Flat<'_>, String> {
    serde_json::from_str(text).map_err(|error| error.to_string())
}

fn flat_sonic(text: &str) -> Result<Flat<'_>, String> {
    sonic_rs::from_str(text).map_err(|error| error.to_string())
}

fn windows_record(decoder: Decoder, text: &str) -> Result<WinAny<'_>, String> {
    match decoder {
        Decoder::Serde => serde_json::from_str(text).map_err(|error| error.to_string()),
        Decoder::Sonic => sonic_rs::from_str(text).map_err(|error| error.to_string()),
    }
}

/// The scheme-2 id (`ingest/event_ids.py`'s `as_read_id`): sha256 over `name \x1f`,
/// the line as read and, when a record gives several events, `\x1f index`.
pub fn as_read_id(started: &Sha256, line: &[u8], index: Option<usize>) -> String {
    let mut hasher = started.clone();
    hasher.update(line);
    if let Some(index) = index {
        hasher.update(format!("\x1f{index}").as_bytes());
    }
    let digest = hasher.finalize();
    // hex by table: hex::encode collects chars one by one (~1,000 instructions an id)
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = Vec::with_capacity(32);
    for byte in &digest[..16] {
        text.push(DIGITS[(byte >> 4) as usize]);
        text.push(DIGITS[(byte & 15) as usize]);
    }
    String::from_utf8(text).expect("hex digits")
}

/// The sha256 state after `name \x1f`, copied for each id.
pub fn started(name: &str) -> Sha256 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\x1f");
    hasher
}

/// The events of one line and the parser name their ids start with.
pub fn parse_line<'a>(
    format: Format,
    decoder: Decoder,
    line: &'a str,
    names: &mut Names,
    timing: &mut [f64; 2],
) -> Result<(&'static str, Vec<Event<'a>>), String> {
    let decode: Decode = match decoder {
        Decoder::Serde => flat_serde,
        Decoder::Sonic => flat_sonic,
    };
    let t0 = Instant::now();
    match format {
        Format::Zeek => {
            let record = decode(line)?;
            let t1 = Instant::now();
            let events = zeek::parse(record, names, decode)?;
            timing[0] += (t1 - t0).as_secs_f64();
            timing[1] += t1.elapsed().as_secs_f64();
            Ok(("zeek", events))
        }
        Format::Windows => {
            let record = windows_record(decoder, line)?;
            let t1 = Instant::now();
            let event = windows::parse(&record, line, decode)?;
            timing[0] += (t1 - t0).as_secs_f64();
            timing[1] += t1.elapsed().as_secs_f64();
            Ok((windows::shape_name(&record), vec![event]))
        }
    }
}

/// One event's log columns but the record itself.
struct Columns {
    id: String,
    kind: std::borrow::Cow<'static, str>,
    ts: f64,
    host: Option<String>,
    source: &'static str,
    fields: Vec<u8>,
}

pub fn run(
    path: &str,
    db: &std::path::Path,
    format: Format,
    decoder: Decoder,
    encoding: Encoding,
) -> Result<u64, Box<dyn std::error::Error>> {
    // A batch's rows (~10 MB of Windows records) are freed at once: without
    // these glibc hands the memory back to the kernel and page-faults it in
    // again for the next batch (perf: ~6% of a Zeek run in page faults).
    // SAFETY: mallopt only sets glibc's allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
    let mut log = Log::create(&crate::beside(db, "-log"), &crate::beside(db, "-ids"))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut hashers: Vec<(&'static str, Sha256)> = Vec::new();
    let mut names = Names::default();
    let mut graph = Graph::default();
    // decode, normalise; then id, project, encode (fields JSON + row), write
    let mut timing = [0.0f64; 2];
    let (mut id_time, mut project_time, mut encode_time, mut write_time) = (0.0, 0.0, 0.0, 0.0);
    let mut rows = Vec::with_capacity(crate::BATCH);
    let (mut records, mut events_count, mut rejected, mut skipped, mut number) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut first_rejection = None;
    let started_at = Instant::now();
    let cpu_started = cpu_seconds();
    while let Some(line) = crate::next_line(&mut reader, &mut number)? {
        records += 1;
        let columns: Vec<Columns> = {
            let (name, events) = match parse_line(format, decoder, &line, &mut names, &mut timing) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    // the journal would keep a rejection naming the line and reason
                    rejected += 1;
                    first_rejection.get_or_insert(format!("{path}:{number}: {reason}"));
                    continue;
                }
            };
            let t0 = Instant::now();
            let started = match hashers.iter().find(|(known, _)| *known == name) {
                Some((_, hasher)) => hasher,
                None => {
                    hashers.push((name, started(name)));
                    &hashers.last().unwrap().1
                }
            };
            let several = events.len() > 1;
            let ids: Vec<String> = (0..events.len())
                .map(|index| as_read_id(started, line.as_bytes(), several.then_some(index)))
                .collect();
            let t1 = Instant::now();
            for event in &events {
                graph.project(event);
            }
            let t2 = Instant::now();
            let columns = events
                .into_iter()
                .zip(ids)
                .map(|(event, id)| {
                    let mut fields = Vec::with_capacity(line.len() + 256);
                    encode(&event.fields, encoding, &mut fields)?;
                    Ok(Columns { id, kind: event.kind, ts: event.ts, host: event.host, source: name, fields })
                })
                .collect::<Result<Vec<_>, String>>()?;
            id_time += (t1 - t0).as_secs_f64();
            project_time += (t2 - t1).as_secs_f64();
            encode_time += t2.elapsed().as_secs_f64();
            columns
        };
        let t = Instant::now();
        let origin = format!("{path}:{number}");
        let last = columns.len() - 1;
        let mut line = Some(line);
        for (index, column) in columns.into_iter().enumerate() {
            // each event of a record is journaled with the record's text
            let raw = if index == last { line.take().unwrap() } else { line.clone().unwrap() };
            rows.push(Row {
                id: column.id,
                kind: column.kind,
                ts: column.ts,
                host: column.host,
                source: column.source,
                origin: origin.clone(),
                fields: column.fields,
                raw,
            });
            events_count += 1;
        }
        encode_time += t.elapsed().as_secs_f64();
        if rows.len() >= crate::BATCH {
            let t = Instant::now();
            skipped += log.append(&mut rows)?;
            write_time += t.elapsed().as_secs_f64();
        }
    }
    let t = Instant::now();
    skipped += log.append(&mut rows)?;
    write_time += t.elapsed().as_secs_f64();
    let total = started_at.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    let us = |seconds: f64| seconds * 1e6 / records as f64;
    println!(
        "normalise {format:?} ({decoder:?}, fields {encoding:?}), append-only log: {records} records, {events_count} events \
         ({skipped} skipped as repeats, {rejected} records rejected), {:.0} records/s wall, {:.0} records/CPU-s; \
         us per record: decode {:.2}, normalise {:.2}, id {:.2}, project {:.2}, encode {:.2}, \
         log append+fdatasync {:.2} (frame+crc {:.2}, write {:.2}, fdatasync {:.2})",
        records as f64 / total,
        records as f64 / cpu,
        us(timing[0]),
        us(timing[1]),
        us(id_time),
        us(project_time),
        us(encode_time),
        us(write_time),
        us(log.framing),
        us(log.writing),
        us(log.syncing),
    );
    if let Some(rejection) = first_rejection {
        println!("first rejection: {rejection}");
    }
    println!("{}", graph.summary());
    Ok(events_count - skipped)
}

/// Reads the log back as recovery would (outside the timings): every record, id entry and fields.
pub fn verify(db: &std::path::Path, count: u64, encoding: Encoding) -> Result<(), Box<dyn std::error::Error>> {
    println!("{}", crate::verify_log(db, count)?);
    println!("{}", verify_fields(db, encoding)?);
    Ok(())
}

/// Reads the segment back as recovery would and decodes every record's fields.
fn verify_fields(db: &std::path::Path, encoding: Encoding) -> Result<String, String> {
    let segment = std::fs::read(crate::beside(db, "-log")).map_err(|error| error.to_string())?;
    let (records, _) = crate::scan(&segment);
    let mut count = 0;
    for (offset, record) in &records {
        let is_good = match encoding {
            Encoding::Compact | Encoding::Delta => crate::encode::decode(record.fields).is_some(),
            Encoding::Json => serde_json::from_slice::<Flat>(record.fields).is_ok(),
        };
        if !is_good {
            return Err(format!("the fields of the record at byte {offset} do not decode"));
        }
        count += record.fields.len();
    }
    Ok(format!("the fields of all {} records decode ({count} bytes)", records.len()))
}
