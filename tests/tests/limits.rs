//! A desk's worker against an office (in this process) that limits sends: every item arrives
//! exactly once, and the worker waits at least the `Retry-After` the office asked for.
//! Run inside a session with a Secret Service (scripts/test-session.sh; `make test` does).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use liaison_desk::{Desk, DeskConfig};
use liaison_domain::ItemState;
use liaison_office::limits::{Limits, Rate, WriteRates};
use liaison_office::{AppState, ManualClock, Store};

/// One `POST /items` as the office saw it.
#[derive(Debug, Clone)]
struct Send {
    arrived: Instant,
    answered: Instant,
    status: u16,
    retry_after: Option<u64>,
}

async fn record(
    State(log): State<Arc<Mutex<Vec<Send>>>>,
    request: Request,
    next: Next,
) -> Response {
    let is_send = request.method() == "POST" && request.uri().path() == "/api/v1/items";
    let arrived = Instant::now();
    let response = next.run(request).await;
    if is_send {
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        log.lock().unwrap().push(Send {
            arrived,
            answered: Instant::now(),
            status: response.status().as_u16(),
            retry_after,
        });
    }
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_desk_waits_as_asked_and_delivers_everything_once() {
    // The office: one send at once, then one every 5 s per seat (longer than the desk's first
    // backoff of 2-4 s, so only honouring Retry-After waits long enough).
    let office_dir = tempfile::tempdir().unwrap();
    let store = liaison_office::open_store(office_dir.path()).unwrap();
    let now = chrono::Utc::now();
    let seats = liaison_office::demo::seed(store.as_ref(), now).unwrap();
    let files = liaison_office::FileStore::open(&office_dir.path().join("files")).unwrap();
    let state = AppState::new(
        store.clone() as Arc<dyn Store>,
        Arc::new(ManualClock::new(now)),
        files,
    )
    .with_limits(Limits {
        writes: WriteRates {
            send: Rate {
                burst: 1,
                every: Duration::from_secs(5),
            },
            ..WriteRates::default()
        },
        ..Limits::default()
    });
    let log = Arc::new(Mutex::new(Vec::<Send>::new()));
    let app = liaison_office::router(state)
        .layer(axum::middleware::from_fn_with_state(log.clone(), record));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    // The desk: three items queued before the worker starts.
    let officer = seats
        .iter()
        .find(|s| s.role.as_str() == "officer" && s.department == "市交通运输局")
        .unwrap();
    let desk_dir = tempfile::tempdir().unwrap();
    let desk = Arc::new(
        Desk::open(&DeskConfig {
            data_dir: desk_dir.path().to_path_buf(),
            keyring_service: format!("liaison-limits-{}", uuid::Uuid::new_v4()),
        })
        .unwrap(),
    );
    desk.sign_in(&url, &officer.login, &officer.password)
        .await
        .unwrap();
    let column = liaison_tests::submission_column(&desk);
    let mut drafts = Vec::new();
    for n in 1..=3 {
        let draft = desk.create_draft(Some(column)).unwrap();
        let body = format!("<h2>一、总体要求</h2><ul><li>第{n}项安排，确保道路畅通</li></ul>");
        desk.save_draft(
            &draft.id,
            Some(column),
            &format!("关于交通管制的通告（{n}）"),
            &body,
        )
        .unwrap();
        assert_eq!(desk.send_draft(&draft.id).unwrap().state, ItemState::Queued);
        drafts.push(draft.id);
    }
    let worker = tokio::spawn(desk.clone().run_worker(|_| {}));

    // Eventually every draft has left the queue.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let queued = drafts
            .iter()
            .filter(|id| desk.draft(id).unwrap().state == ItemState::Queued)
            .count();
        if queued == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{queued} still queued: {:?}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.abort();

    for id in &drafts {
        let state = desk.draft(id).unwrap().state;
        assert!(
            matches!(state, ItemState::AwaitingSignoff | ItemState::Delivered),
            "{id}: {state:?}"
        );
    }
    // Exactly once at the office: three items of this seat, one per draft.
    let sent: Vec<_> = store
        .items_of_department(seats_department(&*store, &officer.login), None)
        .unwrap()
        .into_iter()
        .filter(|i| i.title.starts_with("关于交通管制的通告（"))
        .collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let mut keys: Vec<_> = sent.iter().map(|i| i.draft_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3);

    // The office refused at least once, and after each refusal the desk waited what it asked.
    let log = log.lock().unwrap().clone();
    assert_eq!(log.iter().filter(|s| s.status == 201).count(), 3, "{log:?}");
    let refusals: Vec<&Send> = log.iter().filter(|s| s.status == 429).collect();
    assert!(!refusals.is_empty(), "the office never limited: {log:?}");
    for (i, refused) in log.iter().enumerate().filter(|(_, s)| s.status == 429) {
        let asked = Duration::from_secs(refused.retry_after.expect("Retry-After"));
        assert!(asked >= Duration::from_secs(4), "{asked:?}");
        let next = &log[i + 1];
        let waited = next.arrived.duration_since(refused.answered);
        assert!(
            waited >= asked,
            "the desk came back after {waited:?}, the office asked for {asked:?}"
        );
    }
}

fn seats_department(store: &dyn Store, login: &str) -> i64 {
    store
        .seat_credentials(login)
        .unwrap()
        .unwrap()
        .seat
        .department
        .id
}
