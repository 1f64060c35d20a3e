//! Columns (栏目) of the portal, how each is fed, and the duty rule its department must keep.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How a column gets its content (保障方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FeedMethod {
    /// 信息报送: the department submits items.
    Submission,
    /// 网上抓取: the office scrapes the department's own site.
    Scraping,
    /// 网站链接: the column links to the department's site.
    Link,
    /// 栏目共建: the column is co-edited.
    CoEditing,
}

impl FeedMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedMethod::Submission => "submission",
            FeedMethod::Scraping => "scraping",
            FeedMethod::Link => "link",
            FeedMethod::CoEditing => "co_editing",
        }
    }

    pub fn parse(s: &str) -> Option<FeedMethod> {
        [
            FeedMethod::Submission,
            FeedMethod::Scraping,
            FeedMethod::Link,
            FeedMethod::CoEditing,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }

    /// Whether officers send items into a column fed this way.
    pub fn accepts_items(self) -> bool {
        matches!(self, FeedMethod::Submission | FeedMethod::CoEditing)
    }

    /// Whether the office records updates of a column fed this way by hand. A column fed by
    /// items is kept current by the items the office accepts, and by nothing else; only what
    /// changes outside Liaison (a scraped or linked site) is recorded.
    pub fn takes_recorded_updates(self) -> bool {
        !self.accepts_items()
    }
}

/// Where a column sits in the portal's tree (栏目级别). First-level columns are what the
/// national single-veto rule for government websites counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ColumnLevel {
    /// 一级栏目.
    First,
    /// 二级栏目 (and deeper).
    #[default]
    Second,
}

impl ColumnLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnLevel::First => "first",
            ColumnLevel::Second => "second",
        }
    }

    pub fn parse(s: &str) -> Option<ColumnLevel> {
        [ColumnLevel::First, ColumnLevel::Second]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// Unit of a maximum gap between accepted updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GapUnit {
    WorkingDays,
    Days,
    Weeks,
    Months,
    Years,
}

/// Period over which a minimum count of accepted items is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

/// What a column's department must keep up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum DutyRule {
    /// At most `amount` units between two accepted updates (e.g. news: 1 working day).
    MaxGap { amount: u32, unit: GapUnit },
    /// At least `count` accepted items in every period (e.g. 4 a month).
    MinCount { count: u32, period: Period },
}

impl DutyRule {
    /// A rule is meaningful only with a positive amount or count.
    pub fn is_valid(&self) -> bool {
        match *self {
            DutyRule::MaxGap { amount, .. } => amount > 0,
            DutyRule::MinCount { count, .. } => count > 0,
        }
    }

    /// News and updates columns (动态、要闻): every working day, stricter than the national 2 weeks.
    pub const NEWS: DutyRule = DutyRule::MaxGap {
        amount: 1,
        unit: GapUnit::WorkingDays,
    };
    /// Home-page columns: weekly.
    pub const HOME_PAGE: DutyRule = DutyRule::MaxGap {
        amount: 1,
        unit: GapUnit::Weeks,
    };
    /// Other columns: monthly.
    pub const MONTHLY: DutyRule = DutyRule::MaxGap {
        amount: 1,
        unit: GapUnit::Months,
    };
    /// First-level notices and policy documents (通知公告、政策文件): 6 months.
    pub const NOTICES: DutyRule = DutyRule::MaxGap {
        amount: 6,
        unit: GapUnit::Months,
    };
    /// Personnel and planning columns (人事、规划计划): 1 year.
    pub const PERSONNEL: DutyRule = DutyRule::MaxGap {
        amount: 1,
        unit: GapUnit::Years,
    };
}

/// A column as the desk and the console see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ColumnView {
    pub id: i64,
    /// The department that guarantees the column (栏目内容保障部门).
    pub department_id: i64,
    pub name: String,
    /// Where the column sits on the portal, e.g. "政务公开/通知公告".
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    /// 一级 or 二级: first-level columns count for the national single-veto rule.
    #[serde(default)]
    pub level: ColumnLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_kept_current_either_by_items_or_by_recorded_updates_never_both() {
        for (feed, items) in [
            (FeedMethod::Submission, true),
            (FeedMethod::CoEditing, true),
            (FeedMethod::Scraping, false),
            (FeedMethod::Link, false),
        ] {
            assert_eq!(feed.accepts_items(), items, "{feed:?}");
            assert_eq!(feed.takes_recorded_updates(), !items, "{feed:?}");
        }
    }

    #[test]
    fn duty_rule_wire_form_is_tagged() {
        let json = serde_json::to_value(DutyRule::NEWS).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "max_gap", "amount": 1, "unit": "working_days"})
        );
        let back: DutyRule = serde_json::from_value(
            serde_json::json!({"kind": "min_count", "count": 4, "period": "month"}),
        )
        .unwrap();
        assert_eq!(
            back,
            DutyRule::MinCount {
                count: 4,
                period: Period::Month
            }
        );
    }

    #[test]
    fn zero_rules_are_invalid() {
        assert!(
            !DutyRule::MaxGap {
                amount: 0,
                unit: GapUnit::Days
            }
            .is_valid()
        );
        assert!(
            !DutyRule::MinCount {
                count: 0,
                period: Period::Week
            }
            .is_valid()
        );
        assert!(DutyRule::NOTICES.is_valid());
    }

    #[test]
    fn feed_methods_round_trip() {
        for f in [
            FeedMethod::Submission,
            FeedMethod::Scraping,
            FeedMethod::Link,
            FeedMethod::CoEditing,
        ] {
            assert_eq!(FeedMethod::parse(f.as_str()), Some(f));
        }
        assert!(FeedMethod::Submission.accepts_items());
        assert!(!FeedMethod::Link.accepts_items());
    }
}
