//! The projection, standing for the graph: in-memory entity, relation and
//! sighting maps with the count, first and last seen the embedded store keeps,
//! after `ingest/projection*.py` for the event kinds of the corpora.
//!
//! Identity as in `ingest/projection.py`: a host is its short name; a process
//! made by a creation event is keyed by a digest of its lower-case image and
//! command line, and later events of the same host reach it by GUID, else by
//! pid, else stand as an image-only process; a file is its SHA-256, else its
//! lower-case path (a registry value, as the Python projection does, is a
//! file keyed by its path); a user is `domain\name`; an IP its canonical text.
//! Sensor events (no host) relate their IPs: `ip CONNECTED ip`, `ip ALERTED
//! ip` for a notice, `user LOGGED_ON ip` for NTLM and Kerberos. Not ported:
//! the IP -> host map (sensor IPs never reach hosts here), deferred process
//! references within a batch, process props, script parts, realms.

use crate::normal::Event;
use crate::value::{Flat, V};
use blake2::{digest::consts::U16, Blake2b, Digest};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum Type {
    Host,
    User,
    Process,
    Script,
    File,
    Domain,
    Ip,
}

const TYPES: usize = 7;
pub const TYPE_NAMES: [&str; TYPES] = ["host", "user", "process", "script", "file", "domain", "ip"];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum Rel {
    Ran,
    Spawned,
    Wrote,
    Loaded,
    Accessed,
    Connected,
    Resolved,
    ResolvesTo,
    LoggedOn,
    RunAs,
    Modified,
    Deleted,
    Executed,
    Alerted,
}

pub const REL_NAMES: [&str; 14] = [
    "RAN", "SPAWNED", "WROTE", "LOADED", "ACCESSED", "CONNECTED", "RESOLVED", "RESOLVES_TO", "LOGGED_ON",
    "RUN_AS", "MODIFIED", "DELETED", "EXECUTED", "ALERTED",
];

/// How often something was seen, and when first and last.
#[derive(Clone, Copy, Debug)]
pub struct Seen {
    pub first: f64,
    pub last: f64,
    pub count: u64,
}

impl Seen {
    fn new(ts: f64) -> Seen {
        Seen { first: ts, last: ts, count: 1 }
    }
    fn add(&mut self, ts: f64) {
        self.first = self.first.min(ts);
        self.last = self.last.max(ts);
        self.count += 1;
    }
}

/// An entity: its index in `Graph::entities`.
type Id = u32;

#[derive(Default)]
pub struct Graph {
    keys: [FxHashMap<Box<str>, Id>; TYPES],
    pub entities: Vec<(Type, Seen)>,
    pub relations: FxHashMap<(Id, Rel, Id), Seen>,
    pub sightings: FxHashMap<(Id, Id), Seen>,
    /// The join state: processes by (host, GUID) and by (host, pid).
    by_guid: FxHashMap<Id, FxHashMap<Box<str>, Id>>,
    by_pid: FxHashMap<(Id, i64), Id>,
}

fn get<'f>(fields: &'f Flat<'_>, name: &str) -> Option<&'f str> {
    fields.get(name).and_then(V::str)
}

fn lower(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) || !text.is_ascii() {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

impl Graph {
    fn entity(&mut self, kind: Type, key: &str, ts: f64) -> Id {
        let keys = &mut self.keys[kind as usize];
        if let Some(&id) = keys.get(key) {
            self.entities[id as usize].1.add(ts);
            return id;
        }
        let id = self.entities.len() as Id;
        keys.insert(key.into(), id);
        self.entities.push((kind, Seen::new(ts)));
        id
    }

    fn relate(&mut self, src: Id, rel: Rel, dst: Id, ts: f64) {
        self.relations.entry((src, rel, dst)).and_modify(|seen| seen.add(ts)).or_insert_with(|| Seen::new(ts));
    }

    fn sight(&mut self, host: Id, entity: Id, ts: f64) {
        self.sightings.entry((host, entity)).and_modify(|seen| seen.add(ts)).or_insert_with(|| Seen::new(ts));
    }

    /// The process a creation event makes, remembered by GUID and pid.
    fn created(&mut self, host: Id, fields: &Flat<'_>, prefix: &str, ts: f64) -> Option<Id> {
        let image = get(fields, &format!("{prefix}executable"))?;
        let command = get(fields, &format!("{prefix}command_line")).unwrap_or("");
        let mut digest = Blake2b::<U16>::new();
        digest.update(lower(image).as_bytes());
        digest.update(b"\x1f");
        digest.update(command.as_bytes());
        let process = self.entity(Type::Process, &hex::encode(digest.finalize()), ts);
        if let Some(guid) = get(fields, &format!("{prefix}guid")) {
            self.by_guid.entry(host).or_default().insert(guid.into(), process);
        }
        if let Some(pid) = fields.get(&format!("{prefix}pid")).and_then(V::int) {
            self.by_pid.insert((host, pid), process);
        }
        Some(process)
    }

    /// The process an event names: by GUID, else pid, else its image alone.
    fn reference(&mut self, host: Id, fields: &Flat<'_>, names: [&str; 3], ts: f64) -> Option<Id> {
        let [image, pid, guid] = names;
        if let Some(guid) = get(fields, guid) {
            if let Some(&process) = self.by_guid.get(&host).and_then(|known| known.get(guid)) {
                self.entities[process as usize].1.add(ts);
                return Some(process);
            }
        }
        if let Some(pid) = fields.get(pid).and_then(V::int) {
            if let Some(&process) = self.by_pid.get(&(host, pid)) {
                self.entities[process as usize].1.add(ts);
                return Some(process);
            }
        }
        let image = get(fields, image)?;
        Some(self.entity(Type::Process, &format!("image:{}", lower(image)), ts))
    }

    fn file(&mut self, fields: &Flat<'_>, digest: &str, path: &str, ts: f64) -> Option<Id> {
        if let Some(sha256) = get(fields, digest) {
            return Some(self.entity(Type::File, sha256, ts));
        }
        let path = get(fields, path)?;
        Some(self.entity(Type::File, &lower(path), ts))
    }

    fn ip(&mut self, fields: &Flat<'_>, name: &str, ts: f64) -> Option<Id> {
        let ip = get(fields, name).filter(|ip| !matches!(*ip, "0.0.0.0" | "::" | "255.255.255.255"))?;
        Some(self.entity(Type::Ip, ip, ts))
    }

    /// Adds one event's entities, relations and sightings.
    pub fn project(&mut self, event: &Event<'_>) {
        let (fields, ts) = (&event.fields, event.ts);
        let Some(host_name) = &event.host else {
            return self.sensor(event);
        };
        let host = self.entity(Type::Host, host_name, ts);
        let mut touched: [Option<Id>; 4] = [None; 4];
        const PROCESS: [&str; 3] = ["process.executable", "process.pid", "process.guid"];
        match event.kind.as_ref() {
            "sysmon:process_create" | "winsec:process_create" => {
                let process = self.created(host, fields, "process.", ts);
                let parent =
                    self.reference(host, fields, ["process.parent.executable", "process.parent.pid", "process.parent.guid"], ts);
                if let Some(process) = process {
                    self.relate(host, Rel::Ran, process, ts);
                    if let Some(parent) = parent {
                        self.relate(parent, Rel::Spawned, process, ts);
                    }
                    if let Some(user) = get(fields, "user.name") {
                        let user = self.entity(Type::User, user, ts);
                        self.relate(process, Rel::RunAs, user, ts);
                        touched[2] = Some(user);
                    }
                }
                touched[0] = process;
                touched[1] = parent;
            }
            "winsec:logon" => {
                if let Some(user) = get(fields, "user.name") {
                    let user = self.entity(Type::User, user, ts);
                    self.relate(user, Rel::LoggedOn, host, ts);
                    touched[0] = Some(user);
                }
                if let Some(ip) = self.ip(fields, "source.ip", ts) {
                    self.relate(ip, Rel::LoggedOn, host, ts);
                }
            }
            kind if kind.starts_with("sysmon:") || kind.starts_with("winsec:") || kind.starts_with("powershell:") => {
                let Some(process) = self.reference(host, fields, PROCESS, ts) else {
                    return;
                };
                self.relate(host, Rel::Ran, process, ts);
                touched[0] = Some(process);
                if let Some(user) = get(fields, "user.name") {
                    let user = self.entity(Type::User, user, ts);
                    self.relate(process, Rel::RunAs, user, ts);
                    touched[1] = Some(user);
                }
                let other = match kind {
                    "sysmon:image_load" => self.file(fields, "file.hash.sha256", "file.path", ts).map(|f| (process, Rel::Loaded, f)),
                    "sysmon:file_create" => self.file(fields, "file.hash.sha256", "file.path", ts).map(|f| (process, Rel::Wrote, f)),
                    "sysmon:file_delete" => self.file(fields, "file.hash.sha256", "file.path", ts).map(|f| (process, Rel::Deleted, f)),
                    "sysmon:registry_set" => self.file(fields, "", "registry.path", ts).map(|f| (process, Rel::Modified, f)),
                    "sysmon:process_access" => self
                        .reference(host, fields, ["target.process.executable", "target.process.pid", "target.process.guid"], ts)
                        .map(|target| (process, Rel::Accessed, target)),
                    "sysmon:network_connect" | "winsec:network_connect" => {
                        let inbound = get(fields, "network.direction") == Some("inbound");
                        let far = self.ip(fields, if inbound { "source.ip" } else { "destination.ip" }, ts);
                        far.map(|ip| {
                            if inbound {
                                self.relate(ip, Rel::Connected, host, ts);
                                (ip, Rel::Connected, process)
                            } else {
                                self.relate(host, Rel::Connected, ip, ts);
                                (process, Rel::Connected, ip)
                            }
                        })
                    }
                    "sysmon:dns_query" => get(fields, "dns.question.name").map(|name| {
                        let domain = self.entity(Type::Domain, name, ts);
                        self.relate(host, Rel::Resolved, domain, ts);
                        if let Some(V::List(answers)) = fields.get("dns.answers") {
                            for answer in answers.iter().filter_map(V::str) {
                                let is_ip = answer.parse::<std::net::IpAddr>().is_ok();
                                let target = self.entity(if is_ip { Type::Ip } else { Type::Domain }, answer, ts);
                                self.relate(domain, Rel::ResolvesTo, target, ts);
                            }
                        }
                        (process, Rel::Resolved, domain)
                    }),
                    "powershell:script_block" => get(fields, "powershell.script_block_text").map(|text| {
                        let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        let mut digest = Blake2b::<U16>::new();
                        digest.update(collapsed.as_bytes());
                        let script = self.entity(Type::Script, &hex::encode(digest.finalize()), ts);
                        (process, Rel::Executed, script)
                    }),
                    _ => None,
                };
                if let Some((src, rel, dst)) = other {
                    self.relate(src, rel, dst, ts);
                    touched[2] = Some(if src == process { dst } else { src });
                }
            }
            _ => {} // windows:other and the rest: the host is all they add
        }
        for entity in touched.into_iter().flatten() {
            self.sight(host, entity, ts);
        }
    }

    fn sensor(&mut self, event: &Event<'_>) {
        let (fields, ts) = (&event.fields, event.ts);
        let kind = event.kind.as_ref();
        let (Some(_), Some(_)) = (fields.get("source.ip"), fields.get("destination.ip")) else {
            return;
        };
        let (Some(source), Some(destination)) = (self.ip(fields, "source.ip", ts), self.ip(fields, "destination.ip", ts)) else {
            return;
        };
        match kind {
            "zeek:notice" => self.relate(source, Rel::Alerted, destination, ts),
            "zeek:ntlm" | "zeek:kerberos" => {
                if let Some(user) = get(fields, "user.name") {
                    let user = self.entity(Type::User, user, ts);
                    self.relate(user, Rel::LoggedOn, destination, ts);
                }
                self.relate(source, Rel::Connected, destination, ts);
            }
            _ => self.relate(source, Rel::Connected, destination, ts),
        }
    }

    /// Entities by type and relations by (type, relation, type), for the run's summary.
    pub fn summary(&self) -> String {
        let mut by_type = [0usize; TYPES];
        for (kind, _) in &self.entities {
            by_type[*kind as usize] += 1;
        }
        let entities: Vec<String> =
            TYPE_NAMES.iter().zip(by_type).filter(|(_, n)| *n > 0).map(|(name, n)| format!("{name} {n}")).collect();
        let mut relations: FxHashMap<String, (usize, u64)> = FxHashMap::default();
        for ((src, rel, dst), seen) in &self.relations {
            let name = format!(
                "{} {} {}",
                TYPE_NAMES[self.entities[*src as usize].0 as usize],
                REL_NAMES[*rel as usize],
                TYPE_NAMES[self.entities[*dst as usize].0 as usize]
            );
            let entry = relations.entry(name).or_default();
            entry.0 += 1;
            entry.1 += seen.count;
        }
        let mut relations: Vec<_> = relations.into_iter().collect();
        relations.sort_by(|a, b| b.1.cmp(&a.1));
        let relations: Vec<String> =
            relations.iter().map(|(name, (n, count))| format!("{name} {n} ({count})")).collect();
        format!(
            "graph: entities {}; relations {}; sightings {}",
            entities.join(", "),
            relations.join(", "),
            self.sightings.len()
        )
    }
}
