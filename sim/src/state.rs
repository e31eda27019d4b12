//! The meetings the simulator holds, indexed by meeting ID and by sub-meeting ID.
//!
//! A `DashMap` shards the meetings, so concurrent dismisses of different meetings rarely
//! contend, and a dismiss checks and changes one meeting under that meeting's shard lock: no two
//! requests can both see it in progress.

use std::sync::{Mutex, PoisonError};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::error::SimError;
use crate::meeting::{MAX_GENERATED_SUB_MEETINGS, MeetingSpec, MeetingView, SubMeeting};
use tencent_meeting::MeetingStatus;

/// The longest meeting ID accepted (as in the spec).
const MEETING_ID_MAX: usize = 32;
/// Generated sub-meeting IDs: a shorter ID space than meeting IDs, as the service's.
const SUB_MEETING_ID_DIGITS: usize = 10;
const DAY_SECS: u64 = 24 * 3600;
/// `operator_id_type` of a userid.
pub(crate) const USERID: i32 = 1;
/// `operator_id_type` of an open_id.
pub(crate) const OPEN_ID: i32 = 2;
/// `operator_id_type` of an ms_open_id.
pub(crate) const MS_OPEN_ID: i32 = 4;

/// All meetings.
#[derive(Debug)]
pub(crate) struct MeetingStore {
    meetings: DashMap<String, MeetingView>,
    /// Sub-meeting ID → master meeting ID.
    sub_meetings: DashMap<String, String>,
    /// Generates IDs and codes; seedable so runs can be reproduced.
    rng: Mutex<StdRng>,
    /// Serialises creations, which check two maps: they are rare, dismisses never take it.
    create_lock: Mutex<()>,
}

impl MeetingStore {
    /// An empty store whose generated IDs come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            meetings: DashMap::new(),
            sub_meetings: DashMap::new(),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            create_lock: Mutex::new(()),
        }
    }

    /// Creates a meeting from `spec` at `now_secs` and returns its ID.
    pub fn create(&self, spec: MeetingSpec, now_secs: u64) -> Result<String, SimError> {
        check_spec(&spec)?;
        let _guard = self
            .create_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let meeting_id = match spec.meeting_id.clone() {
            Some(id) => id,
            None => self.fresh_meeting_id(),
        };
        if self.sub_meetings.contains_key(&meeting_id) {
            return Err(SimError::DuplicateMeeting(meeting_id));
        }
        for sub in &spec.sub_meetings {
            if self.is_taken(&sub.sub_meeting_id) || sub.sub_meeting_id == meeting_id {
                return Err(SimError::DuplicateMeeting(sub.sub_meeting_id.clone()));
            }
        }
        let meeting_code = spec
            .meeting_code
            .clone()
            .unwrap_or_else(|| self.random_digits(9));
        let start_time = spec
            .start_time
            .clone()
            .unwrap_or_else(|| now_secs.to_string());
        let end_time = spec.end_time.clone().unwrap_or_else(|| {
            let start = start_time.parse::<u64>().unwrap_or(now_secs);
            start.saturating_add(3600).to_string()
        });
        let mut view = MeetingView {
            meeting_id: meeting_id.clone(),
            meeting_code,
            subject: spec
                .subject
                .clone()
                .unwrap_or_else(|| "Simulated meeting".to_string()),
            meeting_kind: spec.meeting_kind,
            meeting_type: spec.meeting_type,
            status: spec.status.clone(),
            start_time,
            end_time,
            sub_meetings: Vec::new(),
            unlisted_sub_meetings: Vec::new(),
            past_sub_meetings: Vec::new(),
            has_more_sub_meeting: 0,
            remain_sub_meetings: 0,
            omit_remain_sub_meetings: spec.omit_remain_sub_meetings,
            current_sub_meeting_id: None,
            creator_userid: spec.creator_userid.clone(),
            creator_id_type: spec.creator_id_type.unwrap_or(if spec.created_via_oauth {
                OPEN_ID
            } else {
                USERID
            }),
            created_via_oauth: spec.created_via_oauth,
            code_reclaimed: false,
            sub_meetings_blocked: false,
            dismiss_count: 0,
            last_dismiss: None,
        };
        if view.is_recurring() {
            self.lay_out_sub_meetings(&spec, &mut view)?;
        }
        match self.meetings.entry(meeting_id.clone()) {
            Entry::Occupied(_) => return Err(SimError::DuplicateMeeting(meeting_id)),
            Entry::Vacant(slot) => {
                for sub in view
                    .past_sub_meetings
                    .iter()
                    .chain(&view.sub_meetings)
                    .chain(&view.unlisted_sub_meetings)
                {
                    self.sub_meetings
                        .insert(sub.sub_meeting_id.clone(), meeting_id.clone());
                }
                slot.insert(view);
            }
        }
        Ok(meeting_id)
    }

    /// Splits a recurring meeting's sub-meetings into past, listed (the current one first) and
    /// unlisted, generating those `remain_sub_meetings` asks for beyond the listed ones.
    fn lay_out_sub_meetings(
        &self,
        spec: &MeetingSpec,
        view: &mut MeetingView,
    ) -> Result<(), SimError> {
        let invalid = |m: String| Err(SimError::InvalidMeeting(m));
        let current = match &spec.current_sub_meeting_id {
            Some(id) => match spec
                .sub_meetings
                .iter()
                .position(|s| &s.sub_meeting_id == id)
            {
                Some(i) if spec.sub_meetings[i].status == 0 => Some(i),
                Some(_) => {
                    return invalid(format!(
                        "current_sub_meeting_id {id} names a deleted sub-meeting (status 1)"
                    ));
                }
                None => {
                    return invalid(format!(
                        "current_sub_meeting_id {id} is not one of sub_meetings"
                    ));
                }
            },
            None => spec.sub_meetings.iter().position(|s| s.status == 0),
        };
        let (past, listed) = spec
            .sub_meetings
            .split_at(current.unwrap_or(spec.sub_meetings.len()));
        view.past_sub_meetings = past.to_vec();
        view.sub_meetings = listed.to_vec();
        let listed_after = listed.iter().skip(1).filter(|s| s.status == 0).count();
        let listed_after = u32::try_from(listed_after).unwrap_or(u32::MAX);
        let remain = spec.remain_sub_meetings.unwrap_or(listed_after);
        if remain < listed_after {
            return invalid(format!(
                "remain_sub_meetings ({remain}) is fewer than the {listed_after} sub-meetings listed after the current one"
            ));
        }
        let live = matches!(view.status, MeetingStatus::Started | MeetingStatus::Init);
        // A live recurring meeting always has a current sub-meeting: generate one if none is
        // listed.
        let need_current = u32::from(current.is_none() && (live || remain > 0));
        let to_generate = remain - listed_after + need_current;
        if to_generate > MAX_GENERATED_SUB_MEETINGS {
            return invalid(format!(
                "remain_sub_meetings ({remain}) exceeds the sub-meetings listed by more than {MAX_GENERATED_SUB_MEETINGS}"
            ));
        }
        let mut generated = self.generated_sub_meetings(view, to_generate);
        if need_current == 1 && !generated.is_empty() {
            view.sub_meetings.insert(0, generated.remove(0));
        }
        view.unlisted_sub_meetings = generated;
        view.refresh_sub_meeting_counts();
        Ok(())
    }

    /// `count` sub-meetings with fresh IDs, a day apart after the last one known, each as long
    /// as the meeting.
    fn generated_sub_meetings(&self, view: &MeetingView, count: u32) -> Vec<SubMeeting> {
        let start = |t: &str| t.parse::<u64>().ok();
        let meeting_start = start(&view.start_time).unwrap_or(0);
        let length = start(&view.end_time)
            .map_or(3600, |end| end.saturating_sub(meeting_start))
            .max(60);
        let mut last = view
            .past_sub_meetings
            .iter()
            .chain(&view.sub_meetings)
            .filter_map(|s| start(&s.start_time))
            .max()
            .unwrap_or(meeting_start.saturating_sub(DAY_SECS));
        let mut taken = std::collections::HashSet::new();
        (0..count)
            .map(|_| {
                last = last.saturating_add(DAY_SECS);
                let id = loop {
                    let id = self.random_digits(SUB_MEETING_ID_DIGITS);
                    let listed = view
                        .past_sub_meetings
                        .iter()
                        .chain(&view.sub_meetings)
                        .any(|s| s.sub_meeting_id == id);
                    if !listed
                        && !self.is_taken(&id)
                        && id != view.meeting_id
                        && taken.insert(id.clone())
                    {
                        break id;
                    }
                };
                SubMeeting {
                    sub_meeting_id: id,
                    status: 0,
                    start_time: last.to_string(),
                    end_time: last.saturating_add(length).to_string(),
                }
            })
            .collect()
    }

    /// Whether a meeting or sub-meeting already has the ID `id`.
    fn is_taken(&self, id: &str) -> bool {
        self.meetings.contains_key(id) || self.sub_meetings.contains_key(id)
    }

    /// Starts the scheduled meeting `id` (a recurring meeting's current sub-meeting).
    pub fn start(&self, id: &str) -> Result<MeetingView, SimError> {
        match self.update(id, |m| m.start().map(|()| m.clone())) {
            None => Err(SimError::UnknownMeeting(id.to_string())),
            Some(Ok(view)) => Ok(view),
            Some(Err(status)) => Err(SimError::NotStartable {
                meeting_id: id.to_string(),
                status,
            }),
        }
    }

    /// A copy of the meeting `id`.
    pub fn get(&self, id: &str) -> Option<MeetingView> {
        self.meetings.get(id).map(|m| m.value().clone())
    }

    /// Copies of all meetings, sorted by ID.
    pub fn list(&self) -> Vec<MeetingView> {
        let mut all: Vec<_> = self.meetings.iter().map(|m| m.value().clone()).collect();
        all.sort_by(|a, b| a.meeting_id.cmp(&b.meeting_id));
        all
    }

    /// The master meeting ID of the sub-meeting `id`, when it is one.
    pub fn master_of(&self, id: &str) -> Option<String> {
        self.sub_meetings.get(id).map(|m| m.value().clone())
    }

    /// Runs `f` on the meeting `id` under its lock; `None` when there is no such meeting.
    pub fn update<R>(&self, id: &str, f: impl FnOnce(&mut MeetingView) -> R) -> Option<R> {
        self.meetings.get_mut(id).map(|mut m| f(m.value_mut()))
    }

    /// How many meetings are held.
    pub fn len(&self) -> usize {
        self.meetings.len()
    }

    /// A meeting ID no meeting has: 19 or 20 digits, always above `i64::MAX`.
    fn fresh_meeting_id(&self) -> String {
        loop {
            let n: u64 = self
                .rng
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .random_range((i64::MAX as u64 + 1)..=u64::MAX);
            let id = n.to_string();
            if !self.meetings.contains_key(&id) && !self.sub_meetings.contains_key(&id) {
                return id;
            }
        }
    }

    fn random_digits(&self, len: usize) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        // No leading zero, as real meeting codes have none.
        (0..len)
            .map(|i| {
                let low = if i == 0 { 1 } else { 0 };
                char::from(b'0' + rng.random_range(low..10u8))
            })
            .collect()
    }
}

fn check_spec(spec: &MeetingSpec) -> Result<(), SimError> {
    let invalid = |m: String| Err(SimError::InvalidMeeting(m));
    if spec.creator_userid.trim().is_empty() {
        return invalid("creator_userid is required and must not be empty".into());
    }
    if let Some(id) = &spec.meeting_id {
        check_id("meeting_id", id)?;
    }
    if !matches!(spec.meeting_kind, 0 | 1) {
        return invalid(format!(
            "type must be 0 (scheduled) or 1 (quick), got {}",
            spec.meeting_kind
        ));
    }
    if let MeetingStatus::Unknown(other) = &spec.status {
        return invalid(format!(
            "status must be one of the service's states (MEETING_STATE_STARTED, MEETING_STATE_INIT, …), got {other:?}"
        ));
    }
    if let Some(t) = spec.creator_id_type
        && !matches!(t, USERID | OPEN_ID | MS_OPEN_ID)
    {
        return invalid(format!(
            "creator_id_type must be 1 (userid), 2 (open_id) or 4 (ms_open_id), got {t}"
        ));
    }
    if spec.created_via_oauth && spec.creator_id_type.is_some_and(|t| t != OPEN_ID) {
        return invalid(
            "creator_id_type must be 2 (open_id) for a meeting created through OAuth2.0".into(),
        );
    }
    if spec.meeting_type < 0 {
        return invalid(format!(
            "meeting_type must not be negative, got {}",
            spec.meeting_type
        ));
    }
    if spec.meeting_type != 1
        && (!spec.sub_meetings.is_empty()
            || spec.remain_sub_meetings.is_some_and(|n| n > 0)
            || spec.current_sub_meeting_id.is_some()
            || spec.omit_remain_sub_meetings)
    {
        return invalid(
            "sub_meetings, remain_sub_meetings, omit_remain_sub_meetings and current_sub_meeting_id are for recurring meetings (meeting_type 1)"
                .into(),
        );
    }
    let mut seen = std::collections::HashSet::new();
    for sub in &spec.sub_meetings {
        check_id("sub_meetings[].sub_meeting_id", &sub.sub_meeting_id)?;
        if !seen.insert(sub.sub_meeting_id.as_str()) {
            return invalid(format!("sub_meetings lists {} twice", sub.sub_meeting_id));
        }
    }
    for (field, value) in [
        ("start_time", &spec.start_time),
        ("end_time", &spec.end_time),
    ] {
        if let Some(v) = value
            && v.parse::<u64>().is_err()
        {
            return invalid(format!(
                "{field} must be unix seconds as a string, got {v:?}"
            ));
        }
    }
    Ok(())
}

fn check_id(field: &str, id: &str) -> Result<(), SimError> {
    if id.is_empty() || id.len() > MEETING_ID_MAX || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SimError::InvalidMeeting(format!(
            "{field} must be 1 to {MEETING_ID_MAX} decimal digits, got {id:?}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_exceed_i64_and_are_unique() {
        let store = MeetingStore::new(1);
        let mut ids = std::collections::HashSet::new();
        for _ in 0..200 {
            let id = store.create(MeetingSpec::new("u"), 1_700_000_000);
            let id = id.unwrap_or_default();
            assert!(matches!(id.len(), 19 | 20), "{id}");
            assert!(id.parse::<i64>().is_err(), "{id} fits in i64");
            assert!(id.parse::<u64>().is_ok(), "{id}");
            assert!(ids.insert(id));
        }
        assert_eq!(store.len(), 200);
    }

    #[test]
    fn defaults_fill_a_minimal_spec() {
        let store = MeetingStore::new(1);
        let id = store
            .create(MeetingSpec::new("u"), 1_700_000_000)
            .unwrap_or_default();
        let m = store.get(&id);
        let m = m.as_ref();
        assert_eq!(m.map(|m| &m.status), Some(&MeetingStatus::Started));
        assert_eq!(m.map(|m| m.meeting_code.len()), Some(9));
        assert_eq!(m.map(|m| m.start_time.as_str()), Some("1700000000"));
        assert_eq!(m.map(|m| m.end_time.as_str()), Some("1700003600"));
    }

    #[test]
    fn sub_meetings_are_indexed_and_ids_never_collide() {
        let store = MeetingStore::new(1);
        let spec = MeetingSpec::new("u").id("900").recurring(["901", "902"], 2);
        assert_eq!(store.create(spec, 0).ok().as_deref(), Some("900"));
        assert_eq!(store.master_of("902").as_deref(), Some("900"));
        assert_eq!(
            store
                .get("900")
                .and_then(|m| m.current_sub_meeting_id)
                .as_deref(),
            Some("901")
        );
        for bad in [
            MeetingSpec::new("u").id("900"),
            MeetingSpec::new("u").id("901"),
            MeetingSpec::new("u").id("903").recurring(["900"], 0),
            MeetingSpec::new("u").id("904").recurring(["902"], 0),
        ] {
            assert!(matches!(
                store.create(bad, 0),
                Err(SimError::DuplicateMeeting(_))
            ));
        }
    }

    #[test]
    fn invalid_specs_are_refused_naming_the_field() {
        let store = MeetingStore::new(1);
        for (spec, field) in [
            (MeetingSpec::new(""), "creator_userid"),
            (MeetingSpec::new("u").id("12a"), "meeting_id"),
            (
                MeetingSpec {
                    meeting_kind: 2,
                    ..MeetingSpec::new("u")
                },
                "type",
            ),
            (MeetingSpec::new("u").recurring(["x"], 0), "sub_meeting_id"),
            (
                MeetingSpec::new("u").status(MeetingStatus::Unknown("RUNNING".into())),
                "status",
            ),
            (MeetingSpec::new("u").recurring(["1", "1"], 0), "twice"),
            (
                MeetingSpec {
                    remain_sub_meetings: Some(2),
                    ..MeetingSpec::new("u")
                },
                "recurring",
            ),
            (
                MeetingSpec {
                    start_time: Some("soon".into()),
                    ..MeetingSpec::new("u")
                },
                "start_time",
            ),
        ] {
            match store.create(spec, 0) {
                Err(SimError::InvalidMeeting(m)) => assert!(m.contains(field), "{m}"),
                other => panic!("expected an invalid meeting naming {field}, got {other:?}"),
            }
        }
    }
}
