//! How WebKitGTK draws the desk's window (Linux).
//!
//! The window is drawn without hardware acceleration. With WebKitGTK's default, its web process
//! composites the page in layers and keeps their buffers: `make bench` measured the desk's first
//! paint at 0.66 s instead of 0.83 s without it, and its idle memory at 268 MiB instead of
//! 346 MiB (BENCHMARKS.md). The desk shows forms and lists, which need no GPU; office PCs often
//! have weak or badly supported ones, where accelerated compositing is a known cause of blank
//! WebKitGTK windows.

use tauri::WebviewWindow;
use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};

/// Turns hardware acceleration off for `window`'s webview (on the event loop, before the page
/// draws its first frame).
/// A failure is logged: the window then draws as WebKitGTK's default has it.
pub fn draw_without_gpu(window: &WebviewWindow) {
    let result = window.with_webview(|webview| match WebViewExt::settings(&webview.inner()) {
        Some(settings) => {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never)
        }
        None => tracing::warn!("the webview has no settings; drawn with WebKitGTK's default"),
    });
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not reach the webview; drawn with WebKitGTK's default");
    }
}
