//! The chaos run's end check: at the office (straight, not through the fault proxy) and in each
//! desk, what arrived once, twice or not at all, and whether every file and typed draft is intact.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::officer::Officer;
use super::{ChaosOutcome, log};
use crate::{DemoSeat, SeatSession};

/// The office as the end check reaches it: the single office, or HAProxy in front of the
/// office processes; and the demo city's seats.
pub(super) struct Front {
    pub(super) url: String,
    pub(super) seats: Vec<DemoSeat>,
}

impl Front {
    pub(super) fn seat(&self, role: &str, department: Option<&str>) -> Result<&DemoSeat, String> {
        self.seats
            .iter()
            .find(|s| s.role.as_str() == role && department.is_none_or(|d| s.department == d))
            .ok_or_else(|| format!("no demo seat {role} of {department:?}"))
    }

    /// A seat signed in at the office.
    async fn signed_in(&self, seat: &DemoSeat) -> Result<SeatSession, String> {
        let http = reqwest::Client::new();
        let base = format!("{}/api/v1", self.url);
        let answer = http
            .post(format!("{base}/sessions"))
            .json(&json!({"login": seat.login, "password": seat.password}))
            .send()
            .await
            .map_err(|e| format!("sign in as {}: {e}", seat.login))?;
        let status = answer.status();
        let signed: Value = answer.json().await.unwrap_or(Value::Null);
        let token = signed["token"]
            .as_str()
            .ok_or_else(|| format!("sign in as {}: {status} {signed}", seat.login))?
            .to_owned();
        Ok(SeatSession { http, base, token })
    }

    async fn editor(&self) -> Result<SeatSession, String> {
        self.signed_in(self.seat("editor", None)?).await
    }

    /// The department's responsible person signs off every item waiting for it.
    async fn sign_off(&self, department: &str) -> Result<(), String> {
        let responsible = self
            .signed_in(self.seat("responsible", Some(department))?)
            .await?;
        let queue = responsible.get("/signoffs").await;
        for item in queue.as_array().ok_or("the sign-off queue is a list")? {
            let id = item["id"].as_i64().ok_or("an item id")?;
            // Many decisions in a row meet the seat's write limit: 429, then go on after the
            // second it asks for (a long run signs off hundreds).
            let mut waits = 0;
            loop {
                let (status, body) = responsible
                    .post(&format!("/items/{id}/approve"), Value::Null)
                    .await;
                match status {
                    200 => break,
                    429 if waits < 120 => {
                        waits += 1;
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                    _ => return Err(format!("approving item {id}: {status} {body}")),
                }
            }
        }
        Ok(())
    }
}

/// Counts, at the office and in each desk, what arrived and what is intact.
pub(super) async fn check(
    office: &Front,
    officers: &[Officer],
    outcome: &mut ChaosOutcome,
) -> Result<(), String> {
    let editor = office.editor().await?;
    for officer in officers {
        // Departments that sign off in the app: the responsible person approves what arrived,
        // so the editors have it.
        if !officer.attested {
            office.sign_off(&officer.seat.department).await?;
        }
        let state = officer.run(&["state"]).await?;
        let drafts = state["drafts"].as_array().cloned().unwrap_or_default();
        let department = state["session"]["seat"]["department"]["id"]
            .as_i64()
            .ok_or("the desk is no longer signed in")?;
        let listed = editor
            .get(&format!(
                "/inbox?state=all&department_id={department}&limit=500"
            ))
            .await;
        let listed = listed.as_array().cloned().unwrap_or_default();
        for (title, files) in &officer.sent {
            let arrived: Vec<&Value> = listed.iter().filter(|i| &i["title"] == title).collect();
            match arrived.len() {
                0 => {
                    let at_desk = drafts.iter().find(|d| &d["title"] == title);
                    log(format!(
                        "lost: {title}; at the desk: {}",
                        at_desk.map_or("nothing".into(), |d| format!(
                            "{} {}",
                            d["state"], d["last_error"]
                        ))
                    ));
                    outcome.lost += 1;
                    continue;
                }
                1 => outcome.delivered_once += 1,
                n => {
                    log(format!("duplicated {n} times: {title}"));
                    outcome.duplicated += 1;
                    continue;
                }
            }
            let id = arrived[0]["id"].as_i64().ok_or("an item id")?;
            let detail = editor.get(&format!("/items/{id}")).await;
            let held: Vec<(String, u64)> = detail["attachments"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|f| {
                            (
                                f["sha256"].as_str().unwrap_or_default().to_owned(),
                                f["size"].as_u64().unwrap_or_default(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut intact = held.len() == files.len();
            for f in files {
                if !held.contains(&(f.sha256.clone(), f.size)) {
                    intact = false;
                    continue;
                }
                match editor
                    .bytes(&format!("/items/{id}/files/{}", f.sha256))
                    .await
                {
                    Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == f.sha256 => {}
                    _ => intact = false,
                }
            }
            if !intact {
                log(format!("corrupt files: {title}"));
                outcome.corrupt += 1;
            }
        }

        // Every typed draft: intact at the desk up to its last confirmed save, and backed up.
        let own = office.signed_in(&officer.seat).await?;
        let backups = own.get("/drafts").await;
        let backups = backups.as_array().cloned().unwrap_or_default();
        for (id, saved) in &officer.typed {
            outcome.drafts_checked += 1;
            let saved = saved.load(Ordering::SeqCst);
            let local = drafts.iter().find(|d| d["id"] == id.as_str());
            let body = local
                .and_then(|d| d["body_html"].as_str())
                .unwrap_or_default();
            let backed_up = backups
                .iter()
                .find(|b| b["draft_key"] == id.as_str())
                .and_then(|b| b["body_html"].as_str());
            if body.chars().count() < saved {
                log(format!(
                    "draft {id}: {saved} characters were saved, {} are there",
                    body.chars().count()
                ));
                outcome.lost += 1;
            } else if backed_up != Some(body) {
                log(format!(
                    "draft {id}: the office's backup differs from the desk"
                ));
                outcome.lost += 1;
            }
        }
    }
    Ok(())
}
