//! The item lifecycle, one state machine for the desk and the office.
//!
//! ```text
//! draft --send--> queued --deliver--> delivered --accept--> accepted
//!   ^  ^             |                    |------return--> returned --revise--> draft (next version)
//!   |  '--refuse-----'                    '------reject--> rejected
//! ```
//! `refuse`: the office turned the send down (403, 413, 422, ...) before storing anything; the
//! same version goes back to being a draft, with the reason shown.
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
    pub const ALL: [ItemState; 6] = [
        ItemState::Draft,
        ItemState::Queued,
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

    /// Content may change only while the item is a draft (DESIGN.md invariant 4).
    pub fn is_editable(self) -> bool {
        self == ItemState::Draft
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Draft => "draft",
            ItemState::Queued => "queued",
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

impl ItemEvent {
    pub const ALL: [ItemEvent; 7] = [
        ItemEvent::Send,
        ItemEvent::Deliver,
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
    use ItemEvent as E;
    use ItemState as S;
    use proptest::prelude::*;

    /// Every legal transition, written out once more as data for the table test.
    const LEGAL: [(S, E, S); 7] = [
        (S::Draft, E::Send, S::Queued),
        (S::Queued, E::Deliver, S::Delivered),
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
            for ev in events {
                let before = state;
                match state.apply(ev) {
                    Ok(next) => {
                        prop_assert!(!before.is_final());
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
