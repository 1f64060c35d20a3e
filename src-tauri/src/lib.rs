//! Liaison Desk's window: Tauri over the desk engine. Thin: commands adapt [`liaison_desk::Desk`],
//! the engine's sync worker runs in the background and tells the page when something changed.

mod commands;
mod demo;
mod notify;
mod tray;
#[cfg(target_os = "linux")]
mod webkit;

use std::path::PathBuf;
use std::sync::Arc;

use liaison_desk::{Desk, DeskConfig, Keyring, WorkerEvent};
use tauri::{Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// Event the page listens to: reload drafts and the open draft.
pub const CHANGED_EVENT: &str = "desk://changed";

/// How many search hits the window shows at once.
pub const SEARCH_PAGE: u32 = 50;

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Holds the background work back until the window has drawn its first page (or a few seconds
/// passed): at start the page's reads and the worker's first sync would otherwise compete for
/// the store and the CPU, and the officer waits for the list.
pub struct StartGate(tokio::sync::watch::Sender<bool>);

impl StartGate {
    const MOST: std::time::Duration = std::time::Duration::from_secs(3);

    fn new() -> Self {
        StartGate(tokio::sync::watch::channel(false).0)
    }

    pub fn open(&self) {
        self.0.send_replace(true);
    }

    async fn passed(&self) {
        let mut opened = self.0.subscribe();
        let _ = tokio::time::timeout(Self::MOST, opened.wait_for(|o| *o)).await;
    }
}

/// Time since [`run`] began.
pub fn since_start() -> std::time::Duration {
    STARTED.get_or_init(std::time::Instant::now).elapsed()
}

pub fn run() {
    since_start();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            // First: the window's page is already loading.
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                webkit::draw_without_gpu(&window);
            }
            let desk = Arc::new(open_desk(app.handle())?);
            app.manage(desk.clone());
            let gate = Arc::new(StartGate::new());
            app.manage(gate.clone());
            let language = desk.language().unwrap_or_default();
            tracing::debug!(since_start_ms = since_start().as_millis(), "desk open");
            tray::install(
                app.handle(),
                &notify::say_in(&language, "tray.open"),
                &notify::say_in(&language, "tray.quit"),
            );
            // Before the page asks who is signed in, so `make run` opens signed in.
            tauri::async_runtime::block_on(demo::sign_in_if_asked(&desk));
            let handle = app.handle().clone();
            // Upload progress as it happens, at most four times a second.
            let mut progress = desk.progress();
            let progress_handle = handle.clone();
            tauri::async_runtime::spawn(async move {
                while progress.changed().await.is_ok() {
                    if let Err(e) = progress_handle.emit(CHANGED_EVENT, ()) {
                        tracing::warn!(error = %e, "could not tell the window");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
            });
            // The watch folder: each file taken changes the drafts list and the import log.
            let import_desk = desk.clone();
            let import_handle = handle.clone();
            let import_gate = gate.clone();
            tauri::async_runtime::spawn(async move {
                import_gate.passed().await;
                import_desk
                    .run_import_folder(move |_record| {
                        if let Err(e) = import_handle.emit(CHANGED_EVENT, ()) {
                            tracing::warn!(error = %e, "could not tell the window");
                        }
                    })
                    .await;
            });
            tauri::async_runtime::spawn(async move {
                gate.passed().await;
                let notify = handle.clone();
                let worker_desk = desk.clone();
                desk.run_worker(move |event| {
                    if let WorkerEvent::Notice(notice) = event {
                        let language = worker_desk.language().unwrap_or_default();
                        let (title, body) = notify::text(notice, &language);
                        // Shown or not, the notice stays in the window's notice centre.
                        if let Err(e) = notify
                            .notification()
                            .builder()
                            .title(title)
                            .body(body)
                            .show()
                        {
                            tracing::warn!(error = %e, "could not raise a notification");
                        }
                    }
                    if let Err(e) = notify.emit(CHANGED_EVENT, ()) {
                        tracing::warn!(error = %e, "could not tell the window");
                    }
                })
                .await;
            });
            tracing::info!(since_start_ms = since_start().as_millis(), "set up");
            Ok(())
        })
        .on_window_event(tray::on_window_event)
        .invoke_handler(tauri::generate_handler![
            commands::session,
            commands::first_screen,
            commands::sign_in,
            commands::sign_out,
            commands::columns,
            commands::drafts,
            commands::draft,
            commands::search_drafts,
            commands::painted,
            commands::create_draft,
            commands::commissions,
            commands::answer_commission,
            commands::standing,
            commands::save_draft,
            commands::send_draft,
            commands::revise_draft,
            commands::sync_now,
            commands::attach_file,
            commands::detach_file,
            commands::read_file,
            commands::board,
            commands::notices,
            commands::mark_notices_read,
            commands::notify_hours,
            commands::set_notify_hours,
            commands::set_language,
            commands::revision_diff,
            commands::attest,
            commands::timeline,
            commands::refresh_timeline,
            commands::comment,
            commands::signoff_queue,
            commands::office_item,
            commands::office_item_image,
            commands::approve,
            commands::return_item,
            commands::redeem_handover,
            commands::start_handover,
            commands::handovers,
            commands::handover_code,
            commands::holders,
            commands::preflight,
            commands::import_folder,
            commands::set_import_folder,
            commands::import_log,
            commands::trust_settings,
            commands::set_ca_file,
            commands::trust_certificate,
            commands::forget_certificate,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "Liaison Desk stopped");
        std::process::exit(1);
    }
}

/// The desk's data folder: `LIAISON_DESK_DATA`, else the platform's app data folder
/// (`~/.local/share/org.liaison.desk` on Linux).
fn open_desk(app: &tauri::AppHandle) -> Result<Desk, Box<dyn std::error::Error>> {
    let data_dir = match std::env::var_os("LIAISON_DESK_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => app.path().app_data_dir()?,
    };
    let keyring_service = std::env::var("LIAISON_KEYRING_SERVICE")
        .unwrap_or_else(|_| Keyring::DEFAULT_SERVICE.to_owned());
    tracing::info!(data = %data_dir.display(), "opening the desk store");
    Ok(Desk::open(&DeskConfig {
        data_dir,
        keyring_service,
    })?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::StartGate;

    #[tokio::test]
    async fn the_start_gate_lets_every_waiter_through_once_opened() {
        let gate = Arc::new(StartGate::new());
        // The worker and the watch folder both wait on it.
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.passed().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            waiters.iter().all(|w| !w.is_finished()),
            "passed before the first paint"
        );
        gate.open();
        for waiter in waiters {
            tokio::time::timeout(Duration::from_secs(1), waiter)
                .await
                .expect("every waiter passes well before the 3 s limit")
                .expect("the waiter ran");
        }
        // One that comes after the first paint does not wait at all.
        tokio::time::timeout(Duration::from_millis(100), gate.passed())
            .await
            .expect("an open gate holds nobody");
    }
}
