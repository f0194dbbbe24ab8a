//! Zeek JSON records to normalised events, after `ingest/parsers/zeek*.py`.
//!
//! Every key is kept as `zeek.<key>` (`_path`, `_write_ts` and `ts` dropped),
//! ISO `...Z` times become epoch seconds, floats are rounded to microseconds,
//! `id.orig_h/p` and `id.resp_h/p` become `source.*`/`destination.*`, and the
//! logs of the corpus with a mapping (syslog, notice, x509, software, ntlm,
//! kerberos) add their normalised fields. A syslog record whose message is
//! `@cee:` JSON also yields the Windows event it carries (a second decode).
//! Not ported: conn, dns, http, files, ssl and dhcp mappings (no such log in
//! the corpus), records without `_path`, nested (`"id": {...}`) records.

use crate::normal::{ip_value, iso_epoch, lower, normalize_host, round6, set, text, user_name, Event};
use crate::value::{Flat, V};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Decodes a JSON object with the decoder the run chose.
pub type Decode = for<'a> fn(&'a str) -> Result<Flat<'a>, String>;

/// `zeek.<key>` field names and `zeek:<path>` kinds, each made once (bounded: keys are the sender's).
#[derive(Default)]
pub struct Names {
    fields: FxHashMap<Box<str>, &'static str>,
    kinds: FxHashMap<Box<str>, &'static str>,
}

const NAME_LIMIT: usize = 65536;

/// `map[key]`, else `prefix + key` made and remembered while the map is under its limit.
fn interned(map: &mut FxHashMap<Box<str>, &'static str>, prefix: &str, key: &str) -> Cow<'static, str> {
    if let Some(name) = map.get(key) {
        return Cow::Borrowed(name);
    }
    let name = format!("{prefix}{key}");
    if map.len() >= NAME_LIMIT {
        return Cow::Owned(name);
    }
    let name: &'static str = Box::leak(name.into_boxed_str());
    map.insert(key.into(), name);
    Cow::Borrowed(name)
}

impl Names {
    fn of(&mut self, key: &str) -> Cow<'static, str> {
        interned(&mut self.fields, "zeek.", key)
    }

    fn kind(&mut self, path: &str) -> Cow<'static, str> {
        interned(&mut self.kinds, "zeek:", path)
    }
}

fn is_iso(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 20 && b[b.len() - 1] == b'Z' && b[10] == b'T' && b[4] == b'-'
}

fn normal_value(value: V<'_>) -> V<'_> {
    match value {
        V::Str(text) if is_iso(&text) => match iso_epoch(&text) {
            Some(epoch) => V::Float(epoch),
            None => V::Str(text),
        },
        V::Float(number) => V::Float(round6(number)),
        V::List(items) => V::List(items.into_iter().map(normal_value).collect()),
        other => other,
    }
}

/// The slot of each record key that the connection and the mappings read (a
/// `match`, which the compiler turns into a switch on length and bytes).
fn slot(key: &str) -> Option<usize> {
    match key {
        "id.orig_h" => Some(0),
        "id.orig_p" => Some(1),
        "id.resp_h" => Some(2),
        "id.resp_p" => Some(3),
        "message" => Some(4),
        "facility" => Some(5),
        "severity" => Some(6),
        "proto" => Some(7),
        "note" => Some(8),
        "msg" => Some(9),
        "src" => Some(10),
        "dst" => Some(11),
        "p" => Some(12),
        "certificate.subject" => Some(13),
        "certificate.issuer" => Some(14),
        "san.dns" => Some(15),
        "host" => Some(16),
        "hostname" => Some(17),
        "username" => Some(18),
        "domainname" => Some(19),
        "server_dns_computer_name" => Some(20),
        "server_tree_name" => Some(21),
        "server_nb_computer_name" => Some(22),
        "request_type" => Some(23),
        "client" => Some(24),
        "success" => Some(25),
        _ => None,
    }
}

/// Where each key with a slot is in the fields (found while they are made, not searched for).
#[derive(Default)]
pub struct Slots([Option<u16>; 26]);

impl Slots {
    fn note(&mut self, key: &str, at: usize) {
        if let Some(slot) = slot(key) {
            self.0[slot] = u16::try_from(at).ok();
        }
    }
}

/// The field `zeek.<key>` of the record (the mappers read the record through its fields).
fn zeek<'f, 'a>(fields: &'f Flat<'a>, slots: &Slots, key: &str) -> Option<&'f V<'a>> {
    slots.0[slot(key).expect("a key with a slot")].map(|at| &fields.0[at as usize].1)
}

/// The first label of a domain, lower case (`JERRY.LAND` -> `jerry`).
fn first_label(domain: &str) -> String {
    domain.trim().trim_matches('.').split('.').next().unwrap_or("").to_lowercase()
}

/// The NTLM user's key (`zeek_accounts._ntlm_account`): `domain\user` when the
/// claimed domain is the server's, else the server's local account, else the bare user.
fn ntlm_account(fields: &Flat<'_>, slots: &Slots) -> Option<String> {
    let get = |key| zeek(fields, slots, key).and_then(V::text).map(str::trim).filter(|t| !t.is_empty() && *t != "-");
    let parsed = user_name(get("domainname"), get("username"), false)?;
    let (claim, user) = parsed.split_once('\\').unwrap_or(("", &parsed));
    let server_domain = match get("server_dns_computer_name").map(|n| n.trim_matches('.')) {
        Some(name) if name.contains('.') => Some(first_label(name.split_once('.').unwrap().1)),
        _ => get("server_tree_name").map(first_label),
    };
    if !claim.is_empty() && server_domain.as_deref() == Some(first_label(claim).as_str()) {
        return Some(format!("{}\\{user}", server_domain.unwrap()));
    }
    match get("server_nb_computer_name").or_else(|| get("server_dns_computer_name")).and_then(normalize_host) {
        Some(server) => Some(format!("{server}\\{user}")),
        None => Some(user.to_owned()),
    }
}

/// `event.outcome` of a log's `success`.
fn outcome<'a>(fields: &Flat<'a>, slots: &Slots) -> Option<V<'a>> {
    match zeek(fields, slots, "success") {
        Some(V::Bool(is_success)) => Some(V::Str(Cow::Borrowed(if *is_success { "success" } else { "failure" }))),
        _ => None,
    }
}

/// The events of one Zeek record (one, or two for a syslog record carrying a Windows event).
pub fn parse<'a>(record: Flat<'a>, names: &mut Names, decode: Decode) -> Result<Vec<Event<'a>>, String> {
    let mut path = None;
    let mut ts = None;
    let mut fields = Flat(Vec::with_capacity(record.0.len() + 8));
    let mut slots = Slots::default();
    for (key, value) in record.0 {
        match key.as_ref() {
            "_path" => {
                path = match value {
                    V::Str(path) => Some(path),
                    _ => None,
                }
            }
            "_write_ts" => {}
            "ts" => {
                ts = match &value {
                    V::Str(text) => iso_epoch(text),
                    V::Float(seconds) => Some(round6(*seconds)),
                    V::Int(seconds) => Some(*seconds as f64),
                    _ => None,
                }
            }
            _ => {
                if matches!(value, V::Obj(_)) {
                    return Err("a nested Zeek record (not ported)".into());
                }
                slots.note(&key, fields.0.len());
                fields.0.push((names.of(&key), normal_value(value)));
            }
        }
    }
    let path = path.ok_or("a Zeek record without _path (not ported)")?;
    let ts = ts.ok_or_else(|| format!("Zeek {path} record without ts"))?;
    for (ip_key, ip_name, port_key, port_name) in [
        ("id.orig_h", "source.ip", "id.orig_p", "source.port"),
        ("id.resp_h", "destination.ip", "id.resp_p", "destination.port"),
    ] {
        if let Some(value) = zeek(&fields, &slots, ip_key) {
            let ip = ip_value(Some(value)).ok_or_else(|| format!("Zeek {ip_key}: not an IP"))?;
            fields.0.push((Cow::Borrowed(ip_name), ip));
        }
        if let Some(port) = zeek(&fields, &slots, port_key).and_then(V::int) {
            fields.0.push((Cow::Borrowed(port_name), V::Int(port)));
        }
    }
    let mut cee = None;
    match path.as_ref() {
        "syslog" => {
            let message = text(zeek(&fields, &slots, "message"));
            let facility = text(zeek(&fields, &slots, "facility"));
            let severity = text(zeek(&fields, &slots, "severity"));
            let transport = lower(zeek(&fields, &slots, "proto"));
            if let Some(V::Str(message)) = &message {
                if message.contains("@cee:") {
                    cee = windows_in_cee(message, decode);
                }
            }
            set(&mut fields, "message", message);
            set(&mut fields, "log.syslog.facility", facility);
            set(&mut fields, "log.syslog.severity", severity);
            set(&mut fields, "network.transport", transport);
        }
        "notice" => {
            let note = text(zeek(&fields, &slots, "note"));
            let message = text(zeek(&fields, &slots, "msg"));
            set(&mut fields, "rule.name", note);
            set(&mut fields, "message", message);
            if zeek(&fields, &slots, "id.orig_h").is_none() {
                let src = ip_value(zeek(&fields, &slots, "src"));
                set(&mut fields, "source.ip", src);
            }
            if zeek(&fields, &slots, "id.resp_h").is_none() {
                let dst = ip_value(zeek(&fields, &slots, "dst"));
                let port = zeek(&fields, &slots, "p").and_then(V::int).map(V::Int);
                set(&mut fields, "destination.ip", dst);
                set(&mut fields, "destination.port", port);
            }
            let transport = lower(zeek(&fields, &slots, "proto"));
            set(&mut fields, "network.transport", transport);
        }
        "x509" => {
            let subject = text(zeek(&fields, &slots, "certificate.subject"));
            let issuer = text(zeek(&fields, &slots, "certificate.issuer"));
            set(&mut fields, "x509.subject", subject);
            set(&mut fields, "x509.issuer", issuer);
            if let Some(V::List(names)) = zeek(&fields, &slots, "san.dns") {
                let san = names.iter().filter_map(V::str).map(|name| V::Str(Cow::Owned(name.to_lowercase()))).collect();
                fields.0.push((Cow::Borrowed("x509.san"), V::List(san)));
            }
        }
        "software" => {
            if zeek(&fields, &slots, "id.orig_h").is_none() {
                let host = ip_value(zeek(&fields, &slots, "host"));
                set(&mut fields, "source.ip", host);
            }
        }
        "ntlm" => {
            let workstation = zeek(&fields, &slots, "hostname")
                .and_then(V::text)
                .map(|name| V::Str(Cow::Owned(normalize_host(name).unwrap_or_else(|| name.to_owned()))));
            let user = ntlm_account(&fields, &slots);
            let outcome = outcome(&fields, &slots);
            set(&mut fields, "source.workstation", workstation);
            set(&mut fields, "user.name", user.map(|u| V::Str(u.into())));
            set(&mut fields, "event.outcome", outcome);
        }
        "kerberos" => {
            let request = text(zeek(&fields, &slots, "request_type"));
            let user = zeek(&fields, &slots, "client").and_then(V::str).and_then(|client| {
                let (name, realm) = client.split_once('/').unwrap_or((client, ""));
                user_name(Some(realm), Some(name), false)
            });
            let outcome = outcome(&fields, &slots);
            set(&mut fields, "kerberos.request_type", request);
            set(&mut fields, "user.name", user.map(|u| V::Str(u.into())));
            set(&mut fields, "event.outcome", outcome);
        }
        _ => {}
    }
    let kind = names.kind(&path);
    let mut events = vec![Event { kind, ts, host: None, fields }];
    events.extend(cee);
    Ok(events)
}

/// A string that owns its text, so the event outlives the message it came from.
fn owned(value: V<'_>) -> V<'static> {
    match value {
        V::Str(text) => V::Str(Cow::Owned(text.into_owned())),
        V::List(items) => V::List(items.into_iter().map(owned).collect()),
        V::Obj(Flat(pairs)) => V::Obj(Flat(pairs.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), owned(v))).collect())),
        V::Null => V::Null,
        V::Bool(b) => V::Bool(b),
        V::Int(n) => V::Int(n),
        V::UInt(n) => V::UInt(n),
        V::Float(x) => V::Float(x),
    }
}

/// The time of an RFC 5424 header's timestamp with its offset (`2018-03-24T08:59:37-07:00`).
fn header_time(text: &str) -> Option<f64> {
    if text.len() < 25 {
        return iso_epoch(text);
    }
    let (local, offset) = text.split_at(text.len() - 6);
    let sign = match offset.as_bytes()[0] {
        b'+' => -1.0,
        b'-' => 1.0,
        _ => return iso_epoch(text),
    };
    let hours: f64 = offset[1..3].parse().ok()?;
    let minutes: f64 = offset[4..6].parse().ok()?;
    Some(iso_epoch(local)? + sign * (hours * 3600.0 + minutes * 60.0))
}

/// The Windows event a Zeek syslog message carries as `@cee:` JSON (`syslog.windows_events_in_zeek_syslog`).
fn windows_in_cee(message: &str, decode: Decode) -> Option<Event<'static>> {
    let (header, payload) = message.split_once("@cee:")?;
    let time = header.split(' ').nth(1).and_then(header_time)?;
    let payload = decode(payload.trim()).ok()?;
    let payload = Flat(payload.0.into_iter().map(|(key, value)| (Cow::Owned(key.into_owned()), owned(value))).collect());
    crate::windows::from_cee(&payload, time).map(|event| Event {
        fields: Flat(event.fields.0.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), owned(v))).collect()),
        ..event
    })
}
