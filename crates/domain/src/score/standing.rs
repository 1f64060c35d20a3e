//! A department's standing (its place and where its points came from) in one ranking period, as
//! the office sends it to the department's desks. A department sees its own standing only.

use serde::{Deserialize, Serialize};

use super::{Breakdown, RankPeriod, ScoreLine};

/// One department's standing in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct PeriodStanding {
    pub period: RankPeriod,
    /// Whether the period has ended: these numbers no longer change.
    pub closed: bool,
    /// Its place (equal totals share one); `None` when it is not ranked in the period.
    pub place: Option<u32>,
    /// How many departments are ranked.
    pub ranked: u32,
    pub total: i64,
    /// Where the points came from, one line per rule the scheme uses.
    pub lines: Vec<ScoreLine>,
}

impl PeriodStanding {
    /// The standing of a department with `breakdown` at `place` among `ranked`.
    pub fn of(
        period: RankPeriod,
        closed: bool,
        place: Option<u32>,
        ranked: u32,
        breakdown: Option<&Breakdown>,
    ) -> PeriodStanding {
        PeriodStanding {
            period,
            closed,
            place,
            ranked,
            total: breakdown.map_or(0, |b| b.total),
            lines: breakdown.map(|b| b.lines.clone()).unwrap_or_default(),
        }
    }
}
