//! Tests of `--normalise` against the Python pipeline, on corpus lines.
//!
//! `fixtures/sample-expected.json` (written by `fixtures/make_expected.py`)
//! names lines of the test corpus by file and line number and holds what the
//! Python pipeline makes of each: parser name, event ids, kinds, times, hosts
//! and each field's value as a digest. The lines are read from
//! `$GRAPHSIEM_SAMPLES`, never copied into the repository.

use crate::encode::{self, Encoding};
use crate::normalise::{parse_line, Decoder, Format};
use crate::value::V;
use crate::zeek::Names;
use crate::{frame, scan, Row, SEGMENT_MAGIC};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Expected {
    path: String,
    line: usize,
    parser: String,
    ids: Vec<String>,
    events: Vec<ExpectedEvent>,
}

#[derive(Deserialize)]
struct ExpectedEvent {
    kind: String,
    ts: f64,
    host: Option<String>,
    fields: BTreeMap<String, String>,
}

fn expected() -> Vec<Expected> {
    serde_json::from_str(include_str!("../fixtures/sample-expected.json")).unwrap()
}

/// Line `number` (1-based, without its line ending) of a corpus file.
fn corpus_line(path: &str, number: usize) -> String {
    let samples = std::env::var("GRAPHSIEM_SAMPLES")
        .expect("set GRAPHSIEM_SAMPLES to the test corpus (e.g. /work/shared/datasets)");
    let text = std::fs::read_to_string(std::path::Path::new(&samples).join(path))
        .unwrap_or_else(|error| panic!("{samples}/{path}: {error}"));
    text.split('\n').nth(number - 1).unwrap().trim_end_matches('\r').to_owned()
}

fn format_of(path: &str) -> Format {
    if path.contains("zeek") {
        Format::Zeek
    } else {
        Format::Windows
    }
}

/// As `make_expected.py`'s digest: sha256 of the value's JSON, 16 hex digits.
fn digest(value: &V<'_>) -> String {
    hex::encode(&Sha256::digest(serde_json::to_vec(value).unwrap())[..8])
}

#[test]
fn ids_are_the_python_pipelines_scheme_2_ids() {
    for case in expected() {
        let line = corpus_line(&case.path, case.line);
        for decoder in [Decoder::Serde, Decoder::Sonic] {
            let (name, events) =
                parse_line(format_of(&case.path), decoder, &line, &mut Names::default(), &mut [0.0; 2]).unwrap();
            let started = crate::normalise::started(name);
            let several = events.len() > 1;
            let ids: Vec<String> = (0..events.len())
                .map(|index| crate::normalise::as_read_id(&started, line.as_bytes(), several.then_some(index)))
                .collect();
            assert_eq!((name, &ids), (case.parser.as_str(), &case.ids), "{}:{} ({decoder:?})", case.path, case.line);
        }
    }
}

#[test]
fn kinds_times_and_hosts_are_the_python_parsers() {
    for case in expected() {
        let line = corpus_line(&case.path, case.line);
        let (_, events) =
            parse_line(format_of(&case.path), Decoder::Serde, &line, &mut Names::default(), &mut [0.0; 2]).unwrap();
        let got: Vec<(String, f64, Option<String>)> =
            events.iter().map(|e| (e.kind.to_string(), e.ts, e.host.clone())).collect();
        let want: Vec<(String, f64, Option<String>)> =
            case.events.iter().map(|e| (e.kind.clone(), e.ts, e.host.clone())).collect();
        assert_eq!(got, want, "{}:{}", case.path, case.line);
    }
}

/// The files whose fields this port does not give as Python does: the known
/// gaps of the port, listed so that any other difference fails. Sentinel rows
/// pack their event data in `EventData_dynamic` (a JSON text), which the port
/// does not unpack, and Python's message for them is rendered from it.
const KNOWN_GAPS: &[&str] = &["golden_saml/WindowsEvents.json"];

#[test]
fn fields_are_the_python_parsers_but_for_the_known_gaps() {
    let mut problems = Vec::new();
    for case in expected() {
        let line = corpus_line(&case.path, case.line);
        let (_, events) =
            parse_line(format_of(&case.path), Decoder::Serde, &line, &mut Names::default(), &mut [0.0; 2]).unwrap();
        for (event, want) in events.iter().zip(&case.events) {
            let got: BTreeMap<&str, String> =
                event.fields.0.iter().map(|(name, value)| (name.as_ref(), digest(value))).collect();
            let names: std::collections::BTreeSet<&str> =
                want.fields.keys().map(String::as_str).chain(got.keys().copied()).collect();
            for name in names {
                let (have, should) = (got.get(name), want.fields.get(name));
                if have != should && !KNOWN_GAPS.iter().any(|gap| case.path.ends_with(gap)) {
                    problems.push(format!(
                        "{}:{} {} {name}: {}",
                        case.path,
                        case.line,
                        want.kind,
                        match (have, should) {
                            (None, _) => "missing",
                            (_, None) => "not made by Python",
                            _ => "another value",
                        }
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}

/// Three framed rows of real events (Zeek syslog with its Windows event, a Winlogbeat record).
fn rows(encoding: Encoding) -> Vec<Row> {
    let mut rows = Vec::new();
    for case in expected().into_iter().filter(|case| case.line == 1 || case.parser == "winlogbeat").take(3) {
        let line = corpus_line(&case.path, case.line);
        let (name, events) =
            parse_line(format_of(&case.path), Decoder::Serde, &line, &mut Names::default(), &mut [0.0; 2]).unwrap();
        for (event, id) in events.iter().zip(&case.ids) {
            let mut fields = Vec::new();
            encode::encode(&event.fields, encoding, &mut fields).unwrap();
            rows.push(Row {
                id: id.clone(),
                kind: event.kind.to_string().into(),
                ts: event.ts,
                host: event.host.clone(),
                source: name,
                origin: format!("{}:{}", case.path, case.line),
                fields,
                raw: line.clone(),
            });
        }
    }
    rows
}

#[test]
fn normalised_records_read_back_with_their_columns_and_fields() {
    for encoding in [Encoding::Json, Encoding::Compact, Encoding::Delta] {
        let rows = rows(encoding);
        let mut segment = SEGMENT_MAGIC.to_vec();
        for row in &rows {
            frame(&mut segment, row);
        }
        let (records, end) = scan(&segment);
        assert_eq!((records.len(), end), (rows.len(), segment.len()));
        for ((_, record), row) in records.iter().zip(&rows) {
            assert_eq!(
                (record.id, record.ts, record.kind, record.host, record.source, record.raw),
                (
                    row.id.as_bytes(),
                    row.ts,
                    row.kind.as_bytes(),
                    row.host.as_deref().map(str::as_bytes),
                    row.source.as_bytes(),
                    row.raw.as_bytes()
                )
            );
            assert_eq!(record.fields, &row.fields[..]);
        }
        if encoding != Encoding::Json {
            let line = corpus_line("brimdata-zed-sample-data/zeek-json/dce_rpc.json", 1);
            let (_, events) = parse_line(Format::Zeek, Decoder::Serde, &line, &mut Names::default(), &mut [0.0; 2]).unwrap();
            let mut fields = events[0].fields.clone();
            if encoding == Encoding::Delta {
                // the zeek.<key> copies of the record are left to the raw record
                fields.0.retain(|(name, _)| !name.starts_with("zeek."));
                assert_eq!(fields.0.len(), 4, "source and destination ip and port");
            }
            assert_eq!(encode::decode(records[0].1.fields), Some(fields));
        }
    }
}

#[test]
fn a_torn_tail_of_normalised_records_ends_the_scan_where_the_torn_record_starts() {
    let mut segment = SEGMENT_MAGIC.to_vec();
    let mut starts = Vec::new();
    for row in rows(Encoding::Compact) {
        starts.push(segment.len());
        frame(&mut segment, &row);
    }
    let last = *starts.last().unwrap();
    for cut in last + 1..segment.len() {
        let (records, end) = scan(&segment[..cut]);
        assert_eq!((records.len(), end), (starts.len() - 1, last), "cut at byte {cut}");
    }
}

/// Every record of the two corpora against the Python pipeline: the ids must
/// all match; the fields that differ are counted by (kind, field, how) and
/// printed. Needs `make_expected.py --all FILE` and `GRAPHSIEM_PARITY_EXPECTED=FILE`;
/// run with `cargo test --release -- --ignored --nocapture corpus_parity`.
#[test]
#[ignore]
fn corpus_parity() {
    let path = std::env::var("GRAPHSIEM_PARITY_EXPECTED").expect("GRAPHSIEM_PARITY_EXPECTED names make_expected.py --all's file");
    let cases: Vec<Expected> = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut events, mut exact, mut id_problems, mut kind_problems) = (0usize, 0usize, Vec::new(), 0usize);
    let mut differences: BTreeMap<(String, String, &str), usize> = BTreeMap::new();
    let mut names = Names::default();
    for case in &cases {
        let lines = files.entry(case.path.clone()).or_insert_with(|| {
            let text = std::fs::read_to_string(std::path::Path::new(&std::env::var("GRAPHSIEM_SAMPLES").unwrap()).join(&case.path)).unwrap();
            text.split('\n').map(|line| line.trim_end_matches('\r').to_owned()).collect()
        });
        let line = &lines[case.line - 1];
        let (name, got) = parse_line(format_of(&case.path), Decoder::Serde, line, &mut names, &mut [0.0; 2]).unwrap();
        let started = crate::normalise::started(name);
        let several = got.len() > 1;
        let ids: Vec<String> =
            (0..got.len()).map(|index| crate::normalise::as_read_id(&started, line.as_bytes(), several.then_some(index))).collect();
        if ids != case.ids {
            id_problems.push(format!("{}:{}", case.path, case.line));
        }
        for (event, want) in got.iter().zip(&case.events) {
            events += 1;
            if (event.kind.as_ref(), event.ts, &event.host) != (want.kind.as_str(), want.ts, &want.host) {
                kind_problems += 1;
                *differences.entry((want.kind.clone(), format!("kind/ts/host (got {})", event.kind), "differs")).or_default() += 1;
            }
            let have: BTreeMap<&str, String> = event.fields.0.iter().map(|(n, v)| (n.as_ref(), digest(v))).collect();
            let mut same = true;
            for name in want.fields.keys().map(String::as_str).chain(have.keys().copied()).collect::<std::collections::BTreeSet<_>>() {
                let how = match (have.get(name), want.fields.get(name)) {
                    (a, b) if a == b => continue,
                    (None, _) => "missing",
                    (_, None) => "extra",
                    _ => "another value",
                };
                same = false;
                *differences.entry((want.kind.clone(), name.to_owned(), how)).or_default() += 1;
            }
            exact += same as usize;
        }
    }
    println!("{} records, {events} events: {exact} with every field as Python's, {kind_problems} with another kind, time or host", cases.len());
    for ((kind, name, how), count) in &differences {
        println!("{count:6} {kind} {name}: {how}");
    }
    assert!(id_problems.is_empty(), "{} records with other ids: {:?}", id_problems.len(), &id_problems[..id_problems.len().min(5)]);
}
