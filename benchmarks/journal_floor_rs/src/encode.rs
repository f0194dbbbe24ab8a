//! The normalised fields as the log's `fields` column: JSON (what the
//! journal stores now) or a compact binary form, `--fields compact`:
//!
//! ```text
//! fields = "GF1" count:u16 then count times (name value)
//! name   = n:u16 then n bytes (UTF-8)
//! value  = tag:u8 then: 0 null | 1 false | 2 true | 3 i64 | 4 f64 | 5 u64 (8 bytes, LE)
//!          | 6 str: n:u32 then n bytes | 7 list: n:u32 then n values | 8 object: as fields without "GF1"
//! ```
//!
//! Strings are copied as they are: no escaping, which is what JSON costs.

use crate::value::{Flat, V};
use std::borrow::Cow;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Encoding {
    Json,
    Compact,
    /// Compact, without the fields that copy the record under a prefix
    /// (`zeek.<key>`, `winlog.event_data.<Name>`): a reader derives them from
    /// the raw record by the parser's rule. Not what the journal does now.
    Delta,
}

/// Whether a field is the record's own value under a prefix (left out by `Delta`).
fn is_copy(name: &str) -> bool {
    name.starts_with("zeek.") || name.starts_with("winlog.event_data.")
}

const MAGIC: &[u8; 3] = b"GF1";

pub fn encode(fields: &Flat<'_>, encoding: Encoding, out: &mut Vec<u8>) -> Result<(), String> {
    match encoding {
        Encoding::Json => serde_json::to_writer(out, fields).map_err(|error| error.to_string()),
        Encoding::Compact => {
            out.extend_from_slice(MAGIC);
            pairs(fields, out, false)
        }
        Encoding::Delta => {
            out.extend_from_slice(MAGIC);
            pairs(fields, out, true)
        }
    }
}

fn pairs(fields: &Flat<'_>, out: &mut Vec<u8>, is_delta: bool) -> Result<(), String> {
    let kept = |name: &str| !(is_delta && is_copy(name));
    let count = fields.0.iter().filter(|(name, _)| kept(name)).count();
    let count = u16::try_from(count).map_err(|_| "more than 65,535 fields")?;
    out.extend_from_slice(&count.to_le_bytes());
    for (name, value) in fields.0.iter().filter(|(name, _)| kept(name)) {
        let length = u16::try_from(name.len()).map_err(|_| format!("a field name of {} bytes", name.len()))?;
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        put(value, out)?;
    }
    Ok(())
}

fn put(value: &V<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        V::Null => out.push(0),
        V::Bool(false) => out.push(1),
        V::Bool(true) => out.push(2),
        V::Int(n) => {
            out.push(3);
            out.extend_from_slice(&n.to_le_bytes());
        }
        V::Float(x) => {
            out.push(4);
            out.extend_from_slice(&x.to_le_bytes());
        }
        V::UInt(n) => {
            out.push(5);
            out.extend_from_slice(&n.to_le_bytes());
        }
        V::Str(text) => {
            out.push(6);
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        V::List(items) => {
            out.push(7);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            for item in items {
                put(item, out)?;
            }
        }
        V::Obj(flat) => {
            out.push(8);
            pairs(flat, out, false)?;
        }
    }
    Ok(())
}

/// Reads `--fields compact` back (for recovery and tests); `None` if malformed.
pub fn decode(bytes: &[u8]) -> Option<Flat<'_>> {
    let mut at = 0;
    if bytes.get(..3)? != MAGIC {
        return None;
    }
    at += 3;
    let flat = read_pairs(bytes, &mut at)?;
    (at == bytes.len()).then_some(flat)
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
    let slice = bytes.get(*at..at.checked_add(n)?)?;
    *at += n;
    Some(slice)
}

fn read_pairs<'a>(bytes: &'a [u8], at: &mut usize) -> Option<Flat<'a>> {
    let count = u16::from_le_bytes(take(bytes, at, 2)?.try_into().ok()?);
    let mut pairs = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let length = u16::from_le_bytes(take(bytes, at, 2)?.try_into().ok()?) as usize;
        let name = std::str::from_utf8(take(bytes, at, length)?).ok()?;
        pairs.push((Cow::Borrowed(name), read(bytes, at)?));
    }
    Some(Flat(pairs))
}

fn read<'a>(bytes: &'a [u8], at: &mut usize) -> Option<V<'a>> {
    let eight = |at: &mut usize| -> Option<[u8; 8]> { take(bytes, at, 8)?.try_into().ok() };
    Some(match *take(bytes, at, 1)?.first()? {
        0 => V::Null,
        1 => V::Bool(false),
        2 => V::Bool(true),
        3 => V::Int(i64::from_le_bytes(eight(at)?)),
        4 => V::Float(f64::from_le_bytes(eight(at)?)),
        5 => V::UInt(u64::from_le_bytes(eight(at)?)),
        6 => {
            let length = u32::from_le_bytes(take(bytes, at, 4)?.try_into().ok()?) as usize;
            V::Str(Cow::Borrowed(std::str::from_utf8(take(bytes, at, length)?).ok()?))
        }
        7 => {
            let count = u32::from_le_bytes(take(bytes, at, 4)?.try_into().ok()?);
            let mut items = Vec::new();
            for _ in 0..count {
                items.push(read(bytes, at)?);
            }
            V::List(items)
        }
        8 => V::Obj(read_pairs(bytes, at)?),
        _ => return None,
    })
}
