//! How the desk's large transfers give way to the officer's typing.
//!
//! A file's bytes going up to the office (or coming down from it) at the full speed of a fast
//! line keep the machine's disk and network busy, and a keystroke's save, which waits for the
//! disk to make it durable, waits longer. So while the officer types (a draft was saved within
//! [`TypingPace::after_keystroke`]), every transfer of file bytes together carries at most
//! [`TypingPace::bytes_per_second`], in pieces of [`PACED_CHUNK_BYTES`]; once the officer stops,
//! they go at the line's speed again. A department's line to the portal is seldom faster than the
//! pace, and there it costs nothing.
//!
//! The pace decides only when bytes move, never which: a paced piece is the same request, with
//! the same bytes, as an unpaced one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::Stream;
use tokio::time::Instant;

/// Bytes of a transfer that move at a time, each once the pace allows.
pub const PACED_CHUNK_BYTES: usize = 64 << 10;

/// How fast file transfers go while the officer types.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TypingPace {
    /// The most bytes a second all transfers together carry while the officer types.
    pub bytes_per_second: u64,
    /// How long after a draft's save the officer still counts as typing.
    pub after_keystroke: Duration,
}

impl Default for TypingPace {
    /// 10 MB/s (80 Mbit/s: below a fast office network, above most departments' lines) for a
    /// second after each save.
    fn default() -> Self {
        TypingPace {
            bytes_per_second: 10_000_000,
            after_keystroke: Duration::from_secs(1),
        }
    }
}

/// The schedule every transfer of one desk books its pieces on.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    state: Mutex<Schedule>,
}

#[derive(Debug, Default)]
struct Schedule {
    pace: TypingPace,
    last_keystroke: Option<Instant>,
    /// While paced: when the bytes booked so far have gone at the pace.
    free_at: Option<Instant>,
}

impl Schedule {
    /// When `len` bytes, ready at `now`, may move: `None` for at once. While the officer types,
    /// each booking moves the schedule on by the bytes' time at the pace; otherwise the schedule
    /// is cleared, so that typing again starts from a fresh one.
    fn book(&mut self, now: Instant, len: usize) -> Option<Instant> {
        let typing = self
            .last_keystroke
            .is_some_and(|at| now.saturating_duration_since(at) < self.pace.after_keystroke);
        if !typing {
            self.free_at = None;
            return None;
        }
        let start = self.free_at.map_or(now, |free| free.max(now));
        let time = Duration::from_secs_f64(len as f64 / self.pace.bytes_per_second.max(1) as f64);
        self.free_at = Some(start + time);
        (start > now).then_some(start)
    }
}

impl Pacer {
    /// The officer saved a draft.
    pub(crate) fn keystroke(&self) {
        self.schedule().last_keystroke = Some(Instant::now());
    }

    pub(crate) fn set_pace(&self, pace: TypingPace) {
        self.schedule().pace = pace;
    }

    /// Waits until `len` more bytes of a transfer may move.
    pub(crate) async fn give_way(&self, len: usize) {
        let start = self.schedule().book(Instant::now(), len);
        if let Some(start) = start {
            tokio::time::sleep_until(start).await;
        }
    }

    /// `bytes` as a request body that hands them over a [`PACED_CHUNK_BYTES`] piece at a time,
    /// each once the pace allows.
    pub(crate) fn body(self: &Arc<Self>, bytes: Vec<u8>) -> reqwest::Body {
        reqwest::Body::wrap_stream(self.pieces(bytes))
    }

    fn pieces(
        self: &Arc<Self>,
        bytes: Vec<u8>,
    ) -> impl Stream<Item = Result<bytes::Bytes, std::convert::Infallible>> + Send + 'static {
        futures_util::stream::unfold(
            (bytes::Bytes::from(bytes), self.clone()),
            |(mut rest, pacer)| async move {
                if rest.is_empty() {
                    return None;
                }
                let piece = rest.split_to(rest.len().min(PACED_CHUNK_BYTES));
                pacer.give_way(piece.len()).await;
                Some((Ok::<_, std::convert::Infallible>(piece), (rest, pacer)))
            },
        )
    }

    fn schedule(&self) -> std::sync::MutexGuard<'_, Schedule> {
        // The schedule holds only instants: one left half-updated by a panic is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing_at(at: Instant) -> Schedule {
        Schedule {
            pace: TypingPace {
                bytes_per_second: 1_000_000,
                after_keystroke: Duration::from_secs(1),
            },
            last_keystroke: Some(at),
            free_at: None,
        }
    }

    #[test]
    fn nothing_waits_while_the_officer_is_not_typing() {
        let t0 = Instant::now();
        let mut never = Schedule::default();
        assert_eq!(never.book(t0, 1 << 30), None);
        // A keystroke more than a second ago no longer counts, and clears the schedule.
        let mut earlier = typing_at(t0);
        earlier.free_at = Some(t0 + Duration::from_secs(5));
        assert_eq!(earlier.book(t0 + Duration::from_secs(1), 1 << 20), None);
        assert_eq!(earlier.free_at, None);
    }

    #[test]
    fn while_typing_bytes_move_at_the_pace_and_the_first_at_once() {
        let t0 = Instant::now();
        let mut s = typing_at(t0);
        assert_eq!(s.book(t0, 250_000), None);
        assert_eq!(s.book(t0, 250_000), Some(t0 + Duration::from_millis(250)));
        assert_eq!(s.book(t0, 500_000), Some(t0 + Duration::from_millis(500)));
        // The next waits until a second's worth has gone.
        assert_eq!(
            s.book(t0 + Duration::from_millis(10), 1),
            Some(t0 + Duration::from_secs(1))
        );
    }

    #[test]
    fn a_pause_in_the_transfer_is_not_made_up_in_a_burst() {
        let t0 = Instant::now();
        let mut s = typing_at(t0);
        assert_eq!(s.book(t0, 100_000), None);
        // 0.5 s later (still typing): the schedule freed at 0.1 s; this goes at once, and the
        // next only after its own time at the pace.
        let later = t0 + Duration::from_millis(500);
        assert_eq!(s.book(later, 100_000), None);
        assert_eq!(
            s.book(later, 100_000),
            Some(later + Duration::from_millis(100))
        );
    }

    #[tokio::test]
    async fn a_paced_body_carries_its_bytes_unchanged_and_no_faster_than_the_pace() {
        use futures_util::StreamExt;
        let pacer = Arc::new(Pacer::default());
        pacer.set_pace(TypingPace {
            // A piece every 50 ms.
            bytes_per_second: 20 * PACED_CHUNK_BYTES as u64,
            after_keystroke: Duration::from_secs(3600),
        });
        pacer.keystroke();
        let bytes: Vec<u8> = (0..(4 * PACED_CHUNK_BYTES + 7)).map(|i| i as u8).collect();
        let started = tokio::time::Instant::now();
        let mut got = Vec::new();
        let mut pieces = Box::pin(pacer.pieces(bytes.clone()));
        while let Some(Ok(piece)) = pieces.next().await {
            got.extend_from_slice(&piece);
        }
        assert!(got == bytes, "the same bytes, in order");
        // Five pieces: the first at once, the fifth four pieces' time on.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
    }
}
