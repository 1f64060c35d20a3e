//! The office's operations over a [`Store`](crate::store::Store) that does not know which
//! database it runs on: each checks the domain's rules inside the store's transaction and writes
//! its audit entry and its changes for the desks there. The API and the console are siblings
//! over it. The column watch, signing in, items (sending, sign-off, review, remarks), handovers, the administration of the
//! organisation, what the office publishes (calendar, word lists, urges), uploads within their
//! quota with the sweep of idle ones, and draft backups with their stale-copy check live here.

pub mod commissions;
pub mod drafts;
pub mod duties;
pub mod handovers;
pub mod import;
pub mod items;
pub mod organisation;
pub mod scores;
pub mod sessions;
pub mod uploads;
pub mod watch;
