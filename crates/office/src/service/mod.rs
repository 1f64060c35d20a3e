//! The office's operations over a [`Store`](crate::store::Store) that does not know which
//! database it runs on: each checks the domain's rules inside the store's transaction and writes
//! its audit entry and its changes for the desks there. The API and the console are siblings
//! over it. Items (sending, sign-off, review, remarks), handovers and the administration of the
//! organisation live here; uploads, draft backups and duties still keep their steps in the
//! SQLite store and move here next (see ARCHITECTURE.md).

pub mod handovers;
pub mod import;
pub mod items;
pub mod organisation;
