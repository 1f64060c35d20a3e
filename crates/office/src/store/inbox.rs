//! The editors' inbox as SQL, the same text for both stores (only the placeholders differ): which
//! items a filter lists, in which order, how a page of them is read, and how they are counted.
//!
//! An item that never left its department (awaiting its sign-off, or returned by it) has no
//! `waiting_since` and is never the editors' business. Only the conditions a filter sets are
//! written: a condition such as `(?1 IS NULL OR i.department_id = ?1)` would keep the database
//! from using an index, and every page would sort the whole table.
//!
//! Two facts keep a page quick over a million items:
//! - An item starts waiting when it is delivered or later (at its sign-off), never before, so a
//!   page delivered from a day on may also start its walk in waiting order at that day.
//! - The database keeps the counts (`inbox_totals`, `inbox_days`, kept by triggers), so counting
//!   the tabs reads a few rows, and tells which way a dated page is cheaper to read (see
//!   [`PagePlan`]).

use chrono::{DateTime, NaiveDate, Utc};
use liaison_domain::ItemState;
use liaison_domain::calendar::{beijing_date, beijing_midnight};
use liaison_domain::wire::StateCount;

use super::InboxFilter;

/// The columns of one inbox row, read by each store's row reader.
pub const INBOX_SELECT: &str =
    "SELECT i.id, i.receipt, d.id, d.name, d.signoff, c.id, c.name, i.holder_name, s.login,
            i.title, i.version, i.state, i.delivered_at, coalesce(i.waiting_since, i.delivered_at)
     FROM items i
     JOIN departments d ON d.id = i.department_id
     JOIN columns c ON c.id = i.column_id
     JOIN seats s ON s.id = i.seat_id";

/// How the stores write a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `?1`, `?2`…
    Sqlite,
    /// `$1`, `$2`…
    Postgres,
}

/// A value for a placeholder; each store binds it in its own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxValue {
    Id(i64),
    At(DateTime<Utc>),
    /// A Beijing date.
    Day(NaiveDate),
    Text(&'static str),
    Number(i64),
}

/// A statement and its values, in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSql {
    pub sql: String,
    pub values: Vec<InboxValue>,
}

/// How a page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePlan {
    /// Walk the items in waiting order (from the first day, if the filter has one), keeping those
    /// that match, until the page is full. Quick when the page fills early, which it does when the
    /// filter matches at least `offset + limit` items; otherwise the walk goes to the end of the
    /// index, past every later item.
    Walk,
    /// Gather every matching item of the dated range from the delivery index, without touching
    /// their rows, then sort them. Quick when few match; used only when fewer than `offset +
    /// limit` do, so it never sorts more than a page's depth.
    Range,
}

impl PagePlan {
    /// Whether the kept counts choose how this filter's page is read (a dated page whose counts
    /// are kept); if so, read them and give their [`matching`] to [`PagePlan::of`].
    pub fn asks_counts(filter: &InboxFilter) -> bool {
        filter.until.is_some() && counts_are_kept(filter)
    }

    /// The plan for a page, given how many items its filter matches if the kept counts tell
    /// (`None`: they cannot for this filter).
    pub fn of(filter: &InboxFilter, matching: Option<u64>) -> PagePlan {
        match (filter.until, matching) {
            (Some(_), Some(n)) if n < u64::from(filter.limit) + u64::from(filter.offset) => {
                PagePlan::Range
            }
            _ => PagePlan::Walk,
        }
    }
}

/// Where the counts of a filter come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// `inbox_totals`: no dates.
    Totals,
    /// `inbox_days`: dates on Beijing midnights, as the console and the API ask them.
    Days {
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
    },
    /// The items themselves: a bound between midnights, which only a caller of the store could ask.
    Items,
}

impl Counted {
    fn of(filter: &InboxFilter) -> Counted {
        let day = |t: DateTime<Utc>| {
            let d = beijing_date(t);
            (beijing_midnight(d) == t).then_some(d)
        };
        match (filter.from, filter.until) {
            (None, None) => Counted::Totals,
            (from, until) => match (from.map(day), until.map(day)) {
                (None | Some(Some(_)), None | Some(Some(_))) => Counted::Days {
                    from: from.and_then(day),
                    until: until.and_then(day),
                },
                _ => Counted::Items,
            },
        }
    }
}

/// Writes conditions with numbered placeholders.
struct Conditions {
    dialect: Dialect,
    text: Vec<String>,
    values: Vec<InboxValue>,
}

impl Conditions {
    fn new(dialect: Dialect, first: &str) -> Conditions {
        Conditions {
            dialect,
            text: vec![first.to_owned()],
            values: Vec::new(),
        }
    }

    fn placeholder(&mut self, value: InboxValue) -> String {
        self.values.push(value);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.values.len()),
            Dialect::Postgres => format!("${}", self.values.len()),
        }
    }

    fn add(&mut self, condition: &str, value: InboxValue) {
        let p = self.placeholder(value);
        self.text.push(format!("{condition} {p}"));
    }

    fn clause(&self) -> String {
        self.text.join(" AND ")
    }
}

/// The conditions on `items i` a filter sets: its department, column and dates, and its state if
/// `with_state`.
fn item_conditions(filter: &InboxFilter, dialect: Dialect, with_state: bool) -> Conditions {
    let mut c = Conditions::new(dialect, "i.waiting_since IS NOT NULL");
    if let Some(d) = filter.department_id {
        c.add("i.department_id =", InboxValue::Id(d));
    }
    if let Some(col) = filter.column_id {
        c.add("i.column_id =", InboxValue::Id(col));
    }
    if let Some(from) = filter.from {
        c.add("i.delivered_at >=", InboxValue::At(from));
    }
    if let Some(until) = filter.until {
        c.add("i.delivered_at <", InboxValue::At(until));
    }
    if let (true, Some(state)) = (with_state, filter.state) {
        c.add("i.state =", InboxValue::Text(state.as_str()));
    }
    c
}

/// Every state, as a condition the delivery index can range over state by state.
fn any_state() -> String {
    let states: Vec<String> = ItemState::ALL
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("i.state IN ({})", states.join(", "))
}

/// One page of the inbox, longest waiting first.
pub fn page_sql(filter: &InboxFilter, plan: PagePlan, dialect: Dialect) -> InboxSql {
    let mut c = item_conditions(filter, dialect, true);
    let sql = match plan {
        PagePlan::Walk => {
            if let Some(from) = filter.from {
                c.add("i.waiting_since >=", InboxValue::At(from));
            }
            let limit = c.placeholder(InboxValue::Number(i64::from(filter.limit)));
            let offset = c.placeholder(InboxValue::Number(i64::from(filter.offset)));
            format!(
                "{INBOX_SELECT} WHERE {}
                 ORDER BY i.waiting_since ASC, i.id ASC LIMIT {limit} OFFSET {offset}",
                c.clause()
            )
        }
        PagePlan::Range => {
            if filter.state.is_none() {
                c.text.push(any_state());
            }
            let limit = c.placeholder(InboxValue::Number(i64::from(filter.limit)));
            let offset = c.placeholder(InboxValue::Number(i64::from(filter.offset)));
            format!(
                "WITH r AS MATERIALIZED (SELECT i.id, i.waiting_since FROM items i WHERE {})
                 {INBOX_SELECT} JOIN r ON r.id = i.id
                 ORDER BY r.waiting_since ASC, r.id ASC LIMIT {limit} OFFSET {offset}",
                c.clause()
            )
        }
    };
    InboxSql {
        sql,
        values: c.values,
    }
}

/// How many items of each state match the filter (its state, limit and offset ignored): read
/// from the kept counts, or counted when the filter's dates fall between midnights. The answer's
/// rows are `(state, count)`, states with none left out, in no particular order.
pub fn counts_sql(filter: &InboxFilter, dialect: Dialect) -> InboxSql {
    let counted = Counted::of(filter);
    let (table, mut c) = match counted {
        Counted::Totals => ("inbox_totals", Conditions::new(dialect, "TRUE")),
        Counted::Days { .. } => ("inbox_days", Conditions::new(dialect, "TRUE")),
        Counted::Items => {
            let c = item_conditions(filter, dialect, false);
            return InboxSql {
                sql: format!(
                    "SELECT i.state, count(*) FROM items i WHERE {} GROUP BY i.state",
                    c.clause()
                ),
                values: c.values,
            };
        }
    };
    if let Some(d) = filter.department_id {
        c.add("department_id =", InboxValue::Id(d));
    }
    if let Some(col) = filter.column_id {
        c.add("column_id =", InboxValue::Id(col));
    }
    if let Counted::Days { from, until } = counted {
        if let Some(from) = from {
            c.add("day >=", InboxValue::Day(from));
        }
        if let Some(until) = until {
            c.add("day <", InboxValue::Day(until));
        }
    }
    InboxSql {
        sql: format!(
            "SELECT state, CAST(sum(n) AS bigint) FROM {table} WHERE {}
             GROUP BY state HAVING sum(n) > 0",
            c.clause()
        ),
        values: c.values,
    }
}

/// Whether the counts of a filter are kept (read from a few rows) rather than counted.
pub fn counts_are_kept(filter: &InboxFilter) -> bool {
    Counted::of(filter) != Counted::Items
}

/// The counts in the states' order.
pub fn in_state_order(mut counts: Vec<StateCount>) -> Vec<StateCount> {
    counts.sort_by_key(|c| ItemState::ALL.iter().position(|s| *s == c.state));
    counts
}

/// How many of the counted items a page's filter lists (its state, or every state).
pub fn matching(filter: &InboxFilter, counts: &[StateCount]) -> u64 {
    counts
        .iter()
        .filter(|c| filter.state.is_none_or(|s| s == c.state))
        .map(|c| c.count)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn june() -> InboxFilter {
        let day = |m| beijing_midnight(NaiveDate::from_ymd_opt(2026, m, 1).unwrap());
        InboxFilter {
            from: Some(day(6)),
            until: Some(day(7)),
            limit: 50,
            offset: 500,
            ..InboxFilter::default()
        }
    }

    #[test]
    fn dates_on_midnights_are_counted_from_the_kept_days_and_others_from_the_items() {
        let f = june();
        let sql = counts_sql(&f, Dialect::Sqlite);
        assert!(sql.sql.contains("FROM inbox_days"), "{}", sql.sql);
        let days = |m| InboxValue::Day(NaiveDate::from_ymd_opt(2026, m, 1).unwrap());
        assert_eq!(sql.values, vec![days(6), days(7)]);

        let undated = InboxFilter::default();
        assert!(
            counts_sql(&undated, Dialect::Postgres)
                .sql
                .contains("FROM inbox_totals")
        );

        let mut between = june();
        between.from = between.from.map(|t| t + chrono::Duration::hours(1));
        let sql = counts_sql(&between, Dialect::Postgres);
        assert!(sql.sql.contains("FROM items i"), "{}", sql.sql);
        assert!(!counts_are_kept(&between));
    }

    #[test]
    fn a_dated_page_is_gathered_only_when_fewer_items_match_than_its_depth() {
        let f = june();
        assert_eq!(PagePlan::of(&f, Some(549)), PagePlan::Range);
        assert_eq!(PagePlan::of(&f, Some(550)), PagePlan::Walk);
        assert_eq!(PagePlan::of(&f, None), PagePlan::Walk);
        let undated = InboxFilter {
            until: None,
            ..june()
        };
        assert_eq!(PagePlan::of(&undated, Some(0)), PagePlan::Walk);
    }

    #[test]
    fn a_walk_from_a_day_starts_in_waiting_order_at_that_day() {
        let sql = page_sql(&june(), PagePlan::Walk, Dialect::Postgres);
        assert!(sql.sql.contains("i.waiting_since >= $3"), "{}", sql.sql);
        assert!(sql.sql.contains("LIMIT $4 OFFSET $5"), "{}", sql.sql);
        assert_eq!(sql.values[2], InboxValue::At(june().from.unwrap()));
    }
}
