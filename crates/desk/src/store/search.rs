//! Search over the drafts: the trigram index brought up to date from the drafts saved since, and
//! the lookup with its marked passages.

use liaison_domain::preflight;
use rusqlite::{Row, TransactionBehavior, params};

use super::LocalStore;
use crate::DeskError;
use crate::view::{SearchHit, SnippetPart};

impl LocalStore {
    /// Brings the search index up to date: every draft saved since the last search is indexed
    /// again, oldest save first, in one transaction. Returns how many were indexed.
    ///
    /// The index can be rebuilt from the drafts at any time, so it is written with
    /// `synchronous=NORMAL`; the stale marks go back with it if the transaction is lost.
    pub fn index_for_search(&self) -> Result<usize, DeskError> {
        // The usual case, checked without touching the connection's settings or a transaction.
        let stale: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM drafts WHERE search_stale = 1)",
            [],
            |r| r.get(0),
        )?;
        if !stale {
            return Ok(0);
        }
        self.relaxed(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stale: Vec<(String, String, String, Option<i64>)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, title, body_html, search_rowid FROM drafts
                     WHERE search_stale = 1 ORDER BY updated_at, id",
                )?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()?
            };
            for (id, title, body_html, old) in &stale {
                if let Some(old) = old {
                    tx.execute("DELETE FROM draft_search WHERE rowid = ?1", [old])?;
                }
                tx.execute(
                    "INSERT INTO draft_search (draft_id, title, body) VALUES (?1, ?2, ?3)",
                    params![id, title, preflight::plain_text(body_html)],
                )?;
                tx.execute(
                    "UPDATE drafts SET search_stale = 0, search_rowid = ?1 WHERE id = ?2",
                    params![tx.last_insert_rowid(), id],
                )?;
            }
            tx.commit()?;
            Ok(stale.len())
        })
    }

    /// Drafts whose title or text holds `term`, most recently saved first, at most `limit`: the
    /// page comes from the index alone (the window has each draft's state and time in its list).
    /// Terms of three characters or more go through the trigram index; shorter ones are looked
    /// up character by character in the indexed text (slower, but a two-character word is common
    /// in Chinese).
    pub fn search(&self, term: &str, limit: u32) -> Result<Vec<SearchHit>, DeskError> {
        let term = term.trim();
        if term.is_empty() {
            return Ok(Vec::new());
        }
        self.index_for_search()?;
        let conn = self.conn();
        let long = term.chars().count() >= 3;
        let sql = if long {
            "SELECT draft_id, title, snippet(draft_search, -1, char(2), char(3), '…', 24)
             FROM draft_search WHERE draft_search MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
        } else {
            // snippet() needs a MATCH: the passage is cut around the first occurrence instead.
            "SELECT draft_id, title, substr(body, max(1, instr(body, ?3) - 12), 40)
             FROM draft_search
             WHERE title LIKE ?1 ESCAPE '\\' OR body LIKE ?1 ESCAPE '\\'
             ORDER BY rowid DESC LIMIT ?2"
        };
        let pattern = if long {
            format!("\"{}\"", term.replace('"', "\"\""))
        } else {
            let escaped = term
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let row = |r: &Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        };
        let rows: Vec<_> = if long {
            stmt.query_map(params![pattern, limit], row)?
                .collect::<Result<_, _>>()?
        } else {
            stmt.query_map(params![pattern, limit, term], row)?
                .collect::<Result<_, _>>()?
        };
        let mut hits = Vec::new();
        for row in rows {
            let (id, title, snippet) = row;
            let snippet = if long {
                SnippetPart::split(&snippet)
            } else {
                SnippetPart::mark(&snippet, term)
            };
            hits.push(SearchHit { id, title, snippet });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn hit_text(hit: &SearchHit) -> (String, String) {
        let all: String = hit.snippet.iter().map(|p| p.text.as_str()).collect();
        let marked: String = hit
            .snippet
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        (all, marked)
    }

    #[test]
    fn search_finds_a_word_inside_a_sentence_newest_save_first_and_follows_edits() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        for (id, title, body) in [
            (
                "a",
                "防汛通知",
                "<p>各街道要做好<b>垃圾分类</b>宣传工作。</p>",
            ),
            ("b", "工作简报", "<p>本月推进垃圾分类进小区。</p>"),
            ("c", "招生公告", "<p>义务教育阶段招生入学。</p>"),
        ] {
            store.create_draft(id, None, Utc::now()).unwrap();
            store.save_draft(id, None, title, body, Utc::now()).unwrap();
        }
        let ids = |hits: Vec<SearchHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["b", "a"]);

        // The match is marked in the passage; tags are not part of it.
        let hits = store.search("垃圾分类", 50).unwrap();
        let (all, marked) = hit_text(&hits[1]);
        assert_eq!(marked, "垃圾分类");
        assert!(all.contains("各街道要做好垃圾分类宣传工作"), "{all}");
        assert!(!all.contains('<'), "{all}");

        // Saving again moves a draft to the top; an edit that drops the word drops the hit.
        store
            .save_draft(
                "a",
                None,
                "防汛通知",
                "<p>垃圾分类，再次强调。</p>",
                Utc::now(),
            )
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["a", "b"]);
        store
            .save_draft("b", None, "工作简报", "<p>本月无新情况。</p>", Utc::now())
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["a"]);
        // Titles count; the limit is kept.
        assert_eq!(ids(store.search("招生公告", 50).unwrap()), ["c"]);
        store.create_draft("d", None, Utc::now()).unwrap();
        store
            .save_draft("d", None, "垃圾分类简报", "<p>无</p>", Utc::now())
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 1).unwrap()), ["d"]);
    }

    #[test]
    fn short_terms_and_odd_characters_are_searched_literally() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("a", None, Utc::now()).unwrap();
        store
            .save_draft(
                "a",
                None,
                "通知",
                "<p>完成率 100% 的单位_名单，见\"附件\"。</p>",
                Utc::now(),
            )
            .unwrap();
        store.create_draft("b", None, Utc::now()).unwrap();
        store
            .save_draft("b", None, "简报", "<p>完成率 10 的单位。</p>", Utc::now())
            .unwrap();
        let ids = |term: &str| {
            store
                .search(term, 50)
                .unwrap()
                .into_iter()
                .map(|h| h.id)
                .collect::<Vec<_>>()
        };
        // One and two characters go around the trigram index, and are still marked.
        assert_eq!(ids("通知"), ["a"]);
        let hits = store.search("单位", 50).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hit_text(&hits[0]).1, "单位");
        // LIKE's wildcards and the query syntax's quotes are plain characters.
        assert_eq!(ids("%"), ["a"]);
        assert_eq!(ids("_"), ["a"]);
        assert_eq!(ids("0% 的"), ["a"]);
        assert_eq!(ids("\"附件\""), ["a"]);
        assert_eq!(ids("   "), Vec::<String>::new());
        // Wiping the seat's work empties the index too.
        store.wipe().unwrap();
        assert_eq!(ids("通知"), Vec::<String>::new());
    }

    #[test]
    fn a_save_only_marks_the_draft_stale_and_the_next_search_indexes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("a", None, Utc::now()).unwrap();
        assert_eq!(store.index_for_search().unwrap(), 1);
        assert_eq!(store.index_for_search().unwrap(), 0);
        store
            .save_draft("a", None, "通知", "<p>一</p>", Utc::now())
            .unwrap();
        store
            .save_draft("a", None, "通知", "<p>二</p>", Utc::now())
            .unwrap();
        assert_eq!(store.index_for_search().unwrap(), 1);
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM draft_search", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "the old row went when the draft was indexed again");
    }
}
