//! What the API and the console share over HTTP: the office's state, where a request comes from,
//! a stored file as a download, and how a failure of the office is tied to its log line. Each of
//! the two answers in its own form (JSON for the API, pages for the console) over the service.

mod download;
mod origin;
mod state;

use std::any::Any;
use std::time::Duration;

pub use download::file_response;
pub use origin::{ClientAddress, Origin, origin};
pub use state::AppState;

/// A short random id tying a server error's answer to its log line.
pub fn error_id() -> String {
    use rand::Rng;
    format!("{:08x}", rand::rng().random::<u32>())
}

/// What a panic said, for the log.
pub fn panic_text<'a>(panic: &'a (dyn Any + Send + 'static)) -> &'a str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

/// Whole seconds to wait, rounded up and at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_millis().div_ceil(1000).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1000)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(59)), 59);
    }
}
