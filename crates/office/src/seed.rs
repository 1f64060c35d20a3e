//! `liaison-office admin seed`: fills an office with a year of realistic items at any scale, for
//! `make run` and the benchmarks, into an office holding the demo city. The items are sent by the officers of the departments that sign off in the app, through the
//! same store calls the API makes, signed off, and mostly decided, at times spread over the year
//! before `now`.

use chrono::{DateTime, Duration, Utc};
use liaison_domain::wire::SubmitItemRequest;
use liaison_domain::{ColumnView, ItemState, SeatView, SignoffPolicy};
use liaison_sample::Writer;

use crate::SqliteStore;
use crate::demo::{self, DemoError};

use crate::store::{Actor, NewItem, Review, Store, SubmitOutcome, payload_digest};

/// One department as the seeding sees it: who sends, who signs off, where to.
struct Sender {
    officer: SeatView,
    responsible: SeatView,
    columns: Vec<ColumnView>,
}

/// Sends `count` sample items (bodies of about `body_bytes`) from the demo city's officers, with
/// SQLite's writes made quick for the load. `progress` is told how many are done, every thousand
/// and at the end. Returns how many were stored.
pub fn seed_items(
    store: &SqliteStore,
    now: DateTime<Utc>,
    count: usize,
    body_bytes: usize,
    seed: u64,
    progress: impl FnMut(usize),
) -> Result<usize, DemoError> {
    store.bulk_load(|| send_items(store, now, count, body_bytes, seed, progress))?
}

/// [`seed_items`] on any store, as it is.
pub fn send_items(
    store: &dyn Store,
    now: DateTime<Utc>,
    count: usize,
    body_bytes: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Result<usize, DemoError> {
    let editor = seat(store, "bjb.editor")?;
    let mut senders = Vec::new();
    for code in demo::department_codes() {
        let officer = seat(store, &format!("{code}.officer"))?;
        let responsible = seat(store, &format!("{code}.responsible"))?;
        let columns: Vec<ColumnView> = store
            .columns_of_department(officer.department.id)?
            .into_iter()
            .filter(|c| c.feed.accepts_items())
            .collect();
        // Paper sign-off needs a signed form among the files; these samples carry none, so
        // only the departments that sign off in the app send them.
        if !columns.is_empty() && officer.department.signoff == SignoffPolicy::InApp {
            senders.push(Sender {
                officer,
                responsible,
                columns,
            });
        }
    }
    if senders.is_empty() {
        return Ok(0);
    }
    let mut writer = Writer::new(seed);
    let run = now.timestamp();
    {
        let mut stored = 0;
        for n in 0..count {
            if n > 0 && n % 1000 == 0 {
                progress(n);
            }
            let sender = &senders[writer.pick(senders.len())];
            let column = &sender.columns[writer.pick(sender.columns.len())];
            let item = writer.item(body_bytes);
            let at = now
                - Duration::days(writer.pick(365) as i64)
                - Duration::minutes(writer.pick(24 * 60) as i64);
            let request = SubmitItemRequest {
                attachments: Vec::new(),
                attestation: None,
                draft_key: format!("seed-{run}-{n}"),
                version: 1,
                column_id: column.id,
                title: item.title,
                body_html: item.body_html,
                commission_id: None,
            };
            let key = format!("seed-{run}-{n}");
            let outcome = crate::service::items::submit(
                store,
                NewItem {
                    seat: &sender.officer,
                    address: "seed",
                    idempotency_key: &key,
                    payload_sha256: &payload_digest(&request),
                    request: &request,
                    now: at,
                },
            )?;
            let SubmitOutcome::Created(created) = outcome else {
                continue;
            };
            stored += 1;
            let by = |seat| Actor {
                seat,
                address: "seed",
            };
            // Most are signed off at once; one in twenty still waits for it.
            if created.state == ItemState::AwaitingSignoff {
                if writer.pick(20) == 0 {
                    continue;
                }
                crate::service::items::review(
                    store,
                    created.id,
                    &Review::Approve,
                    &by(&sender.responsible),
                    at + Duration::hours(1),
                )?;
            }
            // Of what reaches the editors: most accepted, some returned or rejected, a tenth
            // still waiting (more of them among the recent ones).
            let decided = at + Duration::hours(3);
            let review = match writer.pick(20) {
                _ if decided > now => None,
                0 | 1 => None,
                2 | 3 => Some(Review::Return {
                    comment: "请补充具体数据和联系人。".into(),
                    quote: None,
                }),
                4 => Some(Review::Reject {
                    reason: "与栏目定位不符。".into(),
                }),
                _ => Some(Review::Accept {
                    published_url: format!(
                        "https://portal.demo-city.example/{}/{}.html",
                        sender.officer.department.id, created.id
                    ),
                    published_at: decided,
                }),
            };
            if let Some(review) = review {
                crate::service::items::review(store, created.id, &review, &by(&editor), decided)?;
            }
        }
        progress(count);
        Ok(stored)
    }
}

fn seat(store: &dyn Store, login: &str) -> Result<SeatView, DemoError> {
    store
        .seat_credentials(login)?
        .map(|c| c.seat)
        .ok_or_else(|| DemoError::MissingSeat(login.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::InboxFilter;

    #[test]
    fn seeded_items_reach_the_inbox_in_every_state_within_the_year() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("office.db")).unwrap();
        let now: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        demo::seed(&store, now).unwrap();
        let mut told = Vec::new();
        let stored = seed_items(&store, now, 1500, 2048, 9, |n| told.push(n)).unwrap();
        assert_eq!(stored, 1500);
        assert_eq!(told, [1000, 1500]);

        let counts = store.inbox_counts(&InboxFilter::default()).unwrap();
        let count_of = |state| {
            counts
                .iter()
                .find(|c| c.state == state)
                .map_or(0, |c| c.count)
        };
        for state in [
            ItemState::Delivered,
            ItemState::Accepted,
            ItemState::Returned,
            ItemState::Rejected,
        ] {
            assert!(count_of(state) > 20, "{state:?}: {counts:?}");
        }
        assert!(count_of(ItemState::Accepted) > count_of(ItemState::Delivered));
        // Those still awaiting their sign-off are not the editors' yet.
        let listed: u64 = counts.iter().map(|c| c.count).sum();
        assert!(listed < 1500 + 20, "{listed}");
        assert!(listed > 1300, "{listed}");

        let page = store
            .inbox(&InboxFilter {
                limit: 50,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.len(), 50);
        assert!(page.iter().all(|i| i.delivered_at <= now));
        assert!(
            page.iter()
                .all(|i| i.delivered_at > now - Duration::days(366))
        );
        assert!(page.iter().all(|i| !i.title.is_empty()));
    }
}
