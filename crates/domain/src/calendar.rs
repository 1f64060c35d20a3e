//! Working days as the government keeps them: Monday to Friday, minus public holidays, plus the
//! weekend days worked instead (调休上班). The office publishes the calendar year by year; the
//! desk keeps a copy. Dates are Beijing dates: that is where the departments work.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Beijing time (UTC+8, no daylight saving).
pub const BEIJING: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// The Beijing date of an instant.
pub fn beijing_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&BEIJING).date_naive()
}

/// The instant a Beijing date begins.
pub fn beijing_midnight(d: NaiveDate) -> DateTime<Utc> {
    BEIJING
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The instant a Beijing date ends (the next date's midnight).
pub fn end_of(d: NaiveDate) -> DateTime<Utc> {
    beijing_midnight(d.succ_opt().unwrap_or(d))
}

/// The Beijing date a deadline falls on: `due_at` is the end of that day (the next midnight).
pub fn last_day(due_at: DateTime<Utc>) -> NaiveDate {
    beijing_date(due_at - chrono::Duration::seconds(1))
}

/// The longest run of days off the calendar allows when looking for the next working day; a
/// calendar with more is malformed, and the search stops there rather than loop.
const LONGEST_BREAK_DAYS: u32 = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct WorkCalendar {
    /// Days off on what would be working days (public holidays and the days off of 调休).
    #[ts(type = "Array<string>")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub holidays: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays that are working days (调休上班).
    #[ts(type = "Array<string>")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub working_weekends: BTreeSet<NaiveDate>,
}

impl WorkCalendar {
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.working_weekends.contains(&d) {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The `n`-th working day after `d` (not counting `d`); `n = 0` is `d` itself.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        for _ in 0..n {
            let mut steps = 0;
            loop {
                day = day.succ_opt().unwrap_or(day);
                steps += 1;
                if self.is_working_day(day) || steps > LONGEST_BREAK_DAYS {
                    break;
                }
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = day.succ_opt().unwrap_or(to);
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }

    /// What this calendar says of one year only.
    pub fn of_year(&self, year: i32) -> WorkCalendar {
        let keep = |days: &BTreeSet<NaiveDate>| -> BTreeSet<NaiveDate> {
            days.iter().copied().filter(|d| d.year() == year).collect()
        };
        WorkCalendar {
            holidays: keep(&self.holidays),
            working_weekends: keep(&self.working_weekends),
        }
    }

    /// The years this calendar says anything about.
    pub fn years(&self) -> BTreeSet<i32> {
        self.holidays
            .iter()
            .chain(&self.working_weekends)
            .map(|d| d.year())
            .collect()
    }

    /// The State Council's arrangements for 2025 (国办发明电〔2024〕12号) and 2026 (announced
    /// 2025-11-04), as the demo office publishes them.
    pub fn china_2025_2026() -> WorkCalendar {
        /// Year, month, day.
        type Ymd = (i32, u32, u32);
        fn days(ranges: &[(Ymd, Ymd)]) -> BTreeSet<NaiveDate> {
            let mut set = BTreeSet::new();
            for &((y1, m1, d1), (y2, m2, d2)) in ranges {
                let (Some(mut d), Some(last)) = (
                    NaiveDate::from_ymd_opt(y1, m1, d1),
                    NaiveDate::from_ymd_opt(y2, m2, d2),
                ) else {
                    continue;
                };
                while d <= last {
                    set.insert(d);
                    d = d
                        .checked_add_days(Days::new(1))
                        .unwrap_or(last.succ_opt().unwrap_or(last));
                }
            }
            set
        }
        let single = |y, m, d| ((y, m, d), (y, m, d));
        WorkCalendar {
            holidays: days(&[
                // 2025
                single(2025, 1, 1),
                ((2025, 1, 28), (2025, 2, 4)),
                ((2025, 4, 4), (2025, 4, 6)),
                ((2025, 5, 1), (2025, 5, 5)),
                ((2025, 5, 31), (2025, 6, 2)),
                ((2025, 10, 1), (2025, 10, 8)),
                // 2026
                ((2026, 1, 1), (2026, 1, 3)),
                ((2026, 2, 15), (2026, 2, 23)),
                ((2026, 4, 4), (2026, 4, 6)),
                ((2026, 5, 1), (2026, 5, 5)),
                ((2026, 6, 19), (2026, 6, 21)),
                ((2026, 9, 25), (2026, 9, 27)),
                ((2026, 10, 1), (2026, 10, 7)),
            ]),
            working_weekends: days(&[
                single(2025, 1, 26),
                single(2025, 2, 8),
                single(2025, 4, 27),
                single(2025, 9, 28),
                single(2025, 10, 11),
                single(2026, 1, 4),
                single(2026, 2, 14),
                single(2026, 2, 28),
                single(2026, 5, 9),
                single(2026, 9, 20),
                single(2026, 10, 10),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn holidays_and_adjusted_weekends_as_announced() {
        let cal = WorkCalendar::china_2025_2026();
        assert!(!cal.is_working_day(d(2026, 2, 16)), "春节");
        assert!(
            cal.is_working_day(d(2026, 2, 14)),
            "a Saturday worked before 春节"
        );
        assert!(
            cal.is_working_day(d(2026, 2, 28)),
            "a Saturday worked after 春节"
        );
        assert!(
            !cal.is_working_day(d(2026, 2, 21)),
            "a Saturday inside 春节"
        );
        assert!(!cal.is_working_day(d(2026, 10, 5)), "国庆");
        assert!(cal.is_working_day(d(2026, 10, 10)));
        assert!(cal.is_working_day(d(2026, 11, 27)), "an ordinary Friday");
        assert!(!cal.is_working_day(d(2026, 11, 28)), "an ordinary Saturday");
        assert!(
            cal.is_working_day(d(2025, 1, 26)),
            "2025: Sunday worked before 春节"
        );
        assert!(
            !cal.is_working_day(d(2025, 10, 8)),
            "2025: 国庆 and 中秋 together"
        );
        assert_eq!(cal.years(), [2025, 2026].into_iter().collect());
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cal = WorkCalendar::china_2025_2026();
        // Friday 2026-11-27 + 1 working day = Monday 2026-11-30.
        assert_eq!(cal.add_working_days(d(2026, 11, 27), 1), d(2026, 11, 30));
        // The last working day before 国庆 2026 is Wednesday 09-30; the next is Thursday 10-08.
        assert_eq!(cal.add_working_days(d(2026, 9, 30), 1), d(2026, 10, 8));
        // Friday 02-13 before 春节: Saturday 02-14 is worked.
        assert_eq!(cal.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 14));
        assert_eq!(cal.add_working_days(d(2026, 2, 14), 1), d(2026, 2, 24));
        assert_eq!(cal.working_days_between(d(2026, 9, 30), d(2026, 10, 8)), 1);
        assert_eq!(
            cal.working_days_between(d(2026, 11, 27), d(2026, 11, 27)),
            0
        );
    }

    #[test]
    fn beijing_days_begin_at_16_utc() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(beijing_date(t), d(2026, 11, 27));
        assert_eq!(
            beijing_midnight(d(2026, 11, 27)).to_rfc3339(),
            "2026-11-26T16:00:00+00:00"
        );
        assert_eq!(end_of(d(2026, 11, 27)), beijing_midnight(d(2026, 11, 28)));
        assert_eq!(last_day(end_of(d(2026, 11, 27))), d(2026, 11, 27));
    }
}
