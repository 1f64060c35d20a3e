//! The window's commands: each one line over the engine, errors as [`DeskErrorView`].
//!
//! The reads the page makes when it opens are `async`: Tauri runs a plain command on the window's
//! main thread, where a store busy with the worker's sync would hold up drawing the window.

use std::sync::Arc;

use liaison_desk::diff::DiffLine;
use liaison_desk::duties::{BoardView, NoticeView, NotifyHours};
use liaison_desk::view::{
    DraftSummary, DraftView, ImportRecord, ItemTimeline, SearchHit, SessionView, SyncReport,
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

#[tauri::command]
pub async fn session(desk: State<'_, Arc<Desk>>) -> Answer<SessionView> {
    view(desk.session())
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

#[tauri::command]
pub async fn columns(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ColumnView>> {
    view(desk.columns())
}

#[tauri::command]
pub async fn drafts(desk: State<'_, Arc<Desk>>) -> Answer<Vec<DraftSummary>> {
    view(desk.drafts())
}

/// The first page of drafts holding `term`, most recently saved first.
#[tauri::command]
pub async fn search_drafts(desk: State<'_, Arc<Desk>>, term: String) -> Answer<Vec<SearchHit>> {
    view(desk.search(&term, crate::SEARCH_PAGE))
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
pub fn draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    view(desk.draft(&id))
}

#[tauri::command]
pub fn create_draft(desk: State<'_, Arc<Desk>>, column_id: Option<i64>) -> Answer<DraftView> {
    view(desk.create_draft(column_id))
}

#[tauri::command]
pub fn commissions(desk: State<'_, Arc<Desk>>) -> Answer<Vec<CommissionView>> {
    view(desk.commissions())
}

/// The department's standing in the office's ranking (评比), as last fetched.
#[tauri::command]
pub fn standing(
    desk: State<'_, Arc<Desk>>,
) -> Answer<Vec<liaison_domain::score::standing::PeriodStanding>> {
    view(desk.standing())
}

#[tauri::command]
pub fn answer_commission(desk: State<'_, Arc<Desk>>, commission_id: i64) -> Answer<DraftView> {
    view(desk.answer_commission(commission_id))
}

#[tauri::command]
pub fn save_draft(
    desk: State<'_, Arc<Desk>>,
    id: String,
    column_id: Option<i64>,
    title: String,
    body_html: String,
) -> Answer<DraftSummary> {
    view(desk.save_draft(&id, column_id, &title, &body_html))
}

#[tauri::command]
pub fn send_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    view(desk.send_draft(&id))
}

#[tauri::command]
pub fn revise_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    view(desk.revise_draft(&id))
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
pub fn detach_file(desk: State<'_, Arc<Desk>>, id: String, sha256: String) -> Answer<DraftView> {
    view(desk.detach(&id, &sha256))
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
    view(desk.board())
}

#[tauri::command]
pub async fn notices(desk: State<'_, Arc<Desk>>) -> Answer<Vec<NoticeView>> {
    view(desk.notices())
}

/// Marks one notice read, or all of them (`id` absent).
#[tauri::command]
pub fn mark_notices_read(desk: State<'_, Arc<Desk>>, id: Option<i64>) -> Answer<()> {
    view(desk.mark_notices_read(id))
}

#[tauri::command]
pub async fn notify_hours(desk: State<'_, Arc<Desk>>) -> Answer<NotifyHours> {
    view(desk.notify_hours())
}

#[tauri::command]
pub fn set_notify_hours(desk: State<'_, Arc<Desk>>, hours: NotifyHours) -> Answer<NotifyHours> {
    view(
        desk.set_notify_hours(&hours)
            .and_then(|()| desk.notify_hours()),
    )
}

/// The window's language, for the notifications it cannot word itself.
#[tauri::command]
pub fn set_language(desk: State<'_, Arc<Desk>>, language: String) -> Answer<()> {
    view(desk.set_language(&language))
}

/// What the revision changed in the returned version, line by line.
#[tauri::command]
pub fn revision_diff(desk: State<'_, Arc<Desk>>, id: String) -> Answer<Vec<DiffLine>> {
    view(desk.revision_diff(&id))
}

/// Records (or, with `null`, removes) the paper sign-off of the draft's current version.
#[tauri::command]
pub fn attest(
    desk: State<'_, Arc<Desk>>,
    id: String,
    attestation: Option<Attestation>,
) -> Answer<DraftView> {
    view(desk.attest(&id, attestation.as_ref()))
}

/// The item's history as last heard (offline).
#[tauri::command]
pub fn timeline(desk: State<'_, Arc<Desk>>, id: String) -> Answer<ItemTimeline> {
    view(desk.timeline(&id))
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
pub fn preflight(desk: State<'_, Arc<Desk>>, id: String) -> Answer<Vec<Problem>> {
    view(desk.preflight(&id))
}

#[tauri::command]
pub fn import_folder(desk: State<'_, Arc<Desk>>) -> Answer<Option<String>> {
    view(
        desk.import_folder()
            .map(|f| f.map(|p| p.to_string_lossy().into_owned())),
    )
}

/// Sets (or, with `null`, stops) the seat's import folder.
#[tauri::command]
pub fn set_import_folder(
    desk: State<'_, Arc<Desk>>,
    dir: Option<String>,
) -> Answer<Option<String>> {
    view(desk.set_import_folder(dir.as_deref().map(std::path::Path::new)))?;
    import_folder(desk)
}

#[tauri::command]
pub fn import_log(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ImportRecord>> {
    view(desk.import_log())
}

/// The CA file and the offices trusted with a pinned certificate.
#[tauri::command]
pub fn trust_settings(desk: State<'_, Arc<Desk>>) -> Answer<TrustView> {
    view(desk.trust_settings())
}

/// Sets (or, with `null`, clears) the CA file the office handed out.
#[tauri::command]
pub fn set_ca_file(desk: State<'_, Arc<Desk>>, path: Option<String>) -> Answer<TrustView> {
    view(desk.set_ca_file(path.as_deref()))
}

/// Trusts the office with exactly this certificate, after the officer compared its fingerprint.
#[tauri::command]
pub fn trust_certificate(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
    fingerprint: String,
) -> Answer<TrustView> {
    view(desk.trust_certificate(&office_url, &fingerprint))
}

/// Forgets the office's pinned certificate (it announced a new one).
#[tauri::command]
pub fn forget_certificate(desk: State<'_, Arc<Desk>>, office_url: String) -> Answer<TrustView> {
    view(desk.forget_certificate(&office_url))
}
