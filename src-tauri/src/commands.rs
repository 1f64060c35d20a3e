//! The window's commands: each one line over the engine, errors as [`DeskErrorView`].
//!
//! Every command that reads or writes the store is `async` and runs its engine call through
//! [`off_the_runtime`]: Tauri runs a plain command on the window's main thread, where a store busy
//! with the worker's sync would hold up drawing the window and the typing in it, and SQLite must
//! not hold up the async runtime's other tasks either.

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

/// Runs `call` (SQLite, the keyring) on the runtime thread the command's task is on, once that
/// thread has handed its other tasks to another ([`liaison_desk::blocking`]): neither the main
/// thread nor any other task waits on it, and the call starts and answers without a hand-over to
/// a pool thread. A panic in the call answers as an internal error, as a pool thread's would.
fn off_the_runtime<T>(
    desk: &Arc<Desk>,
    call: impl FnOnce(&Desk) -> Result<T, DeskError>,
) -> Answer<T> {
    let run = std::panic::AssertUnwindSafe(|| call(desk));
    match liaison_desk::blocking(|| std::panic::catch_unwind(run)) {
        Ok(r) => view(r),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            view(Err(DeskError::Internal(format!(
                "a desk call stopped: {what}"
            ))))
        }
    }
}

#[tauri::command]
pub async fn session(desk: State<'_, Arc<Desk>>) -> Answer<SessionView> {
    off_the_runtime(&desk, move |desk| desk.session())
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
    off_the_runtime(&desk, move |desk| desk.first_screen())
}

#[tauri::command]
pub async fn columns(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ColumnView>> {
    off_the_runtime(&desk, move |desk| desk.columns())
}

#[tauri::command]
pub async fn drafts(desk: State<'_, Arc<Desk>>) -> Answer<Vec<DraftSummary>> {
    off_the_runtime(&desk, move |desk| desk.drafts())
}

/// The first page of drafts holding `term`, most recently saved first.
#[tauri::command]
pub async fn search_drafts(desk: State<'_, Arc<Desk>>, term: String) -> Answer<Vec<SearchHit>> {
    off_the_runtime(&desk, move |desk| desk.search(&term, crate::SEARCH_PAGE))
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
    off_the_runtime(&desk, move |desk| desk.draft(&id))
}

#[tauri::command]
pub async fn create_draft(desk: State<'_, Arc<Desk>>, column_id: Option<i64>) -> Answer<DraftView> {
    off_the_runtime(&desk, move |desk| desk.create_draft(column_id))
}

#[tauri::command]
pub async fn commissions(desk: State<'_, Arc<Desk>>) -> Answer<Vec<CommissionView>> {
    off_the_runtime(&desk, move |desk| desk.commissions())
}

/// The department's standing in the office's ranking (评比), as last fetched.
#[tauri::command]
pub async fn standing(
    desk: State<'_, Arc<Desk>>,
) -> Answer<Vec<liaison_domain::score::standing::PeriodStanding>> {
    off_the_runtime(&desk, move |desk| desk.standing())
}

#[tauri::command]
pub async fn answer_commission(
    desk: State<'_, Arc<Desk>>,
    commission_id: i64,
) -> Answer<DraftView> {
    off_the_runtime(&desk, move |desk| desk.answer_commission(commission_id))
}

#[tauri::command]
pub async fn save_draft(
    desk: State<'_, Arc<Desk>>,
    id: String,
    column_id: Option<i64>,
    title: String,
    body_html: String,
) -> Answer<DraftSummary> {
    off_the_runtime(&desk, move |desk| {
        desk.save_draft(&id, column_id, &title, &body_html)
    })
}

#[tauri::command]
pub async fn send_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    off_the_runtime(&desk, move |desk| desk.send_draft(&id))
}

#[tauri::command]
pub async fn revise_draft(desk: State<'_, Arc<Desk>>, id: String) -> Answer<DraftView> {
    off_the_runtime(&desk, move |desk| desk.revise_draft(&id))
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
    off_the_runtime(&desk, move |desk| desk.detach(&id, &sha256))
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
    off_the_runtime(&desk, move |desk| desk.board())
}

#[tauri::command]
pub async fn notices(desk: State<'_, Arc<Desk>>) -> Answer<Vec<NoticeView>> {
    off_the_runtime(&desk, move |desk| desk.notices())
}

/// Marks one notice read, or all of them (`id` absent).
#[tauri::command]
pub async fn mark_notices_read(desk: State<'_, Arc<Desk>>, id: Option<i64>) -> Answer<()> {
    off_the_runtime(&desk, move |desk| desk.mark_notices_read(id))
}

#[tauri::command]
pub async fn notify_hours(desk: State<'_, Arc<Desk>>) -> Answer<NotifyHours> {
    off_the_runtime(&desk, move |desk| desk.notify_hours())
}

#[tauri::command]
pub async fn set_notify_hours(
    desk: State<'_, Arc<Desk>>,
    hours: NotifyHours,
) -> Answer<NotifyHours> {
    off_the_runtime(&desk, move |desk| {
        desk.set_notify_hours(&hours)
            .and_then(|()| desk.notify_hours())
    })
}

/// The window's language, for the notifications it cannot word itself.
#[tauri::command]
pub async fn set_language(desk: State<'_, Arc<Desk>>, language: String) -> Answer<()> {
    off_the_runtime(&desk, move |desk| desk.set_language(&language))
}

/// What the revision changed in the returned version, line by line.
#[tauri::command]
pub async fn revision_diff(desk: State<'_, Arc<Desk>>, id: String) -> Answer<Vec<DiffLine>> {
    off_the_runtime(&desk, move |desk| desk.revision_diff(&id))
}

/// Records (or, with `null`, removes) the paper sign-off of the draft's current version.
#[tauri::command]
pub async fn attest(
    desk: State<'_, Arc<Desk>>,
    id: String,
    attestation: Option<Attestation>,
) -> Answer<DraftView> {
    off_the_runtime(&desk, move |desk| desk.attest(&id, attestation.as_ref()))
}

/// The item's history as last heard (offline).
#[tauri::command]
pub async fn timeline(desk: State<'_, Arc<Desk>>, id: String) -> Answer<ItemTimeline> {
    off_the_runtime(&desk, move |desk| desk.timeline(&id))
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
    off_the_runtime(&desk, move |desk| desk.preflight(&id))
}

#[tauri::command]
pub async fn import_folder(desk: State<'_, Arc<Desk>>) -> Answer<Option<String>> {
    off_the_runtime(&desk, move |desk| {
        desk.import_folder()
            .map(|f| f.map(|p| p.to_string_lossy().into_owned()))
    })
}

/// Sets (or, with `null`, stops) the seat's import folder.
#[tauri::command]
pub async fn set_import_folder(
    desk: State<'_, Arc<Desk>>,
    dir: Option<String>,
) -> Answer<Option<String>> {
    off_the_runtime(&desk, move |desk| {
        desk.set_import_folder(dir.as_deref().map(std::path::Path::new))?;
        desk.import_folder()
            .map(|f| f.map(|p| p.to_string_lossy().into_owned()))
    })
}

#[tauri::command]
pub async fn import_log(desk: State<'_, Arc<Desk>>) -> Answer<Vec<ImportRecord>> {
    off_the_runtime(&desk, move |desk| desk.import_log())
}

/// The CA file and the offices trusted with a pinned certificate.
#[tauri::command]
pub async fn trust_settings(desk: State<'_, Arc<Desk>>) -> Answer<TrustView> {
    off_the_runtime(&desk, move |desk| desk.trust_settings())
}

/// Sets (or, with `null`, clears) the CA file the office handed out.
#[tauri::command]
pub async fn set_ca_file(desk: State<'_, Arc<Desk>>, path: Option<String>) -> Answer<TrustView> {
    off_the_runtime(&desk, move |desk| desk.set_ca_file(path.as_deref()))
}

/// Trusts the office with exactly this certificate, after the officer compared its fingerprint.
#[tauri::command]
pub async fn trust_certificate(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
    fingerprint: String,
) -> Answer<TrustView> {
    off_the_runtime(&desk, move |desk| {
        desk.trust_certificate(&office_url, &fingerprint)
    })
}

/// Forgets the office's pinned certificate (it announced a new one).
#[tauri::command]
pub async fn forget_certificate(
    desk: State<'_, Arc<Desk>>,
    office_url: String,
) -> Answer<TrustView> {
    off_the_runtime(&desk, move |desk| desk.forget_certificate(&office_url))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use liaison_desk::{Desk, DeskConfig, DeskError, DeskErrorCode};

    use super::off_the_runtime;

    fn desk(dir: &tempfile::TempDir) -> Arc<Desk> {
        Arc::new(
            Desk::open(&DeskConfig {
                data_dir: dir.path().to_owned(),
                keyring_service: "liaison-commands-test".to_owned(),
            })
            .expect("a desk in a fresh folder"),
        )
    }

    // One runtime thread: were the call to keep it, nothing else on the runtime could run.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_call_runs_on_the_commands_thread_while_the_runtime_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(&dir);
        let ticks = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(30)).await;
        // As Tauri runs a command: as a task on a runtime thread.
        let command = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                let caller = std::thread::current().id();
                let answer = off_the_runtime(&desk, |desk| {
                    let before = ticks.load(std::sync::atomic::Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(300));
                    desk.session()?;
                    let during = ticks.load(std::sync::atomic::Ordering::Relaxed) - before;
                    Ok((std::thread::current().id(), during))
                });
                (caller, answer)
            })
        };
        let (caller, answer) = command.await.expect("the command's task ends");
        let (ran_on, ticked) = answer.expect("the call answers");
        ticker.abort();
        assert_eq!(ran_on, caller, "the call was handed to another thread");
        assert!(
            ticked >= 5,
            "the runtime's other task ran {ticked} times in 300 ms while the call blocked"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_call_that_panics_answers_as_an_internal_error() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk(&dir);
        let answer = off_the_runtime(&desk, |_| -> Result<(), DeskError> {
            panic!("the store went away")
        });
        let error = answer.expect_err("a panic is an error, not a lost answer");
        assert_eq!(error.code, DeskErrorCode::Internal);
        assert!(
            error.detail.contains("the store went away"),
            "{}",
            error.detail
        );
        // The desk still answers afterwards.
        assert!(off_the_runtime(&desk, |desk| desk.session()).is_ok());
    }
}
