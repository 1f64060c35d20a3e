//! (watch folder: next)
