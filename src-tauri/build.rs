/// The commands the window may call; each gets an `allow-<name>` permission, granted in
/// `capabilities/main.json`. Nothing else of the app is reachable from the page.
const COMMANDS: &[&str] = &[
    "session",
    "sign_in",
    "sign_out",
    "columns",
    "drafts",
    "draft",
    "search_drafts",
    "painted",
    "create_draft",
    "commissions",
    "answer_commission",
    "standing",
    "save_draft",
    "send_draft",
    "revise_draft",
    "sync_now",
    "attach_file",
    "detach_file",
    "read_file",
    "board",
    "notices",
    "mark_notices_read",
    "notify_hours",
    "set_notify_hours",
    "set_language",
    "revision_diff",
    "attest",
    "timeline",
    "refresh_timeline",
    "comment",
    "signoff_queue",
    "office_item",
    "approve",
    "return_item",
    "redeem_handover",
    "start_handover",
    "handovers",
    "handover_code",
    "holders",
    "preflight",
    "import_folder",
    "set_import_folder",
    "import_log",
    "trust_settings",
    "set_ca_file",
    "trust_certificate",
    "forget_certificate",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
