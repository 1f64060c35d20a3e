//! What the store's tests share: a review that returns an item, and the day they send on.

use liaison_domain::ItemState;
use liaison_domain::wire::ChangeKind;

pub(super) fn returned(draft_key: &str) -> ChangeKind {
    ChangeKind::ItemReviewed {
        item_id: 1,
        draft_key: draft_key.to_owned(),
        version: 1,
        receipt: "LS-20261127-000001".into(),
        state: ItemState::Returned,
        published_url: None,
        review_comment: Some("请补充".into()),
        by: Some("钱晓东".into()),
    }
}

pub(super) fn today() -> chrono::NaiveDate {
    "2026-11-27".parse().unwrap()
}
