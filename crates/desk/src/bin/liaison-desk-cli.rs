//! `liaison-desk-cli`: the desk engine without a window, for scripts and the fault tests.
//! Every command prints one JSON document on stdout; errors go to stderr with a non-zero exit.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use liaison_desk::duties::NotifyHours;
use liaison_desk::{Desk, DeskConfig, DeskErrorView, Keyring, WorkerEvent};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "liaison-desk-cli",
    version,
    about = "Liaison Desk without a window"
)]
struct Cli {
    /// Folder of desk.db (created if missing).
    #[arg(long)]
    data: PathBuf,
    /// Service name of the token in the OS keyring.
    #[arg(long, default_value = Keyring::DEFAULT_SERVICE)]
    keyring_service: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a seat in; the password is read from the first line of standard input.
    SignIn {
        #[arg(long)]
        office: String,
        #[arg(long)]
        login: String,
    },
    /// Sign out and forget the token.
    SignOut,
    /// Take a seat over with its handover code; the new password is read from standard input.
    Redeem {
        #[arg(long)]
        office: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        code: String,
    },
    /// Hand this seat to a successor (after delivering and backing up everything).
    HandoverStart {
        #[arg(long)]
        name: String,
        #[arg(long)]
        staff_no: String,
        #[arg(long)]
        phone: String,
    },
    /// This seat's handovers, newest first.
    Handovers,
    /// The approved handover's one-time code (shown once).
    HandoverCode { id: i64 },
    /// Who held this seat when.
    Holders,
    /// The pre-flight problems of a draft, blocking first.
    Preflight { id: String },
    /// Make a draft of one file now (.docx, .txt, .md, .html, an image).
    Import {
        file: PathBuf,
        #[arg(long)]
        column: Option<i64>,
    },
    /// Set the import folder (or `--off`); `watch` follows it.
    ImportFolder {
        dir: Option<PathBuf>,
        #[arg(long)]
        off: bool,
    },
    /// Follow the import folder until killed; prints one JSON line per file taken.
    Watch,
    /// The CA file and the offices trusted with a pinned certificate.
    Trust,
    /// Trust the CA file the office handed out (or `--off`), besides the system's roots.
    CaFile {
        file: Option<PathBuf>,
        #[arg(long)]
        off: bool,
    },
    /// Trust an office with exactly the certificate of this SHA-256 fingerprint (compared with
    /// the one the office printed).
    TrustCertificate {
        #[arg(long)]
        office: String,
        #[arg(long)]
        fingerprint: String,
    },
    /// Forget the office's pinned certificate (it announced a new one).
    ForgetCertificate {
        #[arg(long)]
        office: String,
    },
    /// The import log, newest first.
    Imports,
    /// Drafts whose title or text holds a term, most recently saved first.
    Search {
        term: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Fill the store with sample drafts of realistic Chinese text (for trying the desk at scale).
    Seed {
        #[arg(long)]
        drafts: usize,
        /// Bytes of body per draft.
        #[arg(long, default_value_t = 2048)]
        body_bytes: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The seat, its columns, its drafts and what waits in the outbox.
    State,
    /// Create a draft and save title and body into it.
    Draft {
        #[arg(long)]
        column: Option<i64>,
        #[arg(long)]
        title: String,
        /// The body as HTML; `-` reads it from standard input.
        #[arg(long, default_value = "")]
        body: String,
        /// A file to attach (repeatable); its type is read from its bytes.
        #[arg(long)]
        attach: Vec<PathBuf>,
        /// A paper sign-off (attested departments): the approver, with --approved-on and --form.
        #[arg(long, requires_all = ["approved_on", "form"])]
        approver: Option<String>,
        #[arg(long)]
        approved_on: Option<chrono::NaiveDate>,
        /// The scanned signed form, attached to the draft.
        #[arg(long)]
        form: Option<PathBuf>,
        /// Queue it for delivery at once.
        #[arg(long)]
        send: bool,
    },
    /// Save a draft's title and body again (its column stays).
    Save {
        id: String,
        #[arg(long)]
        title: String,
        /// The body as HTML; `-` reads it from standard input.
        #[arg(long, default_value = "")]
        body: String,
    },
    /// Attach a file to a draft.
    Attach { id: String, file: PathBuf },
    /// Record a paper sign-off (attested departments): who signed the form, when, and the
    /// scanned form, which is attached to the draft.
    Attest {
        id: String,
        #[arg(long)]
        approver: String,
        /// The date on the form, YYYY-MM-DD.
        #[arg(long)]
        approved_on: chrono::NaiveDate,
        #[arg(long)]
        form: PathBuf,
    },
    /// An item's history: each sent version and what the office did with it (fetched now).
    Timeline { id: String },
    /// Write in the thread of an item's latest sent version.
    Comment {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        quote: Option<String>,
    },
    /// The department's items waiting for this seat's sign-off (responsible person).
    Signoffs,
    /// Sign an item off (responsible person), by the office's item id.
    Approve { item: i64 },
    /// Return an item to its officer (responsible person), by the office's item id.
    Return {
        item: i64,
        #[arg(long)]
        comment: String,
        #[arg(long)]
        quote: Option<String>,
    },
    /// Queue a draft for delivery.
    Send { id: String },
    /// Deliver the outbox and pull the office's changes once.
    Sync {
        /// Seconds to wait for the office's first change (long poll).
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// The duty board, most urgent first, computed now from the last fetched data.
    Board,
    /// The notices, newest first; `--check` first creates those the board calls for.
    Notices {
        #[arg(long)]
        check: bool,
    },
    /// When desktop notifications may be raised (Beijing time).
    NotifyHours {
        #[arg(long, default_value = "08:30")]
        start: String,
        #[arg(long, default_value = "17:30")]
        end: String,
        /// Also on weekends and holidays.
        #[arg(long)]
        every_day: bool,
    },
    /// Run the background worker (deliver, back up drafts, follow the office, and take files
    /// from the import folder, as the window does) until killed; prints one JSON line per round
    /// that did something or failed, per notice, and per file taken.
    Run,
    /// Type into a draft as an officer would: append `text` one character at a time every
    /// `every_ms` milliseconds, saving after each; prints the saved length after each save.
    Type {
        id: String,
        #[arg(long)]
        text: String,
        #[arg(long, default_value_t = 100)]
        every_ms: u64,
    },
}

/// Attaches the signed form and records the paper sign-off naming it.
async fn attest(
    desk: &Desk,
    id: &str,
    approver: String,
    approved_on: chrono::NaiveDate,
    form: &std::path::Path,
) -> anyhow::Result<liaison_desk::view::DraftView> {
    let bytes = std::fs::read(form).with_context(|| format!("reading {}", form.display()))?;
    let sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    desk.attach_file(id, form).await.map_err(fail)?;
    let attestation = liaison_domain::Attestation {
        approver,
        approved_on,
        form_sha256: sha256,
    };
    desk.attest(id, Some(&attestation)).map_err(fail)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("liaison-desk-cli: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let desk = Desk::open(&DeskConfig {
        data_dir: cli.data.clone(),
        keyring_service: cli.keyring_service,
    })
    .with_context(|| format!("opening the desk store in {}", cli.data.display()))?;
    let out = match cli.command {
        Command::SignIn { office, login } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.is_empty() {
                bail!("no password on standard input");
            }
            json!(
                desk.sign_in(&office, &login, password)
                    .await
                    .map_err(fail)?
            )
        }
        Command::SignOut => json!(desk.sign_out().await.map_err(fail)?),
        Command::Redeem {
            office,
            login,
            code,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the new password")?;
            let password = password.trim_end_matches(['\r', '\n']);
            json!(
                desk.redeem_handover(&office, &login, &code, password)
                    .await
                    .map_err(fail)?
            )
        }
        Command::HandoverStart {
            name,
            staff_no,
            phone,
        } => {
            let successor = liaison_domain::handover::Successor {
                name,
                staff_no,
                phone,
            };
            json!(desk.start_handover(&successor).await.map_err(fail)?)
        }
        Command::Handovers => json!(desk.handovers().await.map_err(fail)?),
        Command::HandoverCode { id } => json!(desk.handover_code(id).await.map_err(fail)?),
        Command::Holders => json!(desk.holders().await.map_err(fail)?),
        Command::Trust => json!(desk.trust_settings().map_err(fail)?),
        Command::CaFile { file, off } => {
            let file = if off { None } else { file };
            json!(
                desk.set_ca_file(file.as_deref().map(|f| f.to_string_lossy()).as_deref())
                    .map_err(fail)?
            )
        }
        Command::TrustCertificate {
            office,
            fingerprint,
        } => json!(
            desk.trust_certificate(&office, &fingerprint)
                .map_err(fail)?
        ),
        Command::ForgetCertificate { office } => {
            json!(desk.forget_certificate(&office).map_err(fail)?)
        }
        Command::Preflight { id } => json!(desk.preflight(&id).map_err(fail)?),
        Command::Import { file, column } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match desk
                .import_bytes(&name, bytes, column)
                .await
                .map_err(fail)?
            {
                Ok(draft) => json!(draft),
                Err(e) => bail!(
                    "{}",
                    json!({"code": e.code(), "detail": e.to_string(), "reason": e.reason_zh()})
                ),
            }
        }
        Command::ImportFolder { dir, off } => {
            desk.set_import_folder(if off { None } else { dir.as_deref() })
                .map_err(fail)?;
            json!({ "import_folder": desk.import_folder().map_err(fail)? })
        }
        Command::Watch => {
            let desk = std::sync::Arc::new(desk);
            desk.run_import_folder(|record| println!("{}", json!(record)))
                .await;
            return Ok(());
        }
        Command::Imports => json!(desk.import_log().map_err(fail)?),
        Command::Search { term, limit } => json!(desk.search(&term, limit).map_err(fail)?),
        Command::Seed {
            drafts,
            body_bytes,
            seed,
        } => {
            desk.seed_drafts(drafts, body_bytes, seed).map_err(fail)?;
            json!({ "drafts": desk.drafts().map_err(fail)?.len() })
        }
        Command::State => {
            let drafts = desk.drafts().map_err(fail)?;
            let mut full = Vec::with_capacity(drafts.len());
            for d in &drafts {
                full.push(desk.draft(&d.id).map_err(fail)?);
            }
            json!({
                "session": desk.session().map_err(fail)?,
                "columns": desk.columns().map_err(fail)?,
                "drafts": full,
            })
        }
        Command::Draft {
            column,
            title,
            body,
            attach,
            approver,
            approved_on,
            form,
            send,
        } => {
            let body = if body == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading the body")?
            } else {
                body
            };
            let draft = desk.create_draft(column).map_err(fail)?;
            desk.save_draft(&draft.id, column, &title, &body)
                .map_err(fail)?;
            for file in &attach {
                desk.attach_file(&draft.id, file).await.map_err(fail)?;
            }
            if let (Some(approver), Some(approved_on), Some(form)) = (approver, approved_on, form) {
                attest(&desk, &draft.id, approver, approved_on, &form).await?;
            }
            if send {
                desk.send_draft(&draft.id).map_err(fail)?;
            }
            json!(desk.draft(&draft.id).map_err(fail)?)
        }
        Command::Board => json!(desk.board().map_err(fail)?),
        Command::Notices { check } => {
            if check {
                desk.check_duties().map_err(fail)?;
            }
            json!(desk.notices().map_err(fail)?)
        }
        Command::NotifyHours {
            start,
            end,
            every_day,
        } => {
            let hours = NotifyHours {
                start,
                end,
                working_days_only: !every_day,
            };
            desk.set_notify_hours(&hours).map_err(fail)?;
            json!(desk.notify_hours().map_err(fail)?)
        }
        Command::Save { id, title, body } => {
            let body = if body == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading the body")?
            } else {
                body
            };
            let column = desk.draft(&id).map_err(fail)?.column_id;
            json!(desk.save_draft(&id, column, &title, &body).map_err(fail)?)
        }
        Command::Attach { id, file } => json!(desk.attach_file(&id, &file).await.map_err(fail)?),
        Command::Attest {
            id,
            approver,
            approved_on,
            form,
        } => json!(attest(&desk, &id, approver, approved_on, &form).await?),
        Command::Timeline { id } => json!(desk.refresh_timeline(&id).await.map_err(fail)?),
        Command::Comment { id, text, quote } => json!(
            desk.comment(&id, &text, quote.as_deref())
                .await
                .map_err(fail)?
        ),
        Command::Signoffs => json!(desk.signoff_queue().await.map_err(fail)?),
        Command::Approve { item } => json!(desk.approve(item).await.map_err(fail)?),
        Command::Return {
            item,
            comment,
            quote,
        } => json!(
            desk.return_for_revision(item, &comment, quote.as_deref())
                .await
                .map_err(fail)?
        ),
        Command::Run => {
            let desk = std::sync::Arc::new(desk);
            // The import folder as the window follows it (changed with `import-folder`).
            tokio::spawn(
                desk.clone()
                    .run_import_folder(|record| println!("{}", json!({ "import": record }))),
            );
            desk.run_worker(|event| {
                let line = match event {
                    WorkerEvent::Synced(report) => json!({ "round": report }),
                    WorkerEvent::Failed(e) => json!({ "error": DeskErrorView::from(e) }),
                    WorkerEvent::Notice(notice) => json!({ "notice": notice }),
                };
                println!("{line}");
            })
            .await;
            return Ok(());
        }
        Command::Type { id, text, every_ms } => {
            let draft = desk.draft(&id).map_err(fail)?;
            let mut body = draft.body_html;
            for c in text.chars() {
                body.push(c);
                desk.save_draft(&id, draft.column_id, &draft.title, &body)
                    .map_err(fail)?;
                // Written and synced: a kill from here on cannot lose it.
                println!("{}", json!({ "saved": body.chars().count() }));
                tokio::time::sleep(std::time::Duration::from_millis(every_ms)).await;
            }
            json!(desk.draft(&id).map_err(fail)?)
        }
        Command::Send { id } => json!(desk.send_draft(&id).map_err(fail)?),
        Command::Sync { wait } => json!(desk.sync_once(wait).await.map_err(fail)?),
    };
    println!("{out}");
    Ok(())
}

/// The engine's error as JSON on stderr (code and detail), as the window would receive it.
fn fail(e: liaison_desk::DeskError) -> anyhow::Error {
    let view = DeskErrorView::from(&e);
    anyhow::anyhow!(serde_json::to_string(&view).unwrap_or_else(|_| e.to_string()))
}
