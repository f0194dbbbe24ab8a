//! Windows JSON records to normalised events, after `ingest/parsers/windows*.py`.
//!
//! One serde-derived struct, `WinAny`, reads the envelope of every shape of
//! the corpus (Winlogbeat 6 `event_data`, Winlogbeat 7/8 `winlog.event_data`,
//! NXLog's flat records, Sentinel's `SecurityEvent` rows) and, for the flat
//! shapes, the event-data names the mapped events read; every other key is
//! skipped by serde without being kept. The mapped events (Sysmon 1, 3, 5, 7,
//! 10, 11-14, 17/18, 22, 23/26; Security 1102, 4624/4625, 4663, 4672, 4688,
//! 5156; PowerShell 4103/4104) set the fields the Python mappers set;
//! anything else is `windows:other`, which keeps all event data: a flat
//! record is then decoded a second time as a whole (its keys are the data).
//! Not ported: PowerShell command decoding (`*_decoded`), services and tasks,
//! Kerberos details, the host-clock learner, EVTX/XML shapes.

use crate::normal::{base_name, canonical_ip, hash_fields, ip_value, iso_epoch, lower, normalize_host, pid, set, text, user_name, Event};
use crate::value::{Flat, Text, V};
use crate::zeek::Decode;
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
pub struct Winlog<'a> {
    #[serde(borrow, default)]
    event_id: Option<V<'a>>,
    #[serde(borrow, default)]
    computer_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    channel: Option<Text<'a>>,
    #[serde(borrow, default)]
    event_data: Option<Flat<'a>>,
    #[serde(borrow, default)]
    provider_name: Option<Text<'a>>,
}

macro_rules! win_any {
    ($($name:ident),* $(,)?) => {
        /// Every shape's envelope and the flat shapes' event data the mappers read.
        #[derive(Deserialize, Default)]
        #[allow(non_snake_case)]
        pub struct WinAny<'a> {
            // Winlogbeat 7/8
            #[serde(borrow, default)]
            winlog: Option<Winlog<'a>>,
            // Winlogbeat 6
            #[serde(borrow, default)]
            event_id: Option<V<'a>>,
            #[serde(borrow, default)]
            computer_name: Option<Text<'a>>,
            #[serde(borrow, default)]
            log_name: Option<Text<'a>>,
            #[serde(borrow, default)]
            event_data: Option<Flat<'a>>,
            #[serde(borrow, default)]
            message: Option<Text<'a>>,
            #[serde(borrow, default)]
            process_id: Option<V<'a>>,
            #[serde(borrow, default)]
            source_name: Option<Text<'a>>,
            #[serde(borrow, default, rename = "@timestamp")]
            timestamp: Option<Text<'a>>,
            // NXLog and Sentinel
            #[serde(borrow, default)]
            EventID: Option<V<'a>>,
            #[serde(borrow, default)]
            Hostname: Option<Text<'a>>,
            #[serde(borrow, default)]
            Computer: Option<Text<'a>>,
            #[serde(borrow, default)]
            Channel: Option<Text<'a>>,
            #[serde(borrow, default)]
            Message: Option<Text<'a>>,
            #[serde(borrow, default)]
            TimeCreated: Option<Text<'a>>,
            #[serde(borrow, default)]
            TimeGenerated: Option<Text<'a>>,
            #[serde(borrow, default)]
            EventTime: Option<Text<'a>>,
            #[serde(borrow, default)]
            ExecutionProcessID: Option<V<'a>>,
            $(
                #[serde(borrow, default)]
                $name: Option<V<'a>>,
            )*
        }

        impl<'a> WinAny<'a> {
            /// A flat record's event-data value by its name.
            fn flat(&self, key: &str) -> Option<&V<'a>> {
                match key {
                    $( stringify!($name) => self.$name.as_ref(), )*
                    _ => None,
                }
            }
        }
    };
}

win_any!(
    Image, ProcessId, ProcessGuid, CommandLine, ParentImage, ParentProcessId, ParentProcessGuid,
    ParentCommandLine, Hashes, User, CurrentDirectory, IntegrityLevel, LogonId, LogonGuid,
    TerminalSessionId, OriginalFileName, UtcTime, TargetObject, EventType, Details, ImageLoaded, Signed,
    Signature, SignatureStatus, SourceImage, SourceProcessId, SourceProcessGUID, SourceProcessGuid,
    TargetImage, TargetProcessId, TargetProcessGUID, TargetProcessGuid, GrantedAccess, CallTrace,
    TargetFilename, PipeName, QueryName, QueryStatus, QueryResults, Protocol, Initiated, SourceIp,
    SourcePort, DestinationIp, DestinationPort, SourceHostname, DestinationHostname, NewProcessName,
    NewProcessId, ParentProcessName, SubjectUserName, SubjectDomainName, SubjectUserSid, TargetUserName,
    TargetDomainName, TargetUserSid, LogonType, IpAddress, IpPort, WorkstationName, ProcessName,
    Application, ProcessID, SourceAddress, DestAddress, DestPort, Direction, ObjectType, ObjectName,
    AccessMask, PrivilegeList, ScriptBlockText, ScriptBlockId, MessageNumber, MessageTotal, ContextInfo,
    Payload,
);

/// Where the event data is: a decoded object, or the flat record's own keys.
enum Data<'r, 'a> {
    Object(&'r Flat<'a>),
    Record(&'r WinAny<'a>),
}

impl<'r, 'a> Data<'r, 'a> {
    fn get(&self, key: &str) -> Option<&'r V<'a>> {
        match self {
            Data::Object(flat) => flat.get(key),
            Data::Record(record) => record.flat(key),
        }
    }
}

/// The keys of the flat shapes that are the envelope, not event data (`windows_fields._ENVELOPE_KEYS`).
const ENVELOPE: &[&str] = &[
    "EventTime", "EventReceivedTime", "Hostname", "Keywords", "EventType", "SeverityValue", "Severity",
    "EventID", "SourceName", "ProviderGuid", "Version", "Task", "OpcodeValue", "Opcode", "RecordNumber",
    "ActivityID", "RelatedActivityID", "ThreadID", "Channel", "Message", "Category", "SourceModuleName",
    "SourceModuleType", "TimeCreated", "ExecutionProcessID", "ExecutionThreadID", "Domain", "AccountName",
    "UserID", "AccountType", "Level", "LevelValue", "EventTypeOrignal", "ERROR_EVT_UNRESOLVED",
    "@timestamp", "@version", "host", "tags", "port", "type",
    "TimeGenerated", "Computer", "MG", "ManagementGroupName", "Type", "_ResourceId", "TenantId",
    "SourceSystem", "EventSourceName", "Activity", "SourceComputerId", "EventOriginId", "TimeCollected",
    "EventLog", "EventLevel", "EventLevelName", "RenderedDescription", "EventCategory", "EventData",
    "ParameterXml", "HostCustomEntity", "AccountCustomEntity", "timestamp",
    "source", "nteventlogtype", "id", "msg",
];
/// Event-data values kept per unmapped event, and characters kept of one (`windows_fields`).
const EVENT_DATA_FIELDS: usize = 32;
const EVENT_DATA_CHARS: usize = 1024;

/// `winlog.event_data.<Name>` for the text and number values of an unmapped
/// event, bounded (`windows_fields.keep_event_data`); `flat` leaves the envelope out.
pub fn keep_event_data<'a>(fields: &mut Flat<'a>, data: impl IntoIterator<Item = (Cow<'a, str>, V<'a>)>, flat: bool) {
    let mut kept = 0;
    for (key, value) in data {
        if key.len() > 64 || (flat && ENVELOPE.contains(&key.as_ref())) {
            continue;
        }
        let value = match value {
            V::Str(text) if matches!(text.as_ref(), "" | "-" | "(empty)") => continue,
            // more bytes than the limit's characters can hold: count the characters
            V::Str(text) if text.len() > EVENT_DATA_CHARS && text.chars().nth(EVENT_DATA_CHARS).is_some() => {
                V::Str(Cow::Owned(text.chars().take(EVENT_DATA_CHARS).collect()))
            }
            value @ (V::Str(_) | V::Int(_) | V::UInt(_) | V::Float(_) | V::Bool(_)) => value,
            _ => continue,
        };
        fields.0.push((Cow::Owned(format!("winlog.event_data.{key}")), value));
        kept += 1;
        if kept == EVENT_DATA_FIELDS {
            break;
        }
    }
}

fn put<'a>(fields: &mut Flat<'a>, name: &'static str, value: Option<V<'a>>) {
    set(fields, name, value);
}

fn int<'a>(value: Option<&V<'a>>) -> Option<V<'a>> {
    value.and_then(V::int).map(V::Int)
}

/// `<prefix>executable/name/pid/guid[/command_line]` (`windows_fields.process_setter`).
#[allow(clippy::too_many_arguments)]
fn process<'a>(
    fields: &mut Flat<'a>,
    data: &Data<'_, 'a>,
    names: [&'static str; 5],
    image: &str,
    pid_key: &str,
    guids: &[&str],
    command: Option<&str>,
) {
    if let Some(path) = text(data.get(image)) {
        let short = base_name(path.str().unwrap_or(""));
        fields.0.push((Cow::Borrowed(names[0]), path));
        fields.0.push((Cow::Borrowed(names[1]), V::Str(Cow::Owned(short))));
    }
    put(fields, names[2], pid(data.get(pid_key)).map(V::Int));
    if let Some(guid) = guids.iter().find_map(|key| data.get(key).and_then(V::text)) {
        let guid = guid.trim().trim_matches(['{', '}']).to_lowercase();
        fields.0.push((Cow::Borrowed(names[3]), V::Str(Cow::Owned(guid))));
    }
    if let Some(key) = command {
        put(fields, names[4], text(data.get(key)));
    }
}

const PROCESS: [&str; 5] = ["process.executable", "process.name", "process.pid", "process.guid", "process.command_line"];
const PARENT: [&str; 5] = [
    "process.parent.executable", "process.parent.name", "process.parent.pid", "process.parent.guid",
    "process.parent.command_line",
];
const TARGET: [&str; 5] = [
    "target.process.executable", "target.process.name", "target.process.pid", "target.process.guid",
    "target.process.command_line",
];
const PROCESS_HASHES: [&str; 4] = ["process.hash.sha1", "process.hash.md5", "process.hash.sha256", "process.hash.imphash"];
const FILE_HASHES: [&str; 4] = ["file.hash.sha1", "file.hash.md5", "file.hash.sha256", "file.hash.imphash"];

fn sysmon_process<'a>(fields: &mut Flat<'a>, data: &Data<'_, 'a>) {
    process(fields, data, PROCESS, "Image", "ProcessId", &["ProcessGuid"], None);
}

fn account<'a>(fields: &mut Flat<'a>, data: &Data<'_, 'a>, keys: [&str; 3]) -> bool {
    let Some(user) = user_name(data.get(keys[0]).and_then(V::str), data.get(keys[1]).and_then(V::str), true) else {
        return false;
    };
    fields.0.push((Cow::Borrowed("user.name"), V::Str(Cow::Owned(user))));
    if let Some(sid) = data.get(keys[2]).and_then(V::str).filter(|sid| sid.len() > 4 && sid[..4].eq_ignore_ascii_case("S-1-")) {
        fields.0.push((Cow::Borrowed("user.id"), V::Str(Cow::Owned(sid.trim().to_owned()))));
    }
    true
}

fn put_file<'a>(fields: &mut Flat<'a>, path: Option<&V<'a>>) {
    if let Some(path) = text(path) {
        let name = base_name(path.str().unwrap_or(""));
        fields.0.push((Cow::Borrowed("file.path"), path));
        fields.0.push((Cow::Borrowed("file.name"), V::Str(Cow::Owned(name))));
    }
}

fn windows_user<'a>(fields: &mut Flat<'a>, value: Option<&V<'a>>) {
    if let Some(text) = value.and_then(V::text) {
        put(fields, "user.name", user_name(None, Some(text), true).map(|u| V::Str(Cow::Owned(u))));
    }
}

fn network<'a>(fields: &mut Flat<'a>, data: &Data<'_, 'a>, keys: [&str; 4]) {
    put(fields, "source.ip", ip_value(data.get(keys[0])));
    put(fields, "source.port", int(data.get(keys[1])));
    put(fields, "destination.ip", ip_value(data.get(keys[2])));
    put(fields, "destination.port", int(data.get(keys[3])));
}

/// Sets the mapped fields of one event; returns its kind, `None` for `windows:other`.
fn map<'a>(family: &str, code: i64, data: &Data<'_, 'a>, fields: &mut Flat<'a>, channel: &str) -> Option<&'static str> {
    let kind = match (family, code) {
        ("sysmon", 1) => {
            process(fields, data, PROCESS, "Image", "ProcessId", &["ProcessGuid"], Some("CommandLine"));
            process(fields, data, PARENT, "ParentImage", "ParentProcessId", &["ParentProcessGuid"], Some("ParentCommandLine"));
            hash_fields(fields, &PROCESS_HASHES, data.get("Hashes"));
            windows_user(fields, data.get("User"));
            put(fields, "process.working_directory", text(data.get("CurrentDirectory")));
            put(fields, "process.integrity_level", text(data.get("IntegrityLevel")));
            put(fields, "process.pe.original_file_name", text(data.get("OriginalFileName")));
            put(fields, "winlog.logon.id", lower(data.get("LogonId")));
            if let Some(guid) = data.get("LogonGuid").and_then(V::text) {
                put(fields, "winlog.logon.guid", Some(V::Str(Cow::Owned(guid.trim_matches(['{', '}']).to_lowercase()))));
            }
            put(fields, "process.terminal_session_id", int(data.get("TerminalSessionId")));
            "sysmon:process_create"
        }
        ("sysmon", 3) => {
            sysmon_process(fields, data);
            windows_user(fields, data.get("User"));
            put(fields, "network.transport", lower(data.get("Protocol")));
            network(fields, data, ["SourceIp", "SourcePort", "DestinationIp", "DestinationPort"]);
            let outbound = match data.get("Initiated") {
                Some(V::Bool(b)) => *b,
                Some(V::Str(text)) => text.eq_ignore_ascii_case("true"),
                _ => true,
            };
            put(fields, "network.direction", Some(V::Str(Cow::Borrowed(if outbound { "outbound" } else { "inbound" }))));
            let local = local_side(fields, data, data.get("Initiated").map(|v| match v {
                V::Bool(b) => *b,
                other => other.str().is_some_and(|t| t.eq_ignore_ascii_case("true")),
            }));
            put(fields, "host.ip", local);
            put(fields, "source.ptr", lower(data.get("SourceHostname")));
            put(fields, "destination.ptr", lower(data.get("DestinationHostname")));
            "sysmon:network_connect"
        }
        ("sysmon", 5) => {
            sysmon_process(fields, data);
            "sysmon:process_terminate"
        }
        ("sysmon", 7) => {
            sysmon_process(fields, data);
            put_file(fields, data.get("ImageLoaded"));
            hash_fields(fields, &FILE_HASHES, data.get("Hashes"));
            put(fields, "file.pe.original_file_name", text(data.get("OriginalFileName")));
            let signed = data.get("Signed").map(|v| match v {
                V::Bool(b) => *b,
                other => other.str().is_some_and(|t| t.trim().eq_ignore_ascii_case("true")),
            });
            put(fields, "file.code_signature.signed", signed.map(V::Bool));
            put(fields, "file.code_signature.subject_name", text(data.get("Signature")));
            put(fields, "file.code_signature.status", text(data.get("SignatureStatus")));
            "sysmon:image_load"
        }
        ("sysmon", 10) => {
            process(fields, data, PROCESS, "SourceImage", "SourceProcessId", &["SourceProcessGuid", "SourceProcessGUID"], None);
            process(fields, data, TARGET, "TargetImage", "TargetProcessId", &["TargetProcessGuid", "TargetProcessGUID"], None);
            put(fields, "target.granted_access", text(data.get("GrantedAccess")));
            put(fields, "process.call_trace", text(data.get("CallTrace")));
            "sysmon:process_access"
        }
        ("sysmon", 11) | ("sysmon", 23) | ("sysmon", 26) => {
            sysmon_process(fields, data);
            put_file(fields, data.get("TargetFilename"));
            if code == 11 {
                "sysmon:file_create"
            } else {
                windows_user(fields, data.get("User"));
                hash_fields(fields, &FILE_HASHES, data.get("Hashes"));
                "sysmon:file_delete"
            }
        }
        ("sysmon", 12 | 13 | 14) => {
            sysmon_process(fields, data);
            put(fields, "registry.path", text(data.get("TargetObject")));
            put(fields, "event.action", text(data.get("EventType")));
            if code == 13 {
                put(fields, "registry.value", text(data.get("Details")));
                "sysmon:registry_set"
            } else {
                "sysmon:registry_event"
            }
        }
        ("sysmon", 17 | 18) => {
            sysmon_process(fields, data);
            put(fields, "pipe.name", text(data.get("PipeName")));
            if code == 17 { "sysmon:pipe_created" } else { "sysmon:pipe_connected" }
        }
        ("sysmon", 22) => {
            sysmon_process(fields, data);
            put(fields, "dns.question.name", lower(data.get("QueryName")));
            put(fields, "dns.rcode", text(data.get("QueryStatus")));
            if let Some(results) = data.get("QueryResults").and_then(V::text) {
                let (mut answers, mut types) = (Vec::new(), Vec::new());
                for part in results.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                    if let Some(kind) = part.strip_prefix("type:") {
                        types.push(V::Str(Cow::Owned(kind.trim().to_owned())));
                        if let Some(name) = kind.trim().split_once(' ').map(|(_, n)| n.trim()) {
                            answers.push(V::Str(Cow::Owned(name.to_lowercase())));
                        }
                    } else if let Some(ip) = canonical_ip(part) {
                        answers.push(V::Str(Cow::Owned(ip.into_owned())));
                    }
                }
                put(fields, "dns.answers", (!answers.is_empty()).then_some(V::List(answers)));
                put(fields, "dns.answer_types", (!types.is_empty()).then_some(V::List(types)));
            }
            "sysmon:dns_query"
        }
        ("security", 1102) => {
            put(fields, "winlog.cleared_channel", Some(V::Str(Cow::Owned(channel.to_owned()))));
            "windows:log_cleared"
        }
        ("security", 4624 | 4625) => {
            account(fields, data, ["TargetDomainName", "TargetUserName", "TargetUserSid"]);
            put(fields, "winlog.logon.type", int(data.get("LogonType")));
            network(fields, data, ["IpAddress", "IpPort", "", ""]);
            if let Some(name) = data.get("WorkstationName").and_then(V::text) {
                put(fields, "source.workstation", normalize_host(name).map(|n| V::Str(Cow::Owned(n))));
            }
            process(fields, data, PROCESS, "ProcessName", "ProcessId", &[], None);
            put(fields, "event.outcome", Some(V::Str(Cow::Borrowed(if code == 4624 { "success" } else { "failure" }))));
            if code == 4624 { "winsec:logon" } else { "winsec:logon_failed" }
        }
        ("security", 4663) => {
            process(fields, data, PROCESS, "ProcessName", "ProcessId", &[], None);
            account(fields, data, ["SubjectDomainName", "SubjectUserName", "SubjectUserSid"]);
            let object_type = text(data.get("ObjectType"));
            let is_key = object_type.as_ref().and_then(V::str) == Some("Key");
            put(fields, "winlog.object.type", object_type);
            put(fields, "winlog.object.access_mask", lower(data.get("AccessMask")));
            put(fields, if is_key { "registry.path" } else { "file.path" }, text(data.get("ObjectName")));
            "winsec:object_access"
        }
        ("security", 4672) => {
            account(fields, data, ["SubjectDomainName", "SubjectUserName", "SubjectUserSid"]);
            if let Some(list) = data.get("PrivilegeList").and_then(V::str) {
                let names: Vec<V<'a>> = list.split_whitespace().map(|n| V::Str(Cow::Owned(n.to_owned()))).collect();
                put(fields, "winlog.privileges", (!names.is_empty()).then_some(V::List(names)));
            }
            "winsec:special_privileges"
        }
        ("security", 4688) => {
            process(fields, data, PROCESS, "NewProcessName", "NewProcessId", &[], Some("CommandLine"));
            process(fields, data, PARENT, "ParentProcessName", "ProcessId", &[], None);
            if !account(fields, data, ["TargetDomainName", "TargetUserName", "TargetUserSid"]) {
                account(fields, data, ["SubjectDomainName", "SubjectUserName", "SubjectUserSid"]);
            }
            "winsec:process_create"
        }
        ("security", 5156) => {
            let pid_key = if data.get("ProcessID").is_some() { "ProcessID" } else { "ProcessId" };
            process(fields, data, PROCESS, "Application", pid_key, &[], None);
            let inbound = data.get("Direction").and_then(V::str) == Some("%%14592");
            put(fields, "network.direction", Some(V::Str(Cow::Borrowed(if inbound { "inbound" } else { "outbound" }))));
            let transport = match data.get("Protocol").and_then(V::int) {
                Some(6) => Some("tcp"),
                Some(17) => Some("udp"),
                _ => None,
            };
            put(fields, "network.transport", transport.map(|t| V::Str(Cow::Borrowed(t))));
            network(fields, data, ["SourceAddress", "SourcePort", "DestAddress", "DestPort"]);
            "winsec:network_connect"
        }
        ("powershell", 4103) => {
            if let Some(context) = data.get("ContextInfo").and_then(V::str) {
                for line in context.lines() {
                    let Some((name, value)) = line.split_once(" = ") else { continue };
                    let value = value.trim();
                    match name.trim() {
                        "Host Application" => put(fields, "powershell.host_application", Some(V::Str(Cow::Owned(value.to_owned())))),
                        "Command Name" => put(fields, "powershell.command", Some(V::Str(Cow::Owned(value.to_owned())))),
                        "User" => windows_user(fields, Some(&V::Str(Cow::Owned(value.to_owned())))),
                        _ => {}
                    }
                }
            }
            put(fields, "powershell.payload", text(data.get("Payload")));
            "powershell:pipeline"
        }
        ("powershell", 4104) => {
            put(fields, "powershell.script_block_text", text(data.get("ScriptBlockText")));
            put(fields, "powershell.script_block_id", text(data.get("ScriptBlockId")));
            put(fields, "powershell.message_number", int(data.get("MessageNumber")));
            put(fields, "powershell.message_total", int(data.get("MessageTotal")));
            "powershell:script_block"
        }
        _ => return None,
    };
    Some(kind)
}

/// First port of the dynamic range: a port below it is taken to listen.
const EPHEMERAL_PORTS: i64 = 49152;

/// Whether a Sysmon 3 host name is the event's computer (short names equal, domains too when both have one).
fn names_computer(hostname: Option<&str>, computer: Option<&str>) -> bool {
    let (Some(name), Some(computer)) = (hostname, computer) else { return false };
    let (name, computer) = (name.trim().trim_end_matches('.'), computer.trim().trim_end_matches('.'));
    let short = normalize_host(name);
    if short.is_none() || short != normalize_host(computer) || canonical_ip(short.as_deref().unwrap()).is_some() {
        return false;
    }
    let domain = name.split_once('.').map_or("", |(_, d)| d);
    let computer_domain = computer.split_once('.').map_or("", |(_, d)| d);
    domain.is_empty() || computer_domain.is_empty() || domain.eq_ignore_ascii_case(computer_domain)
}

fn is_internal(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        Ok(std::net::IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00 || (v6.segments()[0] & 0xffc0) == 0xfe80,
        Err(_) => false,
    }
}

/// The address of the event's own host in a Sysmon 3 connection (`windows_sysmon_network._local_side`).
fn local_side<'a>(fields: &Flat<'a>, data: &Data<'_, 'a>, initiated: Option<bool>) -> Option<V<'a>> {
    let source = fields.get("source.ip").cloned();
    let destination = fields.get("destination.ip").cloned();
    let by_role = match initiated {
        Some(true) => source.clone(),
        Some(false) => {
            let ports = (fields.get("source.port").and_then(V::int), fields.get("destination.port").and_then(V::int));
            match ports {
                (Some(s), Some(d)) if s < EPHEMERAL_PORTS && EPHEMERAL_PORTS <= d => source.clone(),
                (Some(s), Some(d)) if d < EPHEMERAL_PORTS && EPHEMERAL_PORTS <= s => destination.clone(),
                _ => None,
            }
        }
        None => None,
    };
    let computer = fields.get("host.name.original").and_then(V::str);
    let source_named = names_computer(data.get("SourceHostname").and_then(V::text), computer);
    let destination_named = names_computer(data.get("DestinationHostname").and_then(V::text), computer);
    if source_named != destination_named {
        let named = if source_named { source } else { destination };
        return match by_role {
            Some(role) => (Some(&role) == named.as_ref()).then_some(role),
            None => named.filter(|ip| ip.str().is_some_and(is_internal)),
        };
    }
    if by_role.is_none() && source_named && source == destination {
        return source;
    }
    by_role
}

/// The channel of a record that names its provider but no channel (`windows_shapes._PROVIDER_CHANNELS`).
fn provider_channel(provider: Option<&str>) -> &'static str {
    match provider.map(|p| p.trim().to_ascii_lowercase()).as_deref() {
        Some("microsoft-windows-sysmon") => "Microsoft-Windows-Sysmon/Operational",
        Some("microsoft-windows-security-auditing") => "Security",
        Some("microsoft-windows-powershell") => "Microsoft-Windows-PowerShell/Operational",
        Some("powershellcore") => "PowerShellCore/Operational",
        _ => "",
    }
}

/// The family of an event without a channel, by the ids that name theirs (`windows_events._FAMILY_BY_ID`).
fn family_by_id(code: i64) -> &'static str {
    match code {
        4624 | 4625 | 4672 | 4688 | 4697 | 4698 | 4702 | 1102 | 4663 | 5156 | 4768 | 4769 | 4771 => "security",
        7045 => "system",
        4103 | 4104 => "powershell",
        _ => "",
    }
}

fn family(channel: &str, code: i64) -> &'static str {
    if channel.is_empty() {
        return family_by_id(code);
    }
    let lowered = channel.to_ascii_lowercase();
    if lowered.contains("sysmon") {
        "sysmon"
    } else if lowered == "security" {
        "security"
    } else if lowered == "microsoft-windows-powershell/operational" || lowered == "powershellcore/operational" {
        "powershell"
    } else {
        "other"
    }
}

/// The event of a Windows record carried as `@cee:` JSON (`windows_shapes.from_cee`):
/// its payload is the event data, its time the syslog header's.
pub fn from_cee<'a>(payload: &Flat<'a>, ts: f64) -> Option<Event<'a>> {
    let computer = payload.get("source").and_then(V::str)?;
    let host = normalize_host(computer)?;
    let channel = payload.get("nteventlogtype").and_then(V::str).unwrap_or("");
    let code = payload.get("id").and_then(V::int)?;
    let mut fields = Flat(Vec::with_capacity(payload.0.len() + 4));
    fields.0.push((Cow::Borrowed("event.code"), V::Str(Cow::Owned(code.to_string()))));
    fields.0.push((Cow::Borrowed("event.channel"), V::Str(Cow::Owned(channel.to_owned()))));
    fields.0.push((Cow::Borrowed("host.name.original"), V::Str(Cow::Owned(computer.to_owned()))));
    let kind = map(family(channel, code), code, &Data::Object(payload), &mut fields, channel);
    let message = payload.get("msg").and_then(V::str).filter(|m| !m.is_empty());
    if let Some(message) = message {
        fields.0.push((Cow::Borrowed("message"), V::Str(Cow::Owned(message.to_owned()))));
    }
    if kind.is_none() {
        keep_event_data(&mut fields, payload.0.iter().cloned(), true);
    }
    Some(Event { kind: Cow::Borrowed(kind.unwrap_or("windows:other")), ts, host: Some(host), fields })
}

/// The parser name of a record's shape (the id's `name`), as the registry detects it.
pub fn shape_name(record: &WinAny<'_>) -> &'static str {
    if record.winlog.is_some() || record.event_data.is_some() || record.computer_name.is_some() {
        "winlogbeat"
    } else if record.Hostname.is_some() {
        "nxlog"
    } else {
        "sentinel"
    }
}

/// The event of one Windows record; `line` is decoded again when a flat record's event is `windows:other`.
pub fn parse<'a>(record: &WinAny<'a>, line: &'a str, decode: Decode) -> Result<Event<'a>, String> {
    let winlog = record.winlog.as_ref();
    let (event_id, computer, channel, data, time) = if let Some(winlog) = winlog {
        (winlog.event_id.as_ref(), winlog.computer_name.as_ref(), winlog.channel.as_ref(), winlog.event_data.as_ref(), record.timestamp.as_ref())
    } else if record.event_id.is_some() {
        (record.event_id.as_ref(), record.computer_name.as_ref(), record.log_name.as_ref(), record.event_data.as_ref(), record.timestamp.as_ref())
    } else if record.Hostname.is_some() {
        let time = record.TimeCreated.as_ref().or(record.timestamp.as_ref()).or(record.EventTime.as_ref());
        (record.EventID.as_ref(), record.Hostname.as_ref(), record.Channel.as_ref(), None, time)
    } else {
        (record.EventID.as_ref(), record.Computer.as_ref(), record.Channel.as_ref(), None, record.TimeGenerated.as_ref())
    };
    let code = event_id.and_then(V::int).ok_or("a Windows record without a usable event id")?;
    let channel = match channel.map(Text::as_str).filter(|c| !c.is_empty()) {
        Some(channel) => channel,
        None => provider_channel(winlog.map_or(record.source_name.as_ref(), |w| w.provider_name.as_ref()).map(Text::as_str)),
    };
    let computer = computer.map(Text::as_str).ok_or_else(|| format!("{channel} event {code} names no computer"))?;
    let host = normalize_host(computer).ok_or_else(|| format!("{channel} event {code}: no host in {computer:?}"))?;
    // Sysmon's UtcTime first (windows_time.event_time), else the record's time
    let utc = match data {
        Some(object) => object.get("UtcTime"),
        None => record.UtcTime.as_ref(),
    };
    let ts = utc
        .and_then(V::str)
        .and_then(iso_epoch)
        .or_else(|| time.and_then(|t| iso_epoch(t.as_str())))
        .ok_or_else(|| format!("{channel} event {code}: no usable time"))?;
    let mut fields = Flat(Vec::with_capacity(16));
    fields.0.push((Cow::Borrowed("event.code"), V::Str(Cow::Owned(code.to_string()))));
    fields.0.push((Cow::Borrowed("event.channel"), V::Str(Cow::Owned(channel.to_owned()))));
    fields.0.push((Cow::Borrowed("host.name.original"), V::Str(Cow::Owned(computer.to_owned()))));
    let kind = match data {
        Some(object) => map(family(channel, code), code, &Data::Object(object), &mut fields, channel),
        None => map(family(channel, code), code, &Data::Record(record), &mut fields, channel),
    };
    let kind = match kind {
        Some(kind) => kind,
        None => {
            if let Some(message) = record.message.as_ref().or(record.Message.as_ref()) {
                fields.0.push((Cow::Borrowed("message"), V::Str(message.0.clone())));
            }
            match data {
                Some(object) => keep_event_data(&mut fields, object.0.iter().cloned(), false),
                // a flat record's keys are its event data: the struct kept only
                // the mapped events' names, so the record is read again whole
                None => keep_event_data(&mut fields, decode(line)?.0, true),
            }
            "windows:other"
        }
    };
    if kind.starts_with("powershell:") && fields.get("process.pid").is_none() {
        // the writer of a PowerShell event is the PowerShell process (windows_events.to_event)
        let writer = winlog.map_or(record.process_id.as_ref().or(record.ExecutionProcessID.as_ref()), |_| None);
        put(&mut fields, "process.pid", pid(writer).map(V::Int));
    }
    Ok(Event { kind: Cow::Borrowed(kind), ts, host: Some(host), fields })
}
