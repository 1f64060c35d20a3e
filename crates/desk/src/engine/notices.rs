//! The duty board and the notices as the desk shows them, computed with the desk's clock, and
//! the hours in which notices may be raised.

use super::Desk;
use crate::DeskError;
use crate::duties::{BoardView, NoticeView, NotifyHours};

impl Desk {
    /// The duty board from the last fetched data, computed now.
    pub fn board(&self) -> Result<BoardView, DeskError> {
        self.store.board(self.now())
    }

    /// The working-day calendar as last fetched from the office.
    pub fn calendar(&self) -> Result<liaison_domain::WorkCalendar, DeskError> {
        self.store.calendar()
    }

    /// Creates the notices the board calls for now; returns those to raise as notifications.
    pub fn check_duties(&self) -> Result<Vec<NoticeView>, DeskError> {
        self.store.check_duties(self.now())
    }

    pub fn notices(&self) -> Result<Vec<NoticeView>, DeskError> {
        self.store.notices()
    }

    /// Marks one notice read, or all of them.
    pub fn mark_notices_read(&self, id: Option<i64>) -> Result<(), DeskError> {
        self.store.mark_read(id, self.now())
    }

    pub fn notify_hours(&self) -> Result<NotifyHours, DeskError> {
        self.store.notify_hours()
    }

    pub fn set_notify_hours(&self, hours: &NotifyHours) -> Result<(), DeskError> {
        self.store.set_notify_hours(hours)
    }
}
