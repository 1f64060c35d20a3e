//! Scores and ranking (评比): the administrator publishes scoring schemes (each version kept),
//! and the office ranks the live departments by month, quarter and year.
//!
//! A department's facts for a month come from `domain::score::facts` over its records. A month
//! that has closed is *taken*: its facts are kept as they stood, at the first ranking that reads
//! it and before any change to the organisation ([`take_closed_months`]), so moving a column or
//! retiring a department later never rewrites it. A quarter or a year adds its months' facts and
//! is scored by the scheme version in force when it closed (`domain::score::in_force`), so a
//! scheme published later never changes it either. A department retired before a month was taken
//! is not in that month.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use liaison_domain::duty::UPDATES_LOOKBACK_DAYS;
use liaison_domain::score::facts::{Kept, Records, facts};
use liaison_domain::score::standing::PeriodStanding;
use liaison_domain::score::{
    Breakdown, PeriodFacts, RankPeriod, Scheme, SchemeVersion, in_force, rank, score,
};
use liaison_domain::{DepartmentView, Role, WorkCalendar};

use crate::audit::Record;
use crate::store::{Actor, MonthFacts, Store, StoreError};

/// How many closed months back [`take_closed_months`] makes sure are taken.
pub const MONTHS_KEPT_BEFORE_CHANGES: u32 = 24;

/// One department's line of a ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankRow {
    /// Its place: equal totals share one.
    pub place: u32,
    pub department_id: i64,
    pub department_name: String,
    pub facts: PeriodFacts,
    pub breakdown: Breakdown,
}

/// The departments of a period in rank order, with the scheme they were scored by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    pub period: RankPeriod,
    /// Whether the period has ended: its scores no longer change.
    pub closed: bool,
    /// The published version in force, or `None` for the default scheme.
    pub version: Option<SchemeVersion>,
    pub scheme: Scheme,
    pub rows: Vec<RankRow>,
}

impl Ranking {
    /// A department's row, if it is ranked.
    pub fn row(&self, department_id: i64) -> Option<&RankRow> {
        self.rows.iter().find(|r| r.department_id == department_id)
    }
}

/// Every published version, oldest first, with who published it.
pub fn schemes(store: &dyn Store) -> Result<Vec<(SchemeVersion, String)>, StoreError> {
    store.score_schemes()
}

/// The scheme in force for `period` at `now` (the default before any is published).
fn scheme_for(
    versions: &[SchemeVersion],
    period: RankPeriod,
    now: DateTime<Utc>,
) -> (Option<SchemeVersion>, Scheme) {
    let version = in_force(versions, period, now);
    (version, version.map(|v| v.scheme).unwrap_or_default())
}

/// Publishes `scheme` as a new version, as the administrator; it applies to every period that
/// has not closed by `now`.
pub fn publish(
    store: &dyn Store,
    scheme: Scheme,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<SchemeVersion, StoreError> {
    if by.seat.role != Role::Admin {
        return Err(StoreError::Forbidden("the administrator only"));
    }
    let scheme = scheme.checked()?;
    // The months that closed under the old scheme keep the flags they were counted with.
    take_closed_months(store, now)?;
    let mut published = None;
    store.scoring(&mut |tx| {
        let version = tx.insert_scheme(&scheme, now, by.seat.id, &by.seat.holder_name)?;
        tx.append_audit(&Record::new(
            now,
            &by.seat.login,
            "scores.scheme_published",
            format!("scheme:{version}"),
            serde_json::to_string(&scheme).unwrap_or_default(),
            by.address,
        ))?;
        published = Some(SchemeVersion {
            version,
            published_at: now,
            scheme,
        });
        Ok(())
    })?;
    published.ok_or_else(|| StoreError::Backend("the scheme was not published".into()))
}

/// A department's facts in one month, counted at `now` from its records.
fn count_month(
    store: &dyn Store,
    department_id: i64,
    month: RankPeriod,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    scheme: &Scheme,
) -> Result<PeriodFacts, StoreError> {
    let Some((start, end)) = month.span() else {
        return Ok(PeriodFacts::default());
    };
    let records = store.score_records(department_id, start, end)?;
    let inputs = store.duty_inputs(department_id, start - Duration::days(UPDATES_LOOKBACK_DAYS))?;
    let columns: Vec<Kept<'_>> = inputs
        .iter()
        .map(|i| Kept {
            rule: i.column.duty,
            since: i.since,
            updates: &i.updates,
        })
        .collect();
    Ok(facts(
        &Records {
            accepted: &records.accepted,
            asked: &records.asked,
            columns: &columns,
            urges: &records.urges,
        },
        month,
        now,
        calendar,
        scheme.urges_flagging_a_week,
    ))
}

/// Each live department's facts in `month` at `now`.
fn count_departments(
    store: &dyn Store,
    departments: &[DepartmentView],
    month: RankPeriod,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    versions: &[SchemeVersion],
) -> Result<Vec<MonthFacts>, StoreError> {
    let (_, scheme) = scheme_for(versions, month, now);
    departments
        .iter()
        .map(|d| {
            Ok(MonthFacts {
                department_id: d.id,
                department_name: d.name.clone(),
                facts: count_month(store, d.id, month, now, calendar, &scheme)?,
            })
        })
        .collect()
}

/// The facts of a month: as taken if it was; taken now if it has closed; counted if it is open.
fn month_facts(
    store: &dyn Store,
    month: RankPeriod,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    versions: &[SchemeVersion],
) -> Result<Vec<MonthFacts>, StoreError> {
    let RankPeriod::Month { year, month: m } = month else {
        return Ok(Vec::new());
    };
    if let Some(kept) = store.month_facts(year, m)? {
        return Ok(kept);
    }
    let counted = count_departments(store, &store.departments()?, month, now, calendar, versions)?;
    if !month.closed(now) {
        return Ok(counted);
    }
    store.scoring(&mut |tx| {
        // Another request may have taken it meanwhile: the first one taken stands.
        if !tx.month_taken(year, m)? {
            tx.insert_month(year, m, now, &counted)?;
        }
        Ok(())
    })?;
    Ok(store.month_facts(year, m)?.unwrap_or(counted))
}

/// Takes every closed month of the last [`MONTHS_KEPT_BEFORE_CHANGES`] not yet taken, so that a
/// change to the organisation or the scheme made now cannot reach them. Returns how many it took.
pub fn take_closed_months(store: &dyn Store, now: DateTime<Utc>) -> Result<u32, StoreError> {
    let today = liaison_domain::calendar::beijing_date(now);
    let mut month = RankPeriod::containing(today)[0].previous();
    let mut taken = 0;
    let mut pending = Vec::new();
    for _ in 0..MONTHS_KEPT_BEFORE_CHANGES {
        if let RankPeriod::Month { year, month: m } = month
            && store.month_facts(year, m)?.is_none()
        {
            pending.push(month);
        }
        month = month.previous();
    }
    if pending.is_empty() {
        return Ok(0);
    }
    let calendar = store.calendar()?;
    let versions: Vec<SchemeVersion> = store.score_schemes()?.into_iter().map(|(v, _)| v).collect();
    for month in pending {
        month_facts(store, month, now, &calendar, &versions)?;
        taken += 1;
    }
    Ok(taken)
}

/// The ranking of `period` at `now`: its months' facts added per department (a department in
/// any of them is ranked), scored by the version in force, highest total first.
pub fn ranking(
    store: &dyn Store,
    period: RankPeriod,
    now: DateTime<Utc>,
) -> Result<Ranking, StoreError> {
    ranking_with(store, period, now, &mut BTreeMap::new())
}

/// [`ranking`], with the months already read (several periods share their months).
fn ranking_with(
    store: &dyn Store,
    period: RankPeriod,
    now: DateTime<Utc>,
    months: &mut BTreeMap<RankPeriod, Vec<MonthFacts>>,
) -> Result<Ranking, StoreError> {
    let calendar = store.calendar()?;
    let versions: Vec<SchemeVersion> = store.score_schemes()?.into_iter().map(|(v, _)| v).collect();
    let mut summed: BTreeMap<i64, (String, PeriodFacts)> = BTreeMap::new();
    for month in period.months() {
        // A month that has not begun has nothing to count.
        if month.span().is_none_or(|(start, _)| start > now) {
            continue;
        }
        let facts = match months.entry(month) {
            std::collections::btree_map::Entry::Occupied(kept) => kept.into_mut(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(month_facts(store, month, now, &calendar, &versions)?)
            }
        };
        for f in facts.iter().cloned() {
            let entry = summed
                .entry(f.department_id)
                .or_insert_with(|| (f.department_name.clone(), PeriodFacts::default()));
            // The name of the latest month it is in.
            entry.0 = f.department_name;
            entry.1 = entry.1.plus(&f.facts);
        }
    }
    let (version, scheme) = scheme_for(&versions, period, now);
    let totals: Vec<(i64, i64)> = summed
        .iter()
        .map(|(id, (_, f))| (*id, score(&scheme, f).total))
        .collect();
    let rows = rank(&totals)
        .into_iter()
        .filter_map(|(place, id, _)| {
            let (name, f) = summed.get(&id)?;
            Some(RankRow {
                place,
                department_id: id,
                department_name: name.clone(),
                facts: *f,
                breakdown: score(&scheme, f),
            })
        })
        .collect();
    Ok(Ranking {
        period,
        closed: period.closed(now),
        version,
        scheme,
        rows,
    })
}

/// The periods a department's standing is shown for at `now`: the month before, this month,
/// this quarter and this year.
pub fn standing_periods(now: DateTime<Utc>) -> [RankPeriod; 4] {
    let today = liaison_domain::calendar::beijing_date(now);
    let [month, quarter, year] = RankPeriod::containing(today);
    [month.previous(), month, quarter, year]
}

/// A department's own standing in each of [`standing_periods`] at `now`.
pub fn standing(
    store: &dyn Store,
    department_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PeriodStanding>, StoreError> {
    let mut months = BTreeMap::new();
    standing_periods(now)
        .into_iter()
        .map(|period| {
            let ranking = ranking_with(store, period, now, &mut months)?;
            let row = ranking.row(department_id);
            Ok(PeriodStanding::of(
                period,
                ranking.closed,
                row.map(|r| r.place),
                ranking.rows.len() as u32,
                row.map(|r| &r.breakdown),
            ))
        })
        .collect()
}

/// The scheme in force at `now` (the default before any is published).
pub fn scheme_now(store: &dyn Store, now: DateTime<Utc>) -> Result<Scheme, StoreError> {
    let versions: Vec<SchemeVersion> = store.score_schemes()?.into_iter().map(|(v, _)| v).collect();
    let today = liaison_domain::calendar::beijing_date(now);
    Ok(scheme_for(&versions, RankPeriod::containing(today)[0], now).1)
}
