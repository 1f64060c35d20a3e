//! The audit log's hash chain: each entry's hash covers its fields and the hash before it, so an
//! entry edited, removed or inserted afterwards breaks every hash that follows.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub at: DateTime<Utc>,
    /// The acting seat's login, or `-`.
    pub actor: String,
    /// What happened, e.g. `handover.approved`.
    pub action: String,
    /// What it happened to, e.g. `seat:jyj.officer`.
    pub subject: String,
    pub detail: String,
    /// The client address.
    pub address: String,
}

impl Record {
    pub fn new(
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
        address: &str,
    ) -> Record {
        Record {
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.into(),
            detail: detail.into(),
            address: address.to_owned(),
        }
    }
}

/// The chained hash of `record` after `prev`: SHA-256 over the previous hash and each field,
/// every one prefixed with its length so no two different entries hash alike.
pub fn chain_hash(prev: &str, seq: i64, record: &Record) -> String {
    let mut h = Sha256::new();
    let at = record
        .at
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for field in [
        prev,
        &seq.to_string(),
        &at,
        &record.actor,
        &record.action,
        &record.subject,
        &record.detail,
        &record.address,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} does not follow entry {prev_seq} (an entry was removed or inserted)")]
    Gap { seq: i64, prev_seq: i64 },
    #[error("entry {seq} was changed: its hash does not match its contents")]
    Altered { seq: i64 },
    #[error("entry {seq} does not name the hash of the entry before it")]
    Unlinked { seq: i64 },
}

/// Checks entries read in `seq` order: `(seq, prev_hash, hash, record)`. The number checked.
pub fn verify<'a>(
    entries: impl IntoIterator<Item = (i64, &'a str, &'a str, &'a Record)>,
) -> Result<u64, ChainBreak> {
    let (mut prev_seq, mut prev_hash) = (0i64, GENESIS.to_owned());
    let mut n = 0;
    for (seq, stored_prev, hash, record) in entries {
        if seq != prev_seq + 1 {
            return Err(ChainBreak::Gap { seq, prev_seq });
        }
        if stored_prev != prev_hash {
            return Err(ChainBreak::Unlinked { seq });
        }
        if chain_hash(stored_prev, seq, record) != hash {
            return Err(ChainBreak::Altered { seq });
        }
        prev_seq = seq;
        prev_hash = hash.to_owned();
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<(i64, String, String, Record)> {
        let t0 = DateTime::from_timestamp(1_790_000_000, 0).unwrap();
        let mut prev = GENESIS.to_owned();
        (1..=n as i64)
            .map(|seq| {
                let r = Record::new(
                    t0,
                    "bjb.admin",
                    "handover.approved",
                    format!("seat:{seq}"),
                    "",
                    "127.0.0.1",
                );
                let hash = chain_hash(&prev, seq, &r);
                let row = (seq, prev.clone(), hash.clone(), r);
                prev = hash;
                row
            })
            .collect()
    }

    fn check(rows: &[(i64, String, String, Record)]) -> Result<u64, ChainBreak> {
        verify(
            rows.iter()
                .map(|(s, p, h, r)| (*s, p.as_str(), h.as_str(), r)),
        )
    }

    #[test]
    fn an_intact_chain_verifies_and_any_edit_breaks_it() {
        let rows = chain(5);
        assert_eq!(check(&rows), Ok(5));
        let mut edited = rows.clone();
        edited[2].3.detail = "改过".into();
        assert_eq!(check(&edited), Err(ChainBreak::Altered { seq: 3 }));
        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(
            check(&removed),
            Err(ChainBreak::Gap {
                seq: 3,
                prev_seq: 1
            })
        );
        // Rehashing the edited entry does not help: the next one names the old hash.
        let mut rehashed = rows.clone();
        rehashed[2].3.actor = "someone".into();
        rehashed[2].2 = chain_hash(&rehashed[2].1, 3, &rehashed[2].3);
        assert_eq!(check(&rehashed), Err(ChainBreak::Unlinked { seq: 4 }));
    }
}
