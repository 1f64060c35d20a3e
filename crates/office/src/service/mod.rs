//! The office's operations over a [`Store`](crate::store::Store) that does not know which
//! database it runs on: each checks the domain's rules inside the store's transaction and writes
//! its audit entry and its changes for the desks there. The API and the console are siblings
//! over it. The administration of the organisation lives here; the item, sign-off and handover
//! operations still sit in the SQLite store and move here next (see ARCHITECTURE.md).

pub mod organisation;
