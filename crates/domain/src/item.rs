//! The item lifecycle, one state machine for the desk and the office.
//!
//! ```text
//! draft --send--> queued --deliver--> delivered --accept--> accepted
//!   ^  ^             |  |                 |------return--> returned --revise--> draft (next version)
//!   |  '--refuse-----'  |                 '------reject--> rejected
//!   |                   '--hold--> awaiting_signoff --approve--> delivered
//!   |                                     '---------return--> returned
//! ```
//! `refuse`: the office turned the send down (403, 413, 422, ...) before storing anything; the
//! same version goes back to being a draft, with the reason shown.
//! `hold`: the department signs off in the app (DESIGN.md invariant 3), so the office keeps the
//! item for the department's responsible person, who approves it (it then reaches the editors) or
//! returns it; the editors never see it before.
//! Accepted and rejected are final. A returned item is revised as a new version; the version that
//! was submitted never changes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ItemState {
    /// Being written on the desk.
    Draft,
    /// In the desk's outbox, waiting to be delivered.
    Queued,
    /// At the office, waiting for the department's responsible person to sign it off; only the
    /// department sees it.
    AwaitingSignoff,
    /// The office has it and gave a receipt; under review.
    Delivered,
    /// Accepted and published by the office.
    Accepted,
    /// Returned for revision with a comment.
    Returned,
    /// Rejected with a reason; final.
    Rejected,
}

/// Something that happens to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemEvent {
    Send,
    Deliver,
    /// Delivered into the department's sign-off queue instead of the editors' inbox.
    Hold,
    /// The responsible person signed it off; it goes on to the editors.
    Approve,
    Accept,
    Return,
    Reject,
    Revise,
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an item that is {from:?} cannot take the event {event:?}")]
pub struct IllegalTransition {
    pub from: ItemState,
    pub event: ItemEvent,
}

impl ItemState {
    pub const ALL: [ItemState; 7] = [
        ItemState::Draft,
        ItemState::Queued,
        ItemState::AwaitingSignoff,
        ItemState::Delivered,
        ItemState::Accepted,
        ItemState::Returned,
        ItemState::Rejected,
    ];

    /// The one place that says which transitions exist.
    pub fn apply(self, event: ItemEvent) -> Result<ItemState, IllegalTransition> {
        use ItemEvent as E;
        use ItemState as S;
        match (self, event) {
            (S::Draft, E::Send) => Ok(S::Queued),
            (S::Queued, E::Deliver) => Ok(S::Delivered),
            (S::Queued, E::Hold) => Ok(S::AwaitingSignoff),
            (S::AwaitingSignoff, E::Approve) => Ok(S::Delivered),
            (S::AwaitingSignoff, E::Return) => Ok(S::Returned),
            (S::Delivered, E::Accept) => Ok(S::Accepted),
            (S::Delivered, E::Return) => Ok(S::Returned),
            (S::Delivered, E::Reject) => Ok(S::Rejected),
            (S::Returned, E::Revise) => Ok(S::Draft),
            (S::Queued, E::Refuse) => Ok(S::Draft),
            (from, event) => Err(IllegalTransition { from, event }),
        }
    }

    /// No event moves a final item.
    pub fn is_final(self) -> bool {
        matches!(self, ItemState::Accepted | ItemState::Rejected)
    }

    /// The one event that moves an item from `self` to `target`, if there is one. A desk uses it
    /// to follow what the office reports.
    pub fn event_to(self, target: ItemState) -> Option<ItemEvent> {
        ItemEvent::ALL
            .into_iter()
            .find(|&event| self.apply(event) == Ok(target))
    }

    /// Content may change only while the item is a draft (DESIGN.md invariant 4).
    pub fn is_editable(self) -> bool {
        self == ItemState::Draft
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Draft => "draft",
            ItemState::Queued => "queued",
            ItemState::AwaitingSignoff => "awaiting_signoff",
            ItemState::Delivered => "delivered",
            ItemState::Accepted => "accepted",
            ItemState::Returned => "returned",
            ItemState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// How far an editor's clock (or the minute they type) may stray from the office's.
pub const PUBLICATION_SLACK_MINUTES: i64 = 5;

/// Why a publication time cannot be the office's record of when an item went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublicationProblem {
    #[error("an item cannot have been published before it reached the office")]
    BeforeDelivery,
    #[error("an item cannot have been published in the future")]
    InFuture,
}

/// An item's receipt number (回执号): its id on the day it arrived, as the office's own day runs
/// (Beijing time), e.g. `LS-20261130-000042`.
pub fn receipt_for(id: i64, arrived: chrono::DateTime<chrono::Utc>) -> String {
    let day = crate::calendar::beijing_date(arrived);
    format!("LS-{}-{id:06}", day.format("%Y%m%d"))
}

/// Checks the time an editor says an item was published: after it reached the office and not
/// later than now (give or take [`PUBLICATION_SLACK_MINUTES`]). A forged publication date fails
/// a government site's inspection outright, so the office records none.
pub fn check_published_at(
    published_at: chrono::DateTime<chrono::Utc>,
    delivered_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), PublicationProblem> {
    let slack = chrono::Duration::minutes(PUBLICATION_SLACK_MINUTES);
    if published_at < delivered_at - slack {
        return Err(PublicationProblem::BeforeDelivery);
    }
    if published_at > now + slack {
        return Err(PublicationProblem::InFuture);
    }
    Ok(())
}

/// The part of an item's timeline the editorial office may read: all of it, except the remarks
/// its department wrote before signing it off in the app (they stay in the department).
pub fn office_timeline(
    timeline: Vec<crate::wire::TimelineEntry>,
) -> Vec<crate::wire::TimelineEntry> {
    use crate::wire::TimelineKind;
    let mut signed_off = !timeline
        .iter()
        .any(|e| e.kind == TimelineKind::AwaitingSignoff);
    timeline
        .into_iter()
        .filter(|e| {
            signed_off |= e.kind == TimelineKind::SignedOff;
            signed_off || e.kind != TimelineKind::Comment
        })
        .collect()
}

impl ItemEvent {
    pub const ALL: [ItemEvent; 9] = [
        ItemEvent::Send,
        ItemEvent::Deliver,
        ItemEvent::Hold,
        ItemEvent::Approve,
        ItemEvent::Accept,
        ItemEvent::Return,
        ItemEvent::Reject,
        ItemEvent::Revise,
        ItemEvent::Refuse,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_read_the_beijing_day() {
        let late_utc = chrono::DateTime::parse_from_rfc3339("2026-11-30T17:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(receipt_for(42, late_utc), "LS-20261201-000042");
    }
    use ItemEvent as E;
    use ItemState as S;
    use proptest::prelude::*;

    #[test]
    fn a_publication_time_lies_between_delivery_and_now() {
        use PublicationProblem as P;
        let t = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_default()
        };
        let delivered = t("2026-11-27T02:00:00Z");
        let now = t("2026-11-28T02:00:00Z");
        for (published, want) in [
            ("2026-11-27T08:00:00Z", Ok(())),
            ("2026-11-27T01:56:00Z", Ok(())),
            ("2026-11-27T01:50:00Z", Err(P::BeforeDelivery)),
            ("-0001-01-01T00:00:00Z", Err(P::BeforeDelivery)),
            ("2026-11-28T02:04:00Z", Ok(())),
            ("2026-11-28T03:00:00Z", Err(P::InFuture)),
            ("9999-12-31T00:00:00Z", Err(P::InFuture)),
        ] {
            assert_eq!(
                check_published_at(t(published), delivered, now),
                want,
                "{published}"
            );
        }
    }

    #[test]
    fn the_office_reads_no_remark_made_before_the_department_signed_off() {
        use crate::wire::{TimelineEntry, TimelineKind as K};
        let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
        let entry = |kind, text: &str| TimelineEntry {
            at,
            kind,
            actor: "人".into(),
            actor_role: crate::Role::Officer,
            text: Some(text.into()),
            quote: None,
        };
        let texts = |t: Vec<TimelineEntry>| {
            t.into_iter()
                .map(|e| e.text.unwrap_or_default())
                .collect::<Vec<_>>()
        };
        // Held for sign-off: the department's remarks before it are its own.
        let held = vec![
            entry(K::Delivered, "receipt"),
            entry(K::AwaitingSignoff, "held"),
            entry(K::Comment, "internal"),
            entry(K::SignedOff, "signed"),
            entry(K::Comment, "to the editors"),
            entry(K::Accepted, "url"),
        ];
        assert_eq!(
            texts(office_timeline(held)),
            ["receipt", "held", "signed", "to the editors", "url"]
        );
        // Never signed off: no remark at all.
        let waiting = vec![
            entry(K::Delivered, "r"),
            entry(K::AwaitingSignoff, "h"),
            entry(K::Comment, "c"),
        ];
        assert_eq!(texts(office_timeline(waiting)), ["r", "h"]);
        // Attested on paper: it went straight to the editors; every remark is theirs to read.
        let attested = vec![
            entry(K::Delivered, "r"),
            entry(K::Attested, "a"),
            entry(K::Comment, "c"),
        ];
        assert_eq!(texts(office_timeline(attested)), ["r", "a", "c"]);
    }

    /// Every legal transition, written out once more as data for the table test.
    const LEGAL: [(S, E, S); 10] = [
        (S::Draft, E::Send, S::Queued),
        (S::Queued, E::Deliver, S::Delivered),
        (S::Queued, E::Hold, S::AwaitingSignoff),
        (S::AwaitingSignoff, E::Approve, S::Delivered),
        (S::AwaitingSignoff, E::Return, S::Returned),
        (S::Delivered, E::Accept, S::Accepted),
        (S::Delivered, E::Return, S::Returned),
        (S::Delivered, E::Reject, S::Rejected),
        (S::Returned, E::Revise, S::Draft),
        (S::Queued, E::Refuse, S::Draft),
    ];

    #[test]
    fn every_pair_is_legal_exactly_when_listed() {
        let mut illegal = 0;
        for from in S::ALL {
            for event in E::ALL {
                let expected = LEGAL
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|t| t.2);
                match (from.apply(event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from:?} + {event:?}"),
                    (Err(err), None) => {
                        assert_eq!(err, IllegalTransition { from, event });
                        illegal += 1;
                    }
                    (got, want) => panic!("{from:?} + {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(illegal, S::ALL.len() * E::ALL.len() - LEGAL.len());
    }

    #[test]
    fn final_states_take_no_event() {
        for st in S::ALL.into_iter().filter(|s| s.is_final()) {
            for ev in E::ALL {
                assert!(st.apply(ev).is_err());
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for st in S::ALL {
            assert_eq!(S::parse(st.as_str()), Some(st));
            assert_eq!(
                serde_json::to_string(&st).unwrap(),
                format!("\"{}\"", st.as_str())
            );
        }
    }

    #[test]
    fn event_to_names_the_listed_transition_and_nothing_else() {
        for from in S::ALL {
            for to in S::ALL {
                let listed = LEGAL.iter().find(|(f, _, t)| *f == from && *t == to);
                assert_eq!(from.event_to(to), listed.map(|l| l.1), "{from:?} -> {to:?}");
            }
        }
    }

    fn any_event() -> impl Strategy<Value = ItemEvent> {
        proptest::sample::select(E::ALL.to_vec())
    }

    proptest! {
        /// Any sequence of events, applied where legal and refused otherwise: a final state is
        /// never left, only a draft is editable, and every version was sent and kept exactly
        /// once (a draft has as many kept sends as revisions; anything else one more).
        #[test]
        fn random_event_sequences_respect_the_machine(events in proptest::collection::vec(any_event(), 0..60)) {
            let mut state = S::Draft;
            let (mut sends, mut revisions) = (0u32, 0u32);
            // Whether the version being followed was held for sign-off and not yet approved.
            let mut held = false;
            for ev in events {
                let before = state;
                match state.apply(ev) {
                    Ok(next) => {
                        prop_assert!(!before.is_final());
                        // A held version reaches the editors only through an approval.
                        if next == S::Delivered {
                            prop_assert!(!held || ev == E::Approve);
                        }
                        held = match ev {
                            E::Hold => true,
                            E::Approve | E::Return | E::Revise => false,
                            _ => held,
                        };
                        match ev {
                            E::Send => sends += 1,
                            // The office never stored it: that send does not count.
                            E::Refuse => sends -= 1,
                            E::Revise => revisions += 1,
                            _ => {}
                        }
                        state = next;
                    }
                    Err(e) => prop_assert_eq!(e.from, before),
                }
                prop_assert_eq!(state.is_editable(), state == S::Draft);
                let expected_sends = if state == S::Draft { revisions } else { revisions + 1 };
                prop_assert_eq!(sends, expected_sends);
            }
        }
    }
}
