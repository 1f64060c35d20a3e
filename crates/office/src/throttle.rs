//! Failed sign-ins are limited per seat and per client address: after too many in a window, the
//! next attempts are refused without checking the password until the window has passed.
//!
//! One office process keeps the failures in memory; offices sharing a PostgreSQL database keep
//! them there (`store::postgres::limits`), so a seat blocked on one process is blocked on every
//! one. The calls block: make them off the async threads.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::store::postgres::bridge::PgBridge;
use crate::store::postgres::limits;

/// Failures of one seat allowed in a window.
pub const PER_SEAT: usize = 5;
/// Failures from one address allowed in a window (an office behind one NAT has many people).
pub const PER_ADDRESS: usize = 20;
/// The window.
pub fn window() -> Duration {
    Duration::minutes(15)
}

pub struct SignInThrottle {
    kept: Kept,
}

enum Kept {
    Memory(Mutex<Failures>),
    Database(Arc<PgBridge>),
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle {
            kept: Kept::Memory(Mutex::default()),
        }
    }
}

#[derive(Default)]
struct Failures {
    by_seat: HashMap<String, VecDeque<DateTime<Utc>>>,
    by_address: HashMap<String, VecDeque<DateTime<Utc>>>,
}

fn prune(times: &mut VecDeque<DateTime<Utc>>, now: DateTime<Utc>) {
    while times.front().is_some_and(|t| *t <= now - window()) {
        times.pop_front();
    }
}

impl SignInThrottle {
    /// The throttle of offices sharing the database behind `bridge`.
    pub fn in_database(bridge: Arc<PgBridge>) -> Self {
        SignInThrottle {
            kept: Kept::Database(bridge),
        }
    }

    /// `Some(wait)` when this seat or address must wait before trying again. A database that
    /// does not answer blocks nobody (the sign-in itself then fails on it).
    pub fn blocked(&self, login: &str, address: &str, now: DateTime<Utc>) -> Option<Duration> {
        let failures = match &self.kept {
            Kept::Memory(failures) => failures,
            Kept::Database(bridge) => {
                let (login, address) = (login.to_owned(), address.to_owned());
                return bridge
                    .call(move |c| async move {
                        Ok(limits::sign_in_blocked(&c, &login, &address, now).await?)
                    })
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "the sign-in throttle could not be read");
                        None
                    });
            }
        };
        let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
        let Failures {
            by_seat,
            by_address,
        } = &mut *f;
        let over = |times: Option<&mut VecDeque<DateTime<Utc>>>, limit: usize| {
            let times = times?;
            prune(times, now);
            if times.len() < limit {
                return None;
            }
            times.front().map(|first| *first + window() - now)
        };
        over(by_seat.get_mut(login), PER_SEAT).max(over(by_address.get_mut(address), PER_ADDRESS))
    }

    pub fn failed(&self, login: &str, address: &str, now: DateTime<Utc>) {
        let failures = match &self.kept {
            Kept::Memory(failures) => failures,
            Kept::Database(bridge) => {
                let (login, address) = (login.to_owned(), address.to_owned());
                let counted = bridge.call(move |c| async move {
                    Ok(limits::sign_in_failed(&c, &login, &address, now).await?)
                });
                if let Err(e) = counted {
                    tracing::warn!(error = %e, "a failed sign-in could not be counted");
                }
                return;
            }
        };
        let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
        f.by_seat
            .entry(login.to_owned())
            .or_default()
            .push_back(now);
        f.by_address
            .entry(address.to_owned())
            .or_default()
            .push_back(now);
    }

    /// A successful sign-in clears the seat's failures (not the address's).
    pub fn succeeded(&self, login: &str) {
        let failures = match &self.kept {
            Kept::Memory(failures) => failures,
            Kept::Database(bridge) => {
                let login = login.to_owned();
                let cleared = bridge
                    .call(move |c| async move { Ok(limits::sign_in_succeeded(&c, &login).await?) });
                if let Err(e) = cleared {
                    tracing::warn!(error = %e, "a seat's failed sign-ins could not be cleared");
                }
                return;
            }
        };
        let mut f = failures.lock().unwrap_or_else(|p| p.into_inner());
        f.by_seat.remove(login);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_is_blocked_after_five_failures_until_the_window_passes() {
        let t = SignInThrottle::default();
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        for i in 0..PER_SEAT as i64 {
            assert_eq!(t.blocked("jyj.officer", "10.0.0.1", t0), None);
            t.failed("jyj.officer", "10.0.0.1", t0 + Duration::seconds(i));
        }
        let wait = t
            .blocked("jyj.officer", "10.0.0.2", t0 + Duration::minutes(1))
            .unwrap();
        assert_eq!(wait, Duration::minutes(14));
        assert_eq!(
            t.blocked("wjw.officer", "10.0.0.1", t0),
            None,
            "other seats go on"
        );
        assert_eq!(
            t.blocked("jyj.officer", "10.0.0.1", t0 + Duration::minutes(16)),
            None
        );
    }

    #[test]
    fn an_address_is_blocked_after_twenty_failures_across_seats() {
        let t = SignInThrottle::default();
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        for i in 0..PER_ADDRESS {
            t.failed(&format!("seat{i}"), "10.0.0.9", t0);
        }
        assert!(t.blocked("fresh.seat", "10.0.0.9", t0).is_some());
        assert!(t.blocked("fresh.seat", "10.0.0.8", t0).is_none());
        t.succeeded("seat1");
        assert!(t.blocked("fresh.seat", "10.0.0.9", t0).is_some());
    }
}
