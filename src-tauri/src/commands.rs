//! The window's commands: each one line over the engine, errors as [`DeskErrorView`].
//!
//! Every command that reads or writes the store is `async` and runs its engine call on a
//! blocking thread ([`on_blocking_thread`]): Tauri runs a plain command on the window's main
//! thread, where a store busy with the worker's sync would hold up drawing the window and the
//! typing in it, and SQLite must not hold up the async runtime's threads either.

use std::sync::Arc;

use liaison_desk::diff::DiffLine;
use liaison_desk::duties::{BoardView, NoticeView, NotifyHours};
use liaison_desk::view::{
    DraftSummary, DraftView, FirstScreen, ImportRecord, ItemTimeline, SearchHit, SessionView,
    SyncReport,
};
use liaison_desk::{Desk, DeskError, DeskErrorView, TrustView};
use liaison_domain::handover::{Holder, Successor};
use liaison_domain::preflight::Problem;
use liaison_domain::wire::{CommissionView, HandoverCode, HandoverView, InboxItem, ItemDetail};
use liaison_domain::{Attestation, ColumnView};
use tauri::State;

type Answer<T> = Result<T, DeskErrorView>;

fn view<T>(r: Result<T, DeskError>) -> Answer<T> {
    r.map_err(|e| {
        tracing::warn!(error = %e, "command failed");
        DeskErrorView::from(&e)
    })
}

/// Runs `call` (SQLite, the keyring) on the async runtime's blocking pool, neither on the main
/// thread nor on a runtime thread.
async fn on_blocking_thread<T: Send + 'static>(
    desk: &Arc<Desk>,
    call: impl FnOnce(&Desk) -> Result<T, DeskError> + Send + 'static,
) -> Answer<T> {
    let desk = desk.clone();
    match tauri::async_runtime::spawn_blocking(move || call(&desk)).await {
        Ok(r) => view(r),
        Err(e) => view(Err(DeskError::Internal(format!(
            "a desk call stopped: {e}"
        )))),
    }
}

#[tauri::command]
pub async fn session(desk: State<'_, Arc<Desk>>) -> Answer<SessionView> {
    on_blocking_thread(&desk, move |desk| desk.session()).await
}

#[tauri::command]
pub async fn sign_in(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
    login: String,
    password: String,
) -> Answer<SessionView> {
    view(desk.sign_in(&office_url, &login, &password).await)
}

#[tauri::command]
pub async fn sign_out(desk: State<'_, Arc<Desk>>) -> Answer<SessionView> {
    view(desk.sign_out().await)
}

/// The session, columns and drafts the first screen shows, in one call.
#[tauri::command]
pub async fn first_screen(desk: State<'_, Arc<Desk>>) -> Answer<FirstScreen> {
    on_blocking_thread(&desk, move |desk| desk.first_screen()).await
}

#[tauri::command]
pub async fn columns(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ColumnView>> {
    on_blocking_thread(&desk, move |desk| desk.columns()).await
}

#[tauri::command]
pub async fn drafts(desk: State<'_, Arc<Desk>>) -> Answer<Vec<DraftSummary>> {
    on_blocking_thread(&desk, move |desk| desk.drafts()).await
}

/// The first page of drafts holding `term`, most recently saved first.
#[tauri::command]
pub async fn search_drafts(desk: State<'_, Arc<Desk>>, term: String) -> Answer<Vec<SearchHit>> {
    on_blocking_thread(&desk, move |desk| desk.search(&term, crate::SEARCH_PAGE)).await
}

/// The page is on screen (`what`: the draft list or the sign-in form), told once after its first
/// frame. The log line is what `make bench` reads as the end of start-up.
/// `page_ms`: since the page began to load, so the log tells the app's start from the page's.
#[tauri::command]
pub fn painted(what: String, page_ms: u64, start: State<'_, Arc<crate::StartGate>>) {
    start.open();
    tracing::info!(
        what = %what,
        since_start_ms = crate::since_start().as_millis(),
        page_ms,
        "first paint"
    );
}

#[tauri::command]
pub async fn draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.draft(&id)).await
}

#[tauri::command]
pub async fn create_draft(desk: State<'_, Arc<Desk>>, column_id: Option<i64>) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.create_draft(column_id)).await
}

#[tauri::command]
pub async fn commissions(desk: State<'_, Arc<Desk>>) -> Answer<Vec<CommissionView>> {
    on_blocking_thread(&desk, move |desk| desk.commissions()).await
}

/// The department's standing in the office's ranking (评比), as last fetched.
#[tauri::command]
pub async fn standing(
    desk: State<'_, Arc<Desk>>,
) -> Answer<Vec<liaison_domain::score::standing::PeriodStanding>> {
    on_blocking_thread(&desk, move |desk| desk.standing()).await
}

#[tauri::command]
pub async fn answer_commission(
    desk: State<'_, Arc<Desk>>,
    commission_id: i64,
) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.answer_commission(commission_id)).await
}

#[tauri::command]
pub async fn save_draft(
    desk: State<'_, Arc<Desk>>,
    id: String,
    column_id: Option<i64>,
    title: String,
    body_html: String,
) -> Answer<DraftSummary> {
    on_blocking_thread(&desk, move |desk| {
        desk.save_draft(&id, column_id, &title, &body_html)
    })
    .await
}

#[tauri::command]
pub async fn send_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.send_draft(&id)).await
}

#[tauri::command]
pub async fn revise_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.revise_draft(&id)).await
}

#[tauri::command]
pub async fn sync_now(desk: State<'_, Arc<Desk>>) -> Answer<SyncReport> {
    view(desk.sync_once(0).await)
}

/// Attaches a file the page read (picked or pasted). The bytes come as the raw request body;
/// the draft and the file name (URI-encoded) as the headers `draft-id` and `file-name`.
#[tauri::command]
pub async fn attach_file(
    desk: State<'_, Arc<Desk>>,
    request: tauri::ipc::Request<'_>,
) -> Answer<DraftView> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(percent_decode)
    };
    let (Some(id), Some(name)) = (header("draft-id"), header("file-name")) else {
        return view(Err(DeskError::Internal(
            "attach_file needs the draft-id and file-name headers".into(),
        )));
    };
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return view(Err(DeskError::Internal(
            "attach_file needs the file's bytes as the body".into(),
        )));
    };
    view(desk.attach_bytes(&id, &name, bytes.clone()).await)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[tauri::command]
pub async fn detach_file(
    desk: State<'_, Arc<Desk>>,
    id: String,
    sha256: String,
) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.detach(&id, &sha256)).await
}

/// The bytes of a file in the desk's store (an inline image the editor shows).
#[tauri::command]
pub async fn read_file(
    desk: State<'_, Arc<Desk>>,
    sha256: String,
) -> Result<tauri::ipc::Response, DeskErrorView> {
    view(desk.read_file(&sha256).await).map(tauri::ipc::Response::new)
}

#[tauri::command]
pub async fn board(desk: State<'_, Arc<Desk>>) -> Answer<BoardView> {
    on_blocking_thread(&desk, move |desk| desk.board()).await
}

#[tauri::command]
pub async fn notices(desk: State<'_, Arc<Desk>>) -> Answer<Vec<NoticeView>> {
    on_blocking_thread(&desk, move |desk| desk.notices()).await
}

/// Marks one notice read, or all of them (`id` absent).
#[tauri::command]
pub async fn mark_notices_read(desk: State<'_, Arc<Desk>>, id: Option<i64>) -> Answer<()> {
    on_blocking_thread(&desk, move |desk| desk.mark_notices_read(id)).await
}

#[tauri::command]
pub async fn notify_hours(desk: State<'_, Arc<Desk>>) -> Answer<NotifyHours> {
    on_blocking_thread(&desk, move |desk| desk.notify_hours()).await
}

#[tauri::command]
pub async fn set_notify_hours(
    desk: State<'_, Arc<Desk>>,
    hours: NotifyHours,
) -> Answer<NotifyHours> {
    on_blocking_thread(&desk, move |desk| {
        desk.set_notify_hours(&hours)
            .and_then(|()| desk.notify_hours())
    })
    .await
}

/// The window's language, for the notifications it cannot word itself.
#[tauri::command]
pub async fn set_language(desk: State<'_, Arc<Desk>>, language: String) -> Answer<()> {
    on_blocking_thread(&desk, move |desk| desk.set_language(&language)).await
}

/// What the revision changed in the returned version, line by line.
#[tauri::command]
pub async fn revision_diff(desk: State<'_, Arc<Desk>>, id: String) -> Answer<Vec<DiffLine>> {
    on_blocking_thread(&desk, move |desk| desk.revision_diff(&id)).await
}

/// Records (or, with `null`, removes) the paper sign-off of the draft's current version.
#[tauri::command]
pub async fn attest(
    desk: State<'_, Arc<Desk>>,
    id: String,
    attestation: Option<Attestation>,
) -> Answer<DraftView> {
    on_blocking_thread(&desk, move |desk| desk.attest(&id, attestation.as_ref())).await
}

/// The item's history as last heard (offline).
#[tauri::command]
pub async fn timeline(desk: State<'_, Arc<Desk>>, id: String) -> Answer<ItemTimeline> {
    on_blocking_thread(&desk, move |desk| desk.timeline(&id)).await
}

/// The item's history fetched from the office now.
#[tauri::command]
pub async fn refresh_timeline(desk: State<'_, Arc<Desk>>, id: String) -> Answer<ItemTimeline> {
    view(desk.refresh_timeline(&id).await)
}

#[tauri::command]
pub async fn comment(
    desk: State<'_, Arc<Desk>>,
    id: String,
    text: String,
    quote: Option<String>,
) -> Answer<ItemTimeline> {
    view(desk.comment(&id, &text, quote.as_deref()).await)
}

/// The department's items waiting for this seat's sign-off (responsible person).
#[tauri::command]
pub async fn signoff_queue(desk: State<'_, Arc<Desk>>) -> Answer<Vec<InboxItem>> {
    view(desk.signoff_queue().await)
}

#[tauri::command]
pub async fn office_item(desk: State<'_, Arc<Desk>>, item_id: i64) -> Answer<ItemDetail> {
    view(desk.office_item(item_id).await)
}

/// The bytes of an image an item at the office shows inline (the sign-off view shows it).
#[tauri::command]
pub async fn office_item_image(
    desk: State<'_, Arc<Desk>>,
    item_id: i64,
    sha256: String,
) -> Result<tauri::ipc::Response, DeskErrorView> {
    view(desk.office_item_image(item_id, &sha256).await).map(tauri::ipc::Response::new)
}

#[tauri::command]
pub async fn approve(desk: State<'_, Arc<Desk>>, item_id: i64) -> Answer<ItemDetail> {
    view(desk.approve(item_id).await)
}

#[tauri::command]
pub async fn return_item(
    desk: State<'_, Arc<Desk>>,
    item_id: i64,
    comment: String,
    quote: Option<String>,
) -> Answer<ItemDetail> {
    view(
        desk.return_for_revision(item_id, &comment, quote.as_deref())
            .await,
    )
}

/// The successor signs in with the seat's handover code and a new password.
#[tauri::command]
pub async fn redeem_handover(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
    login: String,
    code: String,
    new_password: String,
) -> Answer<SessionView> {
    view(
        desk.redeem_handover(&office_url, &login, &code, &new_password)
            .await,
    )
}

/// Hands this seat to a successor, once everything is at the office.
#[tauri::command]
pub async fn start_handover(
    desk: State<'_, Arc<Desk>>,
    successor: Successor,
) -> Answer<HandoverView> {
    view(desk.start_handover(&successor).await)
}

#[tauri::command]
pub async fn handovers(desk: State<'_, Arc<Desk>>) -> Answer<Vec<HandoverView>> {
    view(desk.handovers().await)
}

/// The approved handover's code, shown once.
#[tauri::command]
pub async fn handover_code(desk: State<'_, Arc<Desk>>, id: i64) -> Answer<HandoverCode> {
    view(desk.handover_code(id).await)
}

/// Who held this seat when.
#[tauri::command]
pub async fn holders(desk: State<'_, Arc<Desk>>) -> Answer<Vec<Holder>> {
    view(desk.holders().await)
}

/// The pre-flight problems of a draft, blocking first.
#[tauri::command]
pub async fn preflight(desk: State<'_, Arc<Desk>>, id: String) -> Answer<Vec<Problem>> {
    on_blocking_thread(&desk, move |desk| desk.preflight(&id)).await
}

#[tauri::command]
pub async fn import_folder(desk: State<'_, Arc<Desk>>) -> Answer<Option<String>> {
    on_blocking_thread(&desk, move |desk| {
        desk.import_folder()
            .map(|f| f.map(|p| p.to_string_lossy().into_owned()))
    })
    .await
}

/// Sets (or, with `null`, stops) the seat's import folder.
#[tauri::command]
pub async fn set_import_folder(
    desk: State<'_, Arc<Desk>>,
    dir: Option<String>,
) -> Answer<Option<String>> {
    on_blocking_thread(&desk, move |desk| {
        desk.set_import_folder(dir.as_deref().map(std::path::Path::new))?;
        desk.import_folder()
            .map(|f| f.map(|p| p.to_string_lossy().into_owned()))
    })
    .await
}

#[tauri::command]
pub async fn import_log(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ImportRecord>> {
    on_blocking_thread(&desk, move |desk| desk.import_log()).await
}

/// The CA file and the offices trusted with a pinned certificate.
#[tauri::command]
pub async fn trust_settings(desk: State<'_, Arc<Desk>>) -> Answer<TrustView> {
    on_blocking_thread(&desk, move |desk| desk.trust_settings()).await
}

/// Sets (or, with `null`, clears) the CA file the office handed out.
#[tauri::command]
pub async fn set_ca_file(desk: State<'_, Arc<Desk>>, path: Option<String>) -> Answer<TrustView> {
    on_blocking_thread(&desk, move |desk| desk.set_ca_file(path.as_deref())).await
}

/// Trusts the office with exactly this certificate, after the officer compared its fingerprint.
#[tauri::command]
pub async fn trust_certificate(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
    fingerprint: String,
) -> Answer<TrustView> {
    on_blocking_thread(&desk, move |desk| {
        desk.trust_certificate(&office_url, &fingerprint)
    })
    .await
}

/// Forgets the office's pinned certificate (it announced a new one).
#[tauri::command]
pub async fn forget_certificate(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
) -> Answer<TrustView> {
    on_blocking_thread(&desk, move |desk| desk.forget_certificate(&office_url)).await
}
