//! The floor of the desk's start-up and memory benchmarks (`make bench`): a bare Tauri 2 window
//! showing a static page, built with the same profile as the desk. It reports its first paint the
//! way the desk's window does (a `painted` call after the page's first frame, logged as
//! "first paint"), so both are timed by the same clock in the benchmark. With
//! `BARE_WINDOW_NO_GPU` set it draws without hardware acceleration, as the desk does: the
//! benchmark's reference for what that setting alone changes.
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
    let without_gpu = std::env::var_os("BARE_WINDOW_NO_GPU").is_some();
    let result = tauri::Builder::default()
        .setup(move |app| {
            #[cfg(target_os = "linux")]
            if without_gpu && let Some(window) = tauri::Manager::get_webview_window(app, "main") {
                // The same setting as the desk's (src/webkit.rs), written here so the floor
                // stays free of the desk's code.
                window.with_webview(|webview| {
                    use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
                    if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                        settings
                            .set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                    }
                })?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![commands::painted])
        .run(tauri::generate_context!(
            "examples/bare_window/tauri.conf.json"
        ));
    if let Err(e) = result {
        tracing::error!(error = %e, "the bare window stopped");
        std::process::exit(1);
    }
}
