//! The normal forms the Python parsers give values (`ingest/normalize*.py`),
//! as far as the corpus' records need them, and the event a parser returns.

use crate::value::{Flat, V};
use std::borrow::Cow;
use std::net::IpAddr;

/// One normalised event: what `graphsiem.model.Event` holds but the id, origin and raw record.
#[derive(Debug)]
pub struct Event<'a> {
    pub kind: Cow<'static, str>,
    pub ts: f64,
    /// The endpoint's short name; sensor events have none.
    pub host: Option<String>,
    pub fields: Flat<'a>,
}

/// Sets `fields[name]` unless the value is absent (as `sensor_fields.set_field`).
pub fn set<'a>(fields: &mut Flat<'a>, name: &'static str, value: Option<V<'a>>) {
    match value {
        None | Some(V::Null) => {}
        Some(V::Str(text)) if text.is_empty() => {}
        Some(value) => fields.0.push((Cow::Borrowed(name), value)),
    }
}

/// A borrowed copy of a string value (a slice of the line when it had no escapes).
pub fn text<'a>(value: Option<&V<'a>>) -> Option<V<'a>> {
    match value {
        Some(V::Str(text)) if !text.is_empty() && text != "-" => Some(V::Str(text.clone())),
        _ => None,
    }
}

pub fn lower<'a>(value: Option<&V<'a>>) -> Option<V<'a>> {
    let text = value?.str().filter(|text| !text.is_empty())?;
    Some(V::Str(if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
        Cow::Owned(text.to_lowercase())
    } else {
        Cow::Owned(text.to_owned())
    }))
}

/// `round(value, 6)`, cheap for values already whole microseconds (`zeek_values.round_micro`).
pub fn round6(value: f64) -> f64 {
    if value.abs() < 1e15 {
        let micros = (value * 1e6).round();
        if micros / 1e6 == value {
            return value;
        }
        return micros / 1e6;
    }
    value
}

fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0i64, |n, b| n * 10 + (b - b'0') as i64))
}

/// Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Epoch seconds of `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z]` (UTC), whole
/// microseconds divided once, as Python's `datetime.timestamp()` does.
pub fn iso_epoch(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0i64;
    if let Some((b'.', fraction)) = rest.split_first() {
        let end = fraction.iter().position(|b| !b.is_ascii_digit()).unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        for (i, digit) in fraction[..end.min(6)].iter().enumerate() {
            micros += (digit - b'0') as i64 * 10i64.pow(5 - i as u32);
        }
        rest = &fraction[end..];
    }
    if !(rest.is_empty() || rest == b"Z") {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    Some((seconds * 1_000_000 + micros) as f64 / 1e6)
}

/// The canonical text of an IP address, or `None` (`normalize_ip.canonical_ip`, not strict).
pub fn canonical_ip(text: &str) -> Option<Cow<'_, str>> {
    // std reads only the dotted-decimal form of IPv4 (no leading zeros, no
    // shorthand), which is its canonical text: no formatting needed
    if text.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(Cow::Borrowed(text));
    }
    let ip: IpAddr = text.parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    let canonical = ip.to_string();
    Some(if canonical == text { Cow::Borrowed(text) } else { Cow::Owned(canonical) })
}

/// An IP field: the canonical form of a string value, borrowed when the record wrote it so.
pub fn ip_value<'a>(value: Option<&V<'a>>) -> Option<V<'a>> {
    let V::Str(text) = value? else { return None };
    let ip = canonical_ip(text)?;
    Some(V::Str(match (ip, text) {
        (Cow::Borrowed(_), Cow::Borrowed(original)) => Cow::Borrowed(*original),
        (ip, _) => Cow::Owned(ip.into_owned()),
    }))
}

/// Short, lower-case host name (`normalize_hosts.normalize_host`): IPs whole, a
/// domain dropped, `DOMAIN\HOST$` to `host`.
pub fn normalize_host(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() || name == "-" {
        return None;
    }
    if let Some(ip) = canonical_ip(name) {
        return Some(ip.into_owned());
    }
    let name = name.rsplit('\\').next().unwrap_or(name);
    let short = name.split('.').next().unwrap_or(name).trim_end_matches('$');
    (!short.is_empty()).then(|| short.to_lowercase())
}

/// The lower-case last path element (`process.name`, `file.name`).
pub fn base_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_lowercase()
}

/// A process id written as decimal or `0x` hex text, or as a number.
pub fn pid(value: Option<&V<'_>>) -> Option<i64> {
    match value? {
        V::Str(text) => {
            let text = text.trim();
            match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16).ok(),
                None => text.parse().ok(),
            }
        }
        other => other.int(),
    }
}

fn is_unset(text: &str) -> bool {
    matches!(text.trim(), "" | "-" | "(empty)")
}

/// `domain\name` lower case, a UPN `name@domain` as `domain\name`, a domain
/// in the name winning (`normalize_hosts.normalize_user`); `first_label`
/// cuts a dotted domain to its first label, as Windows events' domains are.
pub fn user_name(domain: Option<&str>, name: Option<&str>, first_label: bool) -> Option<String> {
    let text = name.filter(|name| !is_unset(name))?.trim();
    let (domain, text) = if let Some((named, rest)) = text.split_once('\\') {
        (Some(named), rest)
    } else {
        match text.rsplit_once('@') {
            Some((account, upn)) if !account.is_empty() && !upn.is_empty() => (Some(upn), account),
            _ => (domain, text),
        }
    };
    let label = domain.filter(|domain| !is_unset(domain)).map(|domain| {
        let domain = domain.trim();
        if first_label {
            domain.split('.').next().filter(|label| !label.is_empty()).unwrap_or(domain)
        } else {
            domain.trim_end_matches('.')
        }
    });
    Some(match label.filter(|label| !label.is_empty()) {
        Some(label) => format!("{label}\\{text}").to_lowercase(),
        None => text.to_lowercase(),
    })
}

/// Sysmon's `Hashes` text (`SHA1=..,MD5=..,SHA256=..,IMPHASH=..`) as `<prefix>hash.*` fields.
pub fn hash_fields<'a>(fields: &mut Flat<'a>, prefix: &'static [&'static str; 4], hashes: Option<&V<'a>>) {
    let Some(text) = hashes.and_then(V::str) else { return };
    for part in text.split(',') {
        let Some((algorithm, digest)) = part.split_once('=') else { continue };
        let name = match algorithm.trim() {
            "SHA1" => prefix[0],
            "MD5" => prefix[1],
            "SHA256" => prefix[2],
            "IMPHASH" => prefix[3],
            _ => continue,
        };
        fields.0.push((Cow::Borrowed(name), V::Str(Cow::Owned(digest.trim().to_lowercase()))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_are_the_epoch_seconds_python_computes() {
        // datetime.fromisoformat("2018-03-24T17:15:25.396014Z").timestamp()
        assert_eq!(iso_epoch("2018-03-24T17:15:25.396014Z"), Some(1521911725.396014));
        assert_eq!(iso_epoch("2019-05-18 20:35:52.569"), Some(1558211752.569));
        assert_eq!(iso_epoch("1970-01-01T00:00:00.000000Z"), Some(0.0));
        assert_eq!(iso_epoch("2018-13-24T17:15:25Z"), None);
    }

    #[test]
    fn hosts_and_ips_take_their_normal_form() {
        assert_eq!(normalize_host("WORKSTATION5.theshire.local").as_deref(), Some("workstation5"));
        assert_eq!(normalize_host("10.0.0.5").as_deref(), Some("10.0.0.5"));
        assert_eq!(canonical_ip("::ffff:10.0.0.5").as_deref(), Some("10.0.0.5"));
        assert_eq!(canonical_ip("2001:DB8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(pid(Some(&V::Str("0x27b4".into()))), Some(0x27b4));
    }
}
