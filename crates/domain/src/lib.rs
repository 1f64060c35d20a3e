//! The rules of Liaison, shared by the desk and the office.
//!
//! This crate is pure: it does no I/O, runs no async code and never reads the clock; callers pass
//! the time in. Everything both sides must agree on lives here, so it is computed once.

pub mod attachment;
pub mod calendar;
pub mod calendar_text;
pub mod column;
pub mod commission;
pub mod content;
pub mod duty;
pub mod handover;
pub mod item;
pub mod org;
pub mod organisation;
pub mod orgsheet;
pub mod preflight;
pub mod remark;
pub mod rules;
pub mod sanitize;
pub mod score;
pub mod send_gate;
pub mod signoff;
pub mod text;
pub mod urge;
pub mod veto;
pub mod wire;
pub mod word_lists;

pub use attachment::{AttachmentRef, FileKind};
pub use calendar::WorkCalendar;
pub use column::{ColumnLevel, ColumnView, DutyRule, FeedMethod, GapUnit, Period};
pub use duty::{DayKind, DutyState, DutyStatus, by_urgency, duty_status};
pub use item::{IllegalTransition, ItemEvent, ItemState};
pub use org::{DepartmentView, Role, SeatView};
pub use signoff::{Attestation, SignoffPolicy};
