//! The tray icon: closing the window hides it and the desk goes on following the office and
//! checking duties; the tray menu opens the window again or quits. Without a tray (no status
//! notifier on the desktop), closing the window quits as usual.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::menu::{MenuBuilder, MenuItemBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

/// Whether the tray icon exists, so closing the window may only hide it.
pub struct Tray(AtomicBool);

/// Adds the tray icon; labels in the window's language (`open`, `quit`).
pub fn install<R: Runtime>(app: &AppHandle<R>, open_label: &str, quit_label: &str) {
    let built = (|| -> tauri::Result<()> {
        let open = MenuItemBuilder::new(open_label).id("open").build(app)?;
        let quit = MenuItemBuilder::new(quit_label).id("quit").build(app)?;
        let menu = MenuBuilder::new(app).items(&[&open, &quit]).build()?;
        let mut tray = TrayIconBuilder::with_id("main")
            .tooltip("Liaison")
            .menu(&menu)
            .on_menu_event(|app, event| match event.id().as_ref() {
                "open" => {
                    if let Some(window) = app.get_webview_window("main") {
                        let _ = window.show();
                        let _ = window.set_focus();
                    }
                }
                "quit" => app.exit(0),
                _ => {}
            });
        if let Some(icon) = app.default_window_icon() {
            tray = tray.icon(icon.clone());
        }
        tray.build(app)?;
        Ok(())
    })();
    let present = match built {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon; closing the window will quit");
            false
        }
    };
    app.manage(Tray(AtomicBool::new(present)));
}

/// Closing the window hides it while there is a tray to bring it back.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let tray = window.app_handle().try_state::<Tray>();
        if tray.is_some_and(|t| t.0.load(Ordering::Relaxed)) {
            api.prevent_close();
            if let Err(e) = window.hide() {
                tracing::warn!(error = %e, "could not hide the window");
            }
        }
    }
}
