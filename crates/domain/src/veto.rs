//! The national single-veto check for government websites (国办秘函〔2019〕19号), as it applies
//! to the portal's columns: four thresholds, each with the columns behind it and how close the
//! portal is. Computed from the same duty standings the boards show, with the time passed in.

use chrono::{DateTime, Days, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::beijing_date;
use crate::column::{ColumnLevel, ColumnView, DutyRule, GapUnit, Period};
use crate::duty::{DutyState, DutyStatus};

/// One of the four thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VetoRule {
    /// First-level columns not updated for too long: news and 动态 after 2 weeks, notices and
    /// policy documents after 6 months.
    StaleFirstLevel,
    /// Columns that should have been updated and were not (overdue by their own rule).
    Overdue,
    /// Columns with nothing in them: no update ever.
    Empty,
    /// The home page not updated for 2 weeks.
    StaleHomePage,
}

impl VetoRule {
    pub const ALL: [VetoRule; 4] = [
        VetoRule::StaleFirstLevel,
        VetoRule::Overdue,
        VetoRule::Empty,
        VetoRule::StaleHomePage,
    ];

    /// The threshold: 5, 10 and 5 columns; for the home page, 14 days without an update
    /// (crossed after them).
    pub fn limit(self) -> u32 {
        match self {
            VetoRule::StaleFirstLevel => 5,
            VetoRule::Overdue => 10,
            VetoRule::Empty => 5,
            VetoRule::StaleHomePage => 14,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VetoRule::StaleFirstLevel => "stale_first_level",
            VetoRule::Overdue => "overdue",
            VetoRule::Empty => "empty",
            VetoRule::StaleHomePage => "stale_home_page",
        }
    }
}

/// One threshold at one instant: how far the portal has come toward it, and the columns behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VetoCheck {
    pub rule: VetoRule,
    /// Columns counting toward it; for the home page, the days it has gone without an update.
    pub count: u32,
    pub limit: u32,
    pub crossed: bool,
    /// The columns behind it (their ids, in the order given); for the home page, its columns.
    pub columns: Vec<i64>,
}

impl VetoCheck {
    /// How close the portal is, in percent of the threshold (capped at 100).
    pub fn percent(&self) -> u32 {
        (u64::from(self.count) * 100 / u64::from(self.limit.max(1))).min(100) as u32
    }
}

/// How long a first-level column may go without an update before the national check counts it:
/// two weeks for a column kept at least fortnightly (news, 动态, the home page), six months for
/// one kept at least half-yearly (notices, policy documents); `None` for a column whose own rule
/// asks less often, which this threshold does not count.
pub fn stale_after(rule: DutyRule) -> Option<StaleAfter> {
    let fortnightly = Some(StaleAfter::Weeks(2));
    let half_yearly = Some(StaleAfter::Months(6));
    match rule {
        DutyRule::MaxGap { unit, amount } => match unit {
            GapUnit::WorkingDays | GapUnit::Days if amount <= 14 => fortnightly,
            GapUnit::Weeks if amount <= 2 => fortnightly,
            GapUnit::WorkingDays | GapUnit::Days | GapUnit::Weeks => half_yearly,
            GapUnit::Months if amount <= 6 => half_yearly,
            GapUnit::Months | GapUnit::Years => None,
        },
        DutyRule::MinCount { period, .. } => match period {
            Period::Week => fortnightly,
            Period::Month | Period::Quarter => half_yearly,
            Period::Year => None,
        },
    }
}

/// A span of the national rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleAfter {
    Weeks(u32),
    Months(u32),
}

/// Whether a column last updated at `last` (or, never updated, whose duty began at `since`)
/// has gone longer than `span` without an update by `now`, counted in Beijing calendar days.
fn stale(
    span: StaleAfter,
    last: Option<DateTime<Utc>>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let from = beijing_date(last.unwrap_or(since));
    let limit = match span {
        StaleAfter::Weeks(w) => from + Days::new(7 * u64::from(w)),
        StaleAfter::Months(m) => from + Months::new(m),
    };
    beijing_date(now) > limit
}

/// A column as the check sees it: what it is, when its duty began and its standing now.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'a> {
    pub column: &'a ColumnView,
    pub since: DateTime<Utc>,
    pub status: &'a DutyStatus,
}

/// The four checks over the portal's live columns at `now`. A home page is a column kept by the
/// standard home-page rule; a portal with none has nothing behind that threshold.
pub fn check(columns: &[Watched<'_>], now: DateTime<Utc>) -> Vec<VetoCheck> {
    let ids = |keep: &dyn Fn(&Watched<'_>) -> bool| -> Vec<i64> {
        columns
            .iter()
            .filter(|w| keep(w))
            .map(|w| w.column.id)
            .collect()
    };
    let stale_first_level = ids(&|w| {
        w.column.level == ColumnLevel::First
            && stale_after(w.column.duty)
                .is_some_and(|span| stale(span, w.status.last_update, w.since, now))
    });
    let overdue = ids(&|w| w.status.state == DutyState::Overdue);
    let empty = ids(&|w| w.status.last_update.is_none());
    let home_pages: Vec<&Watched<'_>> = columns
        .iter()
        .filter(|w| w.column.duty == DutyRule::HOME_PAGE)
        .collect();
    // The home page counts as updated when any of its columns is; a portal without one has
    // nothing behind this threshold.
    let home_since = home_pages
        .iter()
        .filter_map(|w| w.status.last_update)
        .max()
        .or_else(|| home_pages.iter().map(|w| w.since).min());
    let home_days = home_since.map_or(0, |from| {
        (beijing_date(now) - beijing_date(from)).num_days().max(0) as u32
    });
    let counted = |rule: VetoRule, columns: Vec<i64>| VetoCheck {
        rule,
        count: columns.len() as u32,
        limit: rule.limit(),
        crossed: columns.len() as u64 >= u64::from(rule.limit()),
        columns,
    };
    vec![
        counted(VetoRule::StaleFirstLevel, stale_first_level),
        counted(VetoRule::Overdue, overdue),
        counted(VetoRule::Empty, empty),
        VetoCheck {
            rule: VetoRule::StaleHomePage,
            count: home_days,
            limit: VetoRule::StaleHomePage.limit(),
            crossed: home_since.is_some() && home_days > VetoRule::StaleHomePage.limit(),
            columns: home_pages.iter().map(|w| w.column.id).collect(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WorkCalendar;
    use crate::column::FeedMethod;
    use crate::duty::duty_status;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn column(id: i64, duty: DutyRule, level: ColumnLevel) -> ColumnView {
        ColumnView {
            id,
            department_id: 1,
            name: format!("栏目{id}"),
            path: format!("栏目/{id}"),
            feed: FeedMethod::Submission,
            duty,
            level,
        }
    }

    /// The checks for columns each last updated at the given instant (or never), duty since
    /// 2026-01-01, at `now`.
    fn checks(columns: &[(ColumnView, Option<&str>)], now: &str) -> Vec<VetoCheck> {
        let since = at("2026-01-01T00:00:00+08:00");
        let now = at(now);
        let calendar = WorkCalendar::china_2025_2026();
        let statuses: Vec<DutyStatus> = columns
            .iter()
            .map(|(c, last)| {
                let updates: Vec<DateTime<Utc>> = last.iter().map(|t| at(t)).collect();
                duty_status(c.duty, &updates, since, now, &calendar)
            })
            .collect();
        let watched: Vec<Watched<'_>> = columns
            .iter()
            .zip(&statuses)
            .map(|((column, _), status)| Watched {
                column,
                since,
                status,
            })
            .collect();
        check(&watched, now)
    }

    fn of(checks: &[VetoCheck], rule: VetoRule) -> &VetoCheck {
        checks.iter().find(|c| c.rule == rule).unwrap()
    }

    #[test]
    fn news_counts_after_two_weeks_and_notices_after_six_months_on_first_level_columns_only() {
        let mut columns = Vec::new();
        // Five first-level news columns, last updated 1 November: 15 days by 16 November.
        for id in 1..=5 {
            columns.push((
                column(id, DutyRule::NEWS, ColumnLevel::First),
                Some("2026-11-01T10:00:00+08:00"),
            ));
        }
        // A second-level one as stale does not count; nor a first-level notices column updated
        // in June (not yet six months).
        columns.push((
            column(6, DutyRule::NEWS, ColumnLevel::Second),
            Some("2026-11-01T10:00:00+08:00"),
        ));
        columns.push((
            column(7, DutyRule::NOTICES, ColumnLevel::First),
            Some("2026-06-01T10:00:00+08:00"),
        ));
        let on_the_15th = checks(&columns, "2026-11-15T12:00:00+08:00");
        let c = of(&on_the_15th, VetoRule::StaleFirstLevel);
        assert_eq!(
            (c.count, c.crossed),
            (0, false),
            "14 days is not yet over two weeks"
        );
        let on_the_16th = checks(&columns, "2026-11-16T12:00:00+08:00");
        let c = of(&on_the_16th, VetoRule::StaleFirstLevel);
        assert_eq!(c.columns, vec![1, 2, 3, 4, 5]);
        assert!(c.crossed);
        assert_eq!(c.percent(), 100);
        // Past six months the notices column counts too (2 December is after 1 December).
        let december = checks(&columns, "2026-12-02T12:00:00+08:00");
        assert!(
            of(&december, VetoRule::StaleFirstLevel)
                .columns
                .contains(&7)
        );
    }

    #[test]
    fn overdue_and_empty_columns_count_toward_their_own_thresholds() {
        let mut columns: Vec<(ColumnView, Option<&str>)> = (1..=9)
            .map(|id| {
                (
                    column(id, DutyRule::MONTHLY, ColumnLevel::Second),
                    Some("2026-09-01T10:00:00+08:00"),
                )
            })
            .collect();
        for id in 10..=13 {
            columns.push((column(id, DutyRule::PERSONNEL, ColumnLevel::Second), None));
        }
        let now = "2026-11-20T12:00:00+08:00";
        let c = checks(&columns, now);
        let overdue = of(&c, VetoRule::Overdue);
        assert_eq!(
            (overdue.count, overdue.limit, overdue.crossed),
            (9, 10, false)
        );
        assert_eq!(overdue.percent(), 90);
        let empty = of(&c, VetoRule::Empty);
        assert_eq!((empty.count, empty.crossed), (4, false));
        // One more of each crosses both.
        columns.push((column(14, DutyRule::MONTHLY, ColumnLevel::Second), None));
        let c = checks(&columns, now);
        assert!(of(&c, VetoRule::Overdue).crossed);
        assert!(of(&c, VetoRule::Empty).crossed);
        assert!(of(&c, VetoRule::Empty).columns.contains(&14));
    }

    #[test]
    fn the_home_page_is_late_after_two_weeks_without_any_of_its_columns_updated() {
        let columns = [
            (
                column(1, DutyRule::HOME_PAGE, ColumnLevel::First),
                Some("2026-11-01T10:00:00+08:00"),
            ),
            (
                column(2, DutyRule::HOME_PAGE, ColumnLevel::First),
                Some("2026-10-01T10:00:00+08:00"),
            ),
        ];
        let c = checks(&columns, "2026-11-15T12:00:00+08:00");
        let home = of(&c, VetoRule::StaleHomePage);
        assert_eq!((home.count, home.crossed), (14, false));
        assert_eq!(home.columns, vec![1, 2]);
        let c = checks(&columns, "2026-11-16T12:00:00+08:00");
        assert!(of(&c, VetoRule::StaleHomePage).crossed);
        // A portal with no home-page column has nothing behind that threshold.
        let none = checks(
            &[(column(3, DutyRule::NEWS, ColumnLevel::First), None)],
            "2026-11-16T12:00:00+08:00",
        );
        let home = of(&none, VetoRule::StaleHomePage);
        assert!(!home.crossed && home.columns.is_empty());
    }

    #[test]
    fn which_rules_the_national_check_counts_and_after_how_long() {
        assert_eq!(stale_after(DutyRule::NEWS), Some(StaleAfter::Weeks(2)));
        assert_eq!(stale_after(DutyRule::HOME_PAGE), Some(StaleAfter::Weeks(2)));
        assert_eq!(stale_after(DutyRule::NOTICES), Some(StaleAfter::Months(6)));
        assert_eq!(stale_after(DutyRule::MONTHLY), Some(StaleAfter::Months(6)));
        assert_eq!(stale_after(DutyRule::PERSONNEL), None);
        let weekly = DutyRule::MinCount {
            count: 1,
            period: Period::Week,
        };
        assert_eq!(stale_after(weekly), Some(StaleAfter::Weeks(2)));
    }
}
