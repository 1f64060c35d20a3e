//! Scores and ranking (评比): a scheme the administrator publishes, each version kept, turns a
//! department's adopted output and kept deadlines in a period into points, and the departments
//! are ranked by them. Scores come from results only (items accepted, commissions answered in
//! time, columns kept current), never from activity such as sign-ins, time online or clicks. A
//! period that has closed is scored by the version in force when it closed, so a later scheme
//! never changes it.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::beijing_midnight;

pub mod facts;
pub mod standing;

/// The largest number of points (either way) one rule may give.
pub const MAX_POINTS: i32 = 100;

/// What a scheme gives points for, each per occurrence in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ScoreRule {
    /// An item accepted into a second-level column.
    AcceptedItem,
    /// An item accepted into a first-level column (what the national check counts).
    AcceptedFirstLevel,
    /// A commissioned item answered by its deadline and accepted.
    CommissionInTime,
    /// A commissioned request the department did not answer by its deadline.
    CommissionMissed,
    /// One column overdue for one day.
    OverdueColumnDay,
    /// A week in which the office urged the department often enough to flag it.
    FlaggedWeek,
}

impl ScoreRule {
    pub const ALL: [ScoreRule; 6] = [
        ScoreRule::AcceptedItem,
        ScoreRule::AcceptedFirstLevel,
        ScoreRule::CommissionInTime,
        ScoreRule::CommissionMissed,
        ScoreRule::OverdueColumnDay,
        ScoreRule::FlaggedWeek,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScoreRule::AcceptedItem => "accepted_item",
            ScoreRule::AcceptedFirstLevel => "accepted_first_level",
            ScoreRule::CommissionInTime => "commission_in_time",
            ScoreRule::CommissionMissed => "commission_missed",
            ScoreRule::OverdueColumnDay => "overdue_column_day",
            ScoreRule::FlaggedWeek => "flagged_week",
        }
    }
}

/// A scoring scheme: the points each rule gives (0 for a rule it does not use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    pub accepted_item: i32,
    pub accepted_first_level: i32,
    pub commission_in_time: i32,
    pub commission_missed: i32,
    pub overdue_column_day: i32,
    pub flagged_week: i32,
    /// How many urges in one Beijing week flag the department for that week.
    #[serde(default = "default_urges_flagging_a_week")]
    pub urges_flagging_a_week: u32,
}

fn default_urges_flagging_a_week() -> u32 {
    crate::urge::DEFAULT_URGES_FLAGGING_A_WEEK
}

/// The most urges a week a scheme may ask for before it flags a department.
pub const MAX_URGES_FLAGGING_A_WEEK: u32 = 20;

impl Default for Scheme {
    /// Common municipal practice: 1 point an accepted item and 2 in a first-level column, 5 for
    /// a commissioned item in time, −10 for one missed, −1 an overdue column-day, −5 a flagged
    /// week.
    fn default() -> Self {
        Scheme {
            accepted_item: 1,
            accepted_first_level: 2,
            commission_in_time: 5,
            commission_missed: -10,
            overdue_column_day: -1,
            flagged_week: -5,
            urges_flagging_a_week: default_urges_flagging_a_week(),
        }
    }
}

/// Why a scheme is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SchemeProblem {
    #[error("a scheme gives points for at least one rule")]
    NoRules,
    #[error("{0:?} gives points outside −{MAX_POINTS}..{MAX_POINTS}")]
    OutOfRange(ScoreRule),
    #[error("a week is flagged after 1 to {MAX_URGES_FLAGGING_A_WEEK} urges")]
    FlagOutOfRange,
}

impl SchemeProblem {
    pub fn code(self) -> &'static str {
        match self {
            SchemeProblem::NoRules => "no_rules",
            SchemeProblem::OutOfRange(_) => "out_of_range",
            SchemeProblem::FlagOutOfRange => "flag_out_of_range",
        }
    }
}

impl Scheme {
    /// The points a rule gives.
    pub fn points(&self, rule: ScoreRule) -> i32 {
        match rule {
            ScoreRule::AcceptedItem => self.accepted_item,
            ScoreRule::AcceptedFirstLevel => self.accepted_first_level,
            ScoreRule::CommissionInTime => self.commission_in_time,
            ScoreRule::CommissionMissed => self.commission_missed,
            ScoreRule::OverdueColumnDay => self.overdue_column_day,
            ScoreRule::FlaggedWeek => self.flagged_week,
        }
    }

    /// The scheme, if it may be published: some rule gives points, none beyond the range.
    pub fn checked(self) -> Result<Scheme, SchemeProblem> {
        if let Some(rule) = ScoreRule::ALL
            .into_iter()
            .find(|r| self.points(*r).abs() > MAX_POINTS)
        {
            return Err(SchemeProblem::OutOfRange(rule));
        }
        if ScoreRule::ALL.into_iter().all(|r| self.points(r) == 0) {
            return Err(SchemeProblem::NoRules);
        }
        if !(1..=MAX_URGES_FLAGGING_A_WEEK).contains(&self.urges_flagging_a_week) {
            return Err(SchemeProblem::FlagOutOfRange);
        }
        Ok(self)
    }
}

/// A period the office ranks over, in Beijing dates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
#[ts(export)]
pub enum RankPeriod {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Year { year: i32 },
}

impl RankPeriod {
    /// Its first day, or `None` for a month or quarter that does not exist.
    pub fn first_day(self) -> Option<NaiveDate> {
        match self {
            RankPeriod::Month { year, month } => NaiveDate::from_ymd_opt(year, month, 1),
            RankPeriod::Quarter { year, quarter } if (1..=4).contains(&quarter) => {
                NaiveDate::from_ymd_opt(year, (quarter - 1) * 3 + 1, 1)
            }
            RankPeriod::Quarter { .. } => None,
            RankPeriod::Year { year } => NaiveDate::from_ymd_opt(year, 1, 1),
        }
    }

    /// The day after its last.
    pub fn end_day(self) -> Option<NaiveDate> {
        let months = match self {
            RankPeriod::Month { .. } => 1,
            RankPeriod::Quarter { .. } => 3,
            RankPeriod::Year { .. } => 12,
        };
        self.first_day()?.checked_add_months(Months::new(months))
    }

    /// The instants it covers, `[start, end)`.
    pub fn span(self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((
            beijing_midnight(self.first_day()?),
            beijing_midnight(self.end_day()?),
        ))
    }

    /// Whether it has ended by `now`: its score no longer changes.
    pub fn closed(self, now: DateTime<Utc>) -> bool {
        self.span().is_some_and(|(_, end)| end <= now)
    }

    /// Its name in addresses and files: `2026-11`, `2026-Q4`, `2026`.
    pub fn key(self) -> String {
        match self {
            RankPeriod::Month { year, month } => format!("{year:04}-{month:02}"),
            RankPeriod::Quarter { year, quarter } => format!("{year:04}-Q{quarter}"),
            RankPeriod::Year { year } => format!("{year:04}"),
        }
    }

    /// The period a [`key`](Self::key) names, if it names one that exists.
    pub fn parse(key: &str) -> Option<RankPeriod> {
        let year_of = |s: &str| {
            (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i32>().ok())
                .flatten()
        };
        let period = match key.split_once('-') {
            None => RankPeriod::Year {
                year: year_of(key)?,
            },
            Some((y, q)) if q.starts_with('Q') => RankPeriod::Quarter {
                year: year_of(y)?,
                quarter: q[1..].parse().ok().filter(|_| q.len() == 2)?,
            },
            Some((y, m)) => RankPeriod::Month {
                year: year_of(y)?,
                month: m.parse().ok().filter(|_| m.len() == 2)?,
            },
        };
        period.span().map(|_| period)
    }

    /// The period of the same kind just before this one.
    pub fn previous(self) -> RankPeriod {
        match self {
            RankPeriod::Month { year, month: 1 } => RankPeriod::Month {
                year: year - 1,
                month: 12,
            },
            RankPeriod::Month { year, month } => RankPeriod::Month {
                year,
                month: month - 1,
            },
            RankPeriod::Quarter { year, quarter: 1 } => RankPeriod::Quarter {
                year: year - 1,
                quarter: 4,
            },
            RankPeriod::Quarter { year, quarter } => RankPeriod::Quarter {
                year,
                quarter: quarter - 1,
            },
            RankPeriod::Year { year } => RankPeriod::Year { year: year - 1 },
        }
    }

    /// The period of the same kind just after this one.
    pub fn next(self) -> RankPeriod {
        match self {
            RankPeriod::Month { year, month: 12 } => RankPeriod::Month {
                year: year + 1,
                month: 1,
            },
            RankPeriod::Month { year, month } => RankPeriod::Month {
                year,
                month: month + 1,
            },
            RankPeriod::Quarter { year, quarter: 4 } => RankPeriod::Quarter {
                year: year + 1,
                quarter: 1,
            },
            RankPeriod::Quarter { year, quarter } => RankPeriod::Quarter {
                year,
                quarter: quarter + 1,
            },
            RankPeriod::Year { year } => RankPeriod::Year { year: year + 1 },
        }
    }

    /// The months it is made of, in order (a month of itself).
    pub fn months(self) -> Vec<RankPeriod> {
        let (Some(first), Some(end)) = (self.first_day(), self.end_day()) else {
            return Vec::new();
        };
        let mut months = Vec::new();
        let mut day = first;
        while day < end {
            months.push(RankPeriod::Month {
                year: day.year(),
                month: day.month(),
            });
            match day.checked_add_months(Months::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        months
    }

    /// The month, quarter and year containing a day.
    pub fn containing(d: NaiveDate) -> [RankPeriod; 3] {
        [
            RankPeriod::Month {
                year: d.year(),
                month: d.month(),
            },
            RankPeriod::Quarter {
                year: d.year(),
                quarter: d.month0() / 3 + 1,
            },
            RankPeriod::Year { year: d.year() },
        ]
    }
}

/// A published version of the scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeVersion {
    pub version: u32,
    pub published_at: DateTime<Utc>,
    pub scheme: Scheme,
}

/// The version a period is scored by: for a closed period, the latest published before it
/// ended; for one still open, the latest published by `now`. `None` before any was published
/// (the caller uses [`Scheme::default`]).
pub fn in_force(
    versions: &[SchemeVersion],
    period: RankPeriod,
    now: DateTime<Utc>,
) -> Option<SchemeVersion> {
    // A version published at a period's end instant belongs to the next period; one published
    // now is in force now.
    let in_time: &dyn Fn(&SchemeVersion) -> bool = match period.span() {
        Some((_, end)) if end <= now => &move |v| v.published_at < end,
        _ => &move |v| v.published_at <= now,
    };
    versions
        .iter()
        .filter(|v| in_time(v))
        .max_by_key(|v| (v.published_at, v.version))
        .copied()
}

/// What a department did in a period that counts: results and kept deadlines only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFacts {
    pub accepted_items: u32,
    pub accepted_first_level: u32,
    pub commissions_in_time: u32,
    pub commissions_missed: u32,
    pub overdue_column_days: u32,
    pub flagged_weeks: u32,
}

impl PeriodFacts {
    /// The facts of two periods together (a quarter of its months).
    pub fn plus(&self, other: &PeriodFacts) -> PeriodFacts {
        PeriodFacts {
            accepted_items: self.accepted_items + other.accepted_items,
            accepted_first_level: self.accepted_first_level + other.accepted_first_level,
            commissions_in_time: self.commissions_in_time + other.commissions_in_time,
            commissions_missed: self.commissions_missed + other.commissions_missed,
            overdue_column_days: self.overdue_column_days + other.overdue_column_days,
            flagged_weeks: self.flagged_weeks + other.flagged_weeks,
        }
    }

    pub fn count(&self, rule: ScoreRule) -> u32 {
        match rule {
            ScoreRule::AcceptedItem => self.accepted_items,
            ScoreRule::AcceptedFirstLevel => self.accepted_first_level,
            ScoreRule::CommissionInTime => self.commissions_in_time,
            ScoreRule::CommissionMissed => self.commissions_missed,
            ScoreRule::OverdueColumnDay => self.overdue_column_days,
            ScoreRule::FlaggedWeek => self.flagged_weeks,
        }
    }
}

/// One line of a department's breakdown: how many, at how many points each, and the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ScoreLine {
    pub rule: ScoreRule,
    pub count: u32,
    pub each: i32,
    pub points: i64,
}

/// Where a department's points came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub lines: Vec<ScoreLine>,
    pub total: i64,
}

/// The breakdown of a department's facts under a scheme (a rule giving no points is left out).
pub fn score(scheme: &Scheme, facts: &PeriodFacts) -> Breakdown {
    let lines: Vec<ScoreLine> = ScoreRule::ALL
        .into_iter()
        .filter(|r| scheme.points(*r) != 0)
        .map(|rule| {
            let (count, each) = (facts.count(rule), scheme.points(rule));
            ScoreLine {
                rule,
                count,
                each,
                points: i64::from(count) * i64::from(each),
            }
        })
        .collect();
    Breakdown {
        total: lines.iter().map(|l| l.points).sum(),
        lines,
    }
}

/// Standard competition ranking by total, highest first: equal totals share a place and the
/// next place skips (1, 2, 2, 4); equal totals keep the order given.
pub fn rank(totals: &[(i64, i64)]) -> Vec<(u32, i64, i64)> {
    let mut order: Vec<(i64, i64)> = totals.to_vec();
    order.sort_by_key(|&(_, total)| std::cmp::Reverse(total));
    let mut ranked = Vec::with_capacity(order.len());
    for (i, (department, total)) in order.iter().enumerate() {
        let place = match ranked.last() {
            Some(&(place, _, previous)) if previous == *total => place,
            _ => i as u32 + 1,
        };
        ranked.push((place, *department, *total));
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_default_scheme_follows_common_practice_and_scores_results_only() {
        let facts = PeriodFacts {
            accepted_items: 12,
            accepted_first_level: 3,
            commissions_in_time: 1,
            commissions_missed: 1,
            overdue_column_days: 4,
            flagged_weeks: 1,
        };
        let b = score(&Scheme::default(), &facts);
        assert_eq!(b.total, 12 + 6 + 5 - 10 - 4 - 5);
        let line = |r| b.lines.iter().find(|l| l.rule == r).unwrap().points;
        assert_eq!(line(ScoreRule::AcceptedFirstLevel), 6);
        assert_eq!(line(ScoreRule::CommissionMissed), -10);
        // Nothing in the facts measures activity: a department that did nothing scores 0.
        assert_eq!(score(&Scheme::default(), &PeriodFacts::default()).total, 0);
    }

    #[test]
    fn a_scheme_with_no_rules_or_points_out_of_range_is_refused() {
        let none = Scheme {
            accepted_item: 0,
            accepted_first_level: 0,
            commission_in_time: 0,
            commission_missed: 0,
            overdue_column_day: 0,
            flagged_week: 0,
            urges_flagging_a_week: 2,
        };
        assert_eq!(none.checked(), Err(SchemeProblem::NoRules));
        let wild = Scheme {
            commission_missed: -101,
            ..Scheme::default()
        };
        assert_eq!(
            wild.checked(),
            Err(SchemeProblem::OutOfRange(ScoreRule::CommissionMissed))
        );
        let never = Scheme {
            urges_flagging_a_week: 0,
            ..Scheme::default()
        };
        assert_eq!(never.checked(), Err(SchemeProblem::FlagOutOfRange));
        assert!(Scheme::default().checked().is_ok());
    }

    #[test]
    fn periods_end_at_beijing_midnight_across_a_month_end_and_a_quarter_end() {
        let march = RankPeriod::Month {
            year: 2026,
            month: 3,
        };
        let (start, end) = march.span().unwrap();
        assert_eq!(start, at("2026-03-01T00:00:00+08:00"));
        assert_eq!(end, at("2026-04-01T00:00:00+08:00"));
        assert!(!march.closed(at("2026-03-31T23:59:59+08:00")));
        assert!(march.closed(at("2026-04-01T00:00:00+08:00")));
        let q1 = RankPeriod::Quarter {
            year: 2026,
            quarter: 1,
        };
        assert_eq!(q1.span().unwrap().1, end, "the quarter ends with March");
        assert_eq!(
            RankPeriod::Quarter {
                year: 2026,
                quarter: 5
            }
            .span(),
            None
        );
        assert_eq!(
            RankPeriod::containing(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())[1],
            RankPeriod::Quarter {
                year: 2026,
                quarter: 4
            }
        );
    }

    #[test]
    fn a_period_is_named_by_a_key_that_reads_back_and_steps_across_year_ends() {
        for key in ["2026-11", "2026-Q4", "2026", "2025-01"] {
            assert_eq!(RankPeriod::parse(key).unwrap().key(), key);
        }
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-Q",
            "26",
            "2026-1",
            "2026-11-01",
            "",
            "abcd",
        ] {
            assert_eq!(RankPeriod::parse(bad), None, "{bad}");
        }
        let jan = RankPeriod::parse("2026-01").unwrap();
        assert_eq!(jan.previous().key(), "2025-12");
        assert_eq!(jan.previous().next(), jan);
        assert_eq!(
            RankPeriod::parse("2026-Q4").unwrap().next().key(),
            "2027-Q1"
        );
        let q4: Vec<String> = RankPeriod::parse("2026-Q4")
            .unwrap()
            .months()
            .into_iter()
            .map(|m| m.key())
            .collect();
        assert_eq!(q4, ["2026-10", "2026-11", "2026-12"]);
        assert_eq!(RankPeriod::parse("2026").unwrap().months().len(), 12);
    }

    #[test]
    fn a_closed_period_is_scored_by_the_version_in_force_when_it_closed() {
        let v = |version, published: &str, points| SchemeVersion {
            version,
            published_at: at(published),
            scheme: Scheme {
                accepted_item: points,
                ..Scheme::default()
            },
        };
        let versions = [
            v(1, "2026-01-05T10:00:00+08:00", 1),
            v(2, "2026-03-20T10:00:00+08:00", 2),
            v(3, "2026-04-02T10:00:00+08:00", 3),
        ];
        let march = RankPeriod::Month {
            year: 2026,
            month: 3,
        };
        let april = RankPeriod::Month {
            year: 2026,
            month: 4,
        };
        let now = at("2026-04-10T10:00:00+08:00");
        assert_eq!(in_force(&versions, march, now).unwrap().version, 2);
        assert_eq!(in_force(&versions, april, now).unwrap().version, 3);
        assert_eq!(
            in_force(
                &versions,
                RankPeriod::Month {
                    year: 2025,
                    month: 12
                },
                now
            ),
            None
        );
    }

    #[test]
    fn equal_totals_share_a_place_and_the_next_place_skips() {
        let ranked = rank(&[(1, 10), (2, 25), (3, 10), (4, -3)]);
        assert_eq!(ranked, vec![(1, 2, 25), (2, 1, 10), (2, 3, 10), (4, 4, -3)]);
        assert!(rank(&[]).is_empty());
    }

    fn schemes() -> impl Strategy<Value = Scheme> {
        let p = -MAX_POINTS..=MAX_POINTS;
        (p.clone(), p.clone(), p.clone(), p.clone(), p.clone(), p).prop_map(|(a, b, c, d, e, f)| {
            Scheme {
                accepted_item: a,
                accepted_first_level: b,
                commission_in_time: c,
                commission_missed: d,
                overdue_column_day: e,
                flagged_week: f,
                urges_flagging_a_week: 2,
            }
        })
    }

    fn facts() -> impl Strategy<Value = PeriodFacts> {
        (0u32..500, 0u32..200, 0u32..20, 0u32..20, 0u32..400, 0u32..5).prop_map(
            |(a, b, c, d, e, f)| PeriodFacts {
                accepted_items: a,
                accepted_first_level: b,
                commissions_in_time: c,
                commissions_missed: d,
                overdue_column_days: e,
                flagged_weeks: f,
            },
        )
    }

    proptest! {
        /// The score of a closed period never changes when a scheme is published after it closed.
        #[test]
        fn a_later_scheme_never_changes_a_closed_periods_score(
            first in schemes(), later in schemes(), f in facts(),
            month in 1u32..=12, published_after_days in 0i64..400, late_days in 1i64..400,
        ) {
            let period = RankPeriod::Month { year: 2026, month };
            let (start, end) = period.span().unwrap();
            let versions = [SchemeVersion { version: 1, published_at: start - chrono::Duration::days(1), scheme: first }];
            let now = end + chrono::Duration::days(late_days);
            let before = in_force(&versions, period, now).map(|v| score(&v.scheme, &f));
            let mut more = versions.to_vec();
            more.push(SchemeVersion {
                version: 2,
                published_at: end + chrono::Duration::days(published_after_days),
                scheme: later,
            });
            let after = in_force(&more, period, now + chrono::Duration::days(published_after_days)).map(|v| score(&v.scheme, &f));
            prop_assert_eq!(before, after);
        }

        /// A department's total is the sum of its lines, and more of a rewarded result never
        /// lowers it.
        #[test]
        fn the_total_is_its_lines_and_more_adopted_output_never_lowers_it(s in schemes(), f in facts(), extra in 1u32..50) {
            let b = score(&s, &f);
            prop_assert_eq!(b.total, b.lines.iter().map(|l| l.points).sum::<i64>());
            let more = PeriodFacts { accepted_items: f.accepted_items + extra, ..f };
            let after = score(&s, &more).total;
            if s.accepted_item >= 0 {
                prop_assert!(after >= b.total);
            }
        }
    }
}
