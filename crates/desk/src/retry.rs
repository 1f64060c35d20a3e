//! When the sync worker tries again after a failed round: exponential backoff with jitter.
//!
//! Jitter spreads out the desks of a whole city that lost the office at the same moment, so they
//! do not all come back at once. The delay never reaches zero (no busy loop while offline) and is
//! capped; a wake (something queued, sign-in, the network back) cuts any wait short.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// The first wait after a failure (before jitter).
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest wait before jitter; with jitter a wait is at most twice this.
pub const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// A fresh sequence of waits: 2 s, 4 s, 8 s … 30 s, each plus up to 100 % jitter, without end.
pub fn retry_delays() -> ExponentialBackoff {
    ExponentialBuilder::default()
        .with_min_delay(FIRST_RETRY)
        .with_max_delay(LONGEST_RETRY)
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

/// The worker's wait after a failed round, in two parts: what the office asked for
/// (`Retry-After`), which nothing cuts short, and the rest of the backoff, which a wake may cut
/// short. Together never less than either.
pub fn wait_after(backoff: Duration, asked: Option<Duration>) -> (Duration, Duration) {
    match asked {
        Some(asked) => (asked, backoff.saturating_sub(asked)),
        None => (Duration::ZERO, backoff),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_s_retry_after_is_waited_out_in_full_and_never_shortens_the_backoff() {
        let s = Duration::from_secs;
        assert_eq!(wait_after(s(4), None), (s(0), s(4)));
        assert_eq!(wait_after(s(4), Some(s(30))), (s(30), s(0)));
        assert_eq!(wait_after(s(30), Some(s(4))), (s(4), s(26)));
    }

    #[test]
    fn waits_double_from_two_seconds_to_the_cap_with_jitter_on_top() {
        let mut base = FIRST_RETRY;
        for (n, wait) in retry_delays().take(12).enumerate() {
            assert!(
                wait >= base,
                "failure {n}: {wait:?} is shorter than {base:?}"
            );
            assert!(
                wait < base * 2,
                "failure {n}: {wait:?} has more than 100 % jitter on {base:?}"
            );
            base = (base * 2).min(LONGEST_RETRY);
        }
    }

    #[test]
    fn the_sequence_never_ends_and_never_exceeds_twice_the_cap() {
        let waits: Vec<Duration> = retry_delays().take(1000).collect();
        assert_eq!(waits.len(), 1000);
        assert!(
            waits
                .iter()
                .all(|w| *w >= FIRST_RETRY && *w < LONGEST_RETRY * 2)
        );
    }

    #[test]
    fn desks_that_fail_together_do_not_retry_together() {
        // Ten desks losing the office at the same moment: their fifth waits are spread out.
        let fifth: Vec<Duration> = (0..10)
            .map(|_| retry_delays().nth(4).unwrap_or_default())
            .collect();
        let distinct = fifth.iter().collect::<std::collections::HashSet<_>>().len();
        assert!(distinct >= 5, "jitter should spread retries: {fifth:?}");
    }
}
