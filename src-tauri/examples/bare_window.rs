//! The floor of the desk's start-up and memory benchmarks (`make bench`): a bare Tauri 2 window
//! showing a static page, built with the same profile as the desk. It reports its first paint the
//! way the desk's window does (a `painted` call after the page's first frame, logged as
//! "first paint"), so both are timed by the same clock in the benchmark.
//!
//! `cargo build --release -p liaison-desk-app --example bare_window`

mod commands {
    /// The page is on screen.
    #[tauri::command]
    pub fn painted(what: String, page_ms: u64) {
        tracing::info!(what = %what, page_ms, "first paint");
    }
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::painted])
        .run(tauri::generate_context!(
            "examples/bare_window/tauri.conf.json"
        ));
    if let Err(e) = result {
        tracing::error!(error = %e, "the bare window stopped");
        std::process::exit(1);
    }
}
