//! The records as the last run read them, so that a run reads no record object and
//! parses no JSON when the record refs have not moved. Kept in
//! `<git-common-dir>/wo/record-cache`: a header line naming the refs' stamp (the stat of
//! `packed-refs` and of the `refs/wo/orders` folder, which every ref write renames a
//! file into) and the number of records, then one line per record, `<commit> ` and its fields (see
//! [`line_format`]; times as nanoseconds). When the stamp matches and neither is
//! racy, the lines are the records; otherwise the refs are listed again and each
//! record whose commit is in the file is taken from it, the rest read from git. A
//! foreign or damaged file is ignored. `GIT_WO_NO_CACHE=1` turns it off.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use gix::ObjectId;

use crate::inventory::line_format::{self, Fields};
use crate::inventory::line_reader::LineReader;
use crate::inventory::parse_cache::{Stamp, enabled};
use crate::inventory::stored::Stored;
use crate::inventory::streamed_file::StreamedFile;
use crate::model::record::{Lease, Outcome, Phase, RECORD_SCHEMA, Record, Schema};
use crate::model::record_texts::RecordTexts;
use crate::model::state::State;

pub const FILE: &str = "record-cache";

const HEADER: &str = concat!("git-wo record-cache 4 ", env!("CARGO_PKG_VERSION"));

/// What the record refs look like on disk, or `None` when that cannot be trusted (a
/// racy stamp, or a folder below `refs/wo/orders`, whose changes its stamp misses).
pub fn refs_key(common_dir: &Path, now: std::time::SystemTime) -> Option<String> {
    let stamp = |p: &Path| -> Option<String> {
        match std::fs::symlink_metadata(p) {
            Ok(m) => {
                let s = Stamp::of(&m)?;
                (!s.racy(now))
                    .then(|| format!("{}:{}:{}:{}", s.size, s.mtime_ns, s.ctime_ns, s.ino))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some("-".into()),
            Err(_) => None,
        }
    };
    let orders = common_dir.join("refs/wo/orders");
    if let Ok(entries) = std::fs::read_dir(&orders)
        && entries
            .filter_map(|e| e.ok())
            .any(|e| e.file_type().is_ok_and(|t| t.is_dir()))
    {
        return None;
    }
    Some(format!(
        "{} {}",
        stamp(&common_dir.join("packed-refs"))?,
        stamp(&orders)?
    ))
}

/// The cached records: their key and the records in file (ref name) order.
#[derive(Debug, Default)]
pub struct RecordCache {
    path: Option<PathBuf>,
    key: Option<String>,
    records: Vec<Stored>,
}

impl RecordCache {
    pub fn load(wo_dir: &Path) -> RecordCache {
        if !enabled() {
            return RecordCache::default();
        }
        let path = wo_dir.join(FILE);
        let mut cache = RecordCache {
            path: Some(path.clone()),
            ..RecordCache::default()
        };
        // Read a line at a time into one buffer, decoded as it comes: at 100,000
        // records the whole file (12 MB) was held beside the records decoded from it.
        let _t = crate::trace::phase("records: cache read+decode");
        let Ok(file) = std::fs::File::open(&path) else {
            return cache;
        };
        let size = file.metadata().map_or(0, |m| m.len());
        let mut reader = LineReader::with_capacity(1 << 16, file);
        // `<HEADER>\t<key>\t<count>`: the count catches a truncated or damaged file,
        // which may still serve by commit but never as the whole list.
        let Ok(Some(_)) = reader.next_line() else {
            return cache;
        };
        let header = reader.line();
        let Some((key, count)) = header_parts(header.strip_suffix('\r').unwrap_or(header)) else {
            return cache;
        };
        let key = key.to_owned();
        // Room for the count the header gives (bounded by what the file can hold: a
        // record line is well over 50 bytes), so 10,000 records are never moved to a
        // bigger list while they are read.
        let count = count.parse::<usize>().ok();
        let most = usize::try_from(size / 50).unwrap_or(usize::MAX);
        cache.records.reserve(count.unwrap_or(0).min(most));
        crate::heap::prefer_huge_pages(&mut cache.records);
        let mut damaged = false;
        loop {
            match reader.next_line() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                // A read error (not UTF-8…): a damaged file.
                Err(_) => {
                    damaged = true;
                    break;
                }
            }
            let line = reader.line();
            // (As `read_line` read it: a `\r` before the newline is not the line's.)
            let line = line.strip_suffix('\r').unwrap_or(line);
            // (The commit ends at the line's first space, found with `memchr`.)
            let split = memchr::memchr(b' ', line.as_bytes()).map(|i| (&line[..i], &line[i + 1..]));
            let decoded = split.and_then(|(hex, rest)| {
                Some((commit_of_hex(hex.as_bytes())?, decode_record(rest)?))
            });
            match decoded {
                Some((commit, record)) => cache.records.push(Stored { record, commit }),
                None => damaged = true,
            }
        }
        let complete = !damaged && count == Some(cache.records.len());
        cache.key = complete.then_some(key);
        cache
    }

    /// The records, when they were cached under `key`.
    pub fn hit(&mut self, key: Option<&str>) -> Option<Vec<Stored>> {
        (key.is_some() && key == self.key.as_deref()).then(|| std::mem::take(&mut self.records))
    }

    /// The cached records by commit, for reuse when the refs moved.
    pub fn by_commit(&mut self) -> HashMap<ObjectId, Record> {
        std::mem::take(&mut self.records)
            .into_iter()
            .map(|s| (s.commit, s.record))
            .collect()
    }

    /// Write `records` under `key` (`None`: a stamp never to be trusted, but the lines
    /// still serve by commit). Best effort.
    pub fn save(&self, key: Option<&str>, records: &[Stored]) {
        let Some(path) = &self.path else { return };
        let Some(mut out) = StreamedFile::create(path) else {
            return;
        };
        let text = out.text();
        text.push_str(HEADER);
        text.push('\t');
        text.push_str(key.unwrap_or("racy"));
        text.push('\t');
        text.push_str(&records.len().to_string());
        text.push('\n');
        for s in records {
            let text = out.text();
            text.push_str(&s.commit.to_string());
            text.push(' ');
            encode_record(text, &s.record);
            text.push('\n');
            out.pushed();
        }
        out.finish();
    }
}

/// The commit of 40 lowercase hex digits, as [`RecordCache::save`] writes it (gix's
/// `from_hex` checked for SIMD support on every call: a tenth of the decoding).
fn commit_of_hex(hex: &[u8]) -> Option<ObjectId> {
    let mut bytes = [0u8; 20];
    if hex.len() != 2 * bytes.len() {
        return ObjectId::from_hex(hex).ok();
    }
    // A table and no branch per digit: a match per digit was most of the time spent
    // reading the cache (40 digits a record, 100,000 records).
    let mut bad = 0u8;
    for (out, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
        let (hi, lo) = (
            HEX_DIGIT[usize::from(pair[0])],
            HEX_DIGIT[usize::from(pair[1])],
        );
        bad |= hi | lo;
        *out = hi << 4 | lo;
    }
    (bad & !0x0f == 0).then(|| ObjectId::from(bytes))
}

/// Each byte's value as a hex digit (either case), or `0xff` when it is none.
const HEX_DIGIT: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => c - b'0',
            c @ b'a'..=b'f' => c - b'a' + 10,
            c @ b'A'..=b'F' => c - b'A' + 10,
            _ => 0xff,
        };
        b += 1;
    }
    table
};

/// The key and the count of a header line, `<HEADER>\t<key>\t<count>`.
fn header_parts(header: &str) -> Option<(&str, &str)> {
    header
        .strip_prefix(HEADER)?
        .strip_prefix('\t')?
        .rsplit_once('\t')
}

fn push_time(text: &mut String, t: DateTime<Utc>) {
    text.push('\t');
    match t.timestamp_nanos_opt() {
        Some(n) => text.push_str(&n.to_string()),
        None => text.push('?'),
    }
}

fn time(f: &mut Fields<'_>) -> Option<DateTime<Utc>> {
    Some(utc_of_nanos(line_format::number(f.raw()?)?))
}

thread_local! {
    /// The day number and the date of the last time decoded on this thread.
    static LAST_DAY: std::cell::Cell<Option<(i64, NaiveDate)>> = const { std::cell::Cell::new(None) };
}

/// `DateTime::from_timestamp_nanos(ns)`, the date of the last day decoded kept: most of
/// a cache's times fall on a few days, and finding the date of a day number (a 400-year
/// cycle, a year, a day in it) was a tenth of decoding a record.
fn utc_of_nanos(ns: i64) -> DateTime<Utc> {
    const NS: i64 = 1_000_000_000;
    const DAY: i64 = 86_400;
    let (secs, nsec) = (ns.div_euclid(NS), ns.rem_euclid(NS));
    let (day, secs_of_day) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let date = LAST_DAY.with(|last| match last.get() {
        Some((d, date)) if d == day => Some(date),
        _ => {
            // (Days from 0001-01-01, the first day of the common era, to 1970-01-01.)
            let date = i32::try_from(day + 719_163)
                .ok()
                .and_then(NaiveDate::from_num_days_from_ce_opt)?;
            last.set(Some((day, date)));
            Some(date)
        }
    });
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs_of_day as u32, nsec as u32);
    match (date, time) {
        (Some(date), Some(time)) => NaiveDateTime::new(date, time).and_utc(),
        _ => DateTime::from_timestamp_nanos(ns),
    }
}

fn phase(s: &str) -> Option<Phase> {
    Some(match s {
        "idle" => Phase::Idle,
        "taking" => Phase::Taking,
        "active" => Phase::Active,
        "finishing" => Phase::Finishing,
        _ => return None,
    })
}

/// A record as one line of fields (after the `<commit> ` prefix): its schema, state,
/// phase, token, lease and outcome, its update time, then its texts (id, title, branch,
/// worktree, base, note) as [`RecordTexts::parts`] gives them
/// ([`line_format::push_text_parts`]: copied whole when the line is read, not a text at
/// a time).
pub fn encode_record(text: &mut String, r: &Record) {
    line_format::escape_into(text, &r.schema);
    line_format::push(text, r.state.as_str());
    line_format::push(text, r.phase.as_str());
    line_format::push(text, &r.token.to_string());
    match &r.lock {
        None => text.push_str("\t-"),
        Some(l) => {
            text.push_str("\tL");
            line_format::push(text, &l.owner);
            line_format::push(text, &l.session);
            line_format::push(text, &l.host);
            line_format::push(text, &l.pid.to_string());
            push_time(text, l.acquired_at);
            push_time(text, l.renewed_at);
            push_time(text, l.expires_at);
            line_format::push_opt(text, l.clone.as_deref());
        }
    }
    match &r.result {
        None => text.push_str("\t-"),
        Some(o) => {
            text.push_str("\tR");
            line_format::push(text, o.verdict.as_str());
            line_format::push(text, if o.verified { "1" } else { "0" });
            line_format::push_opt(text, o.skip_verification_reason.as_deref());
            line_format::push_opt(text, o.scope_exception.as_deref());
            line_format::push_opt(text, o.tip.as_deref());
            push_time(text, o.finished_at);
        }
    }
    push_time(text, r.updated_at);
    let (texts, ends, present) = r.texts.parts();
    line_format::push_text_parts(text, texts, &ends, present);
}

/// The record of a line written by [`encode_record`]; `None` if anything is off.
pub fn decode_record(line: &str) -> Option<Record> {
    let mut f = Fields::new(line);
    let schema = match f.raw()? {
        RECORD_SCHEMA => Schema::default(),
        other => Schema::from(line_format::unescape(other)?.as_str()),
    };
    let state = State::parse(f.raw()?)?;
    let phase = phase(f.raw()?)?;
    let token = line_format::number(f.raw()?)?;
    let lock = match f.raw()? {
        "-" => None,
        "L" => Some(Box::new(Lease {
            owner: f.text()?,
            session: f.text()?,
            host: f.text()?,
            pid: line_format::number(f.raw()?)?,
            acquired_at: time(&mut f)?,
            renewed_at: time(&mut f)?,
            expires_at: time(&mut f)?,
            clone: f.opt()?,
        })),
        _ => return None,
    };
    let result = match f.raw()? {
        "-" => None,
        "R" => Some(Box::new(Outcome {
            verdict: State::parse(f.raw()?)?,
            verified: match f.raw()? {
                "1" => true,
                "0" => false,
                _ => return None,
            },
            skip_verification_reason: f.opt()?,
            scope_exception: f.opt()?,
            tip: f.opt()?,
            finished_at: time(&mut f)?,
        })),
        _ => return None,
    };
    let updated_at = time(&mut f)?;
    let (present, ends, texts) = (f.raw()?, f.raw()?, f.raw()?);
    if !f.done() {
        return None;
    }
    let (text, ends, present) = line_format::text_parts(present, ends, texts, "")?;
    let texts = RecordTexts::of_parts(text, ends, present)?;
    Some(Record {
        schema,
        state,
        phase,
        token,
        texts,
        lock,
        result,
        updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::record_texts::Text;

    /// Times decode as chrono decodes them, on the same day as the last or not,
    /// before 1970 or after.
    #[test]
    fn times_decode_as_chrono_does() {
        let day = 86_400 * 1_000_000_000_i64;
        let mut ns = vec![0, 1, -1, day - 1, day, -day, -day - 1, i64::MIN, i64::MAX];
        ns.extend((0..2000).map(|k| 1_796_401_800_967_331_000 + k * 3_700_000_000_123));
        ns.extend((0..50).map(|k| -k * 7 * day / 3));
        for (i, &n) in ns.iter().chain(ns.iter().rev()).enumerate() {
            assert_eq!(
                utc_of_nanos(n),
                DateTime::from_timestamp_nanos(n),
                "{i}: {n}"
            );
        }
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 123_456_789).unwrap_or_default()
    }

    #[test]
    fn commits_decode_as_gix_does() {
        for hex in [
            "7bac7a680ff5727d1548a675ed06517b5c5ff722",
            "7BAC7A680FF5727D1548A675ED06517B5C5FF722",
            "7bac7a680ff5727d1548a675ed06517b5c5ff72g",
            "7bac7a680ff5727d1548a675ed06517b5c5ff72",
            "",
        ] {
            let ours = commit_of_hex(hex.as_bytes());
            assert_eq!(ours, ObjectId::from_hex(hex.as_bytes()).ok(), "{hex}");
        }
        // Every byte, first and last, as gix reads it.
        let good = b"7bac7a680ff5727d1548a675ed06517b5c5ff722";
        for b in 0..=u8::MAX {
            for at in [0, good.len() - 1] {
                let mut hex = *good;
                hex[at] = b;
                assert_eq!(
                    commit_of_hex(&hex),
                    ObjectId::from_hex(&hex).ok(),
                    "{b} at {at}"
                );
            }
        }
    }

    #[test]
    fn records_round_trip() {
        let mut full = Record::new("WO-0042", State::Done, "tab\there, new\nline", t(10));
        full.phase = Phase::Finishing;
        full.token = 7;
        let full = full
            .with(Text::Branch, Some("feat/wo-WO-0042"))
            .with(Text::Worktree, Some(""))
            .with(Text::Base, Some("abc"));
        let mut full = full;
        full.lock = Some(Box::new(Lease {
            owner: "ana\\".into(),
            session: "s".into(),
            host: "h".into(),
            pid: 42,
            acquired_at: t(1),
            renewed_at: t(2),
            expires_at: t(3),
            clone: Some("c1".into()),
        }));
        full.result = Some(Box::new(Outcome {
            verdict: State::Failed,
            verified: true,
            skip_verification_reason: Some("-".into()),
            scope_exception: Some("docs too".into()),
            tip: None,
            finished_at: t(4),
        }));
        let full = full.with(Text::Note, Some("=note"));
        let bare = Record::new("WO-1", State::Pending, "", t(0));
        for r in [full, bare] {
            let mut line = String::new();
            encode_record(&mut line, &r);
            assert!(!line.contains('\n'));
            assert_eq!(decode_record(&line), Some(r.clone()));
            // Damage is never trusted.
            assert_eq!(decode_record(&format!("{line}\textra")), None);
            let bad_state = line.replacen(&format!("\t{}\t", r.state.as_str()), "\tnostate\t", 1);
            assert_ne!(bad_state, line);
            assert_eq!(decode_record(&bad_state), None);
            let short = line.rsplit_once('\t').map_or("", |(head, _)| head);
            assert_eq!(decode_record(short), None, "a missing field");
        }
    }
}
