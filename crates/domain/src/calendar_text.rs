//! A year of the working calendar as an administrator types or pastes it: the dates of the State
//! Council's notice (放假 / 调休上班), one by one or as ranges, in the forms the notice and people
//! use: `2027-01-01`, `2027年1月1日`, `1月1日`, `2月15日至23日`, `2月15日—2月23日`, separated by
//! spaces, commas, 顿号, semicolons or lines. Text that is not a date (周五, 放假, 共9天) between
//! them is left alone.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

use crate::WorkCalendar;

/// Why a year's days are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarProblem {
    #[error("the year must lie between 2000 and 2100")]
    Year,
    #[error("{0} is not a date")]
    NotADate(String),
    #[error("{0} does not lie in the year published")]
    OtherYear(NaiveDate),
    #[error("{0} is not a Saturday or a Sunday, so it cannot be a weekend day worked")]
    NotAWeekend(NaiveDate),
    #[error("{0} is both a holiday and a working day")]
    Both(NaiveDate),
    #[error("a range runs backwards: {0}")]
    Backwards(String),
}

impl CalendarProblem {
    /// A stable name for the console's words.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarProblem::Year => "year",
            CalendarProblem::NotADate(_) => "not_a_date",
            CalendarProblem::OtherYear(_) => "other_year",
            CalendarProblem::NotAWeekend(_) => "not_a_weekend",
            CalendarProblem::Both(_) => "both",
            CalendarProblem::Backwards(_) => "backwards",
        }
    }

    /// The date or text the problem is about.
    pub fn subject(&self) -> String {
        match self {
            CalendarProblem::Year => String::new(),
            CalendarProblem::NotADate(s) | CalendarProblem::Backwards(s) => s.clone(),
            CalendarProblem::OtherYear(d)
            | CalendarProblem::NotAWeekend(d)
            | CalendarProblem::Both(d) => d.to_string(),
        }
    }
}

/// One date as written: year (if given), month, day.
type Written = (Option<i32>, Option<u32>, u32);

/// The dates `text` names, in `year` where it leaves the year out.
pub fn dates_in(text: &str, year: i32) -> Result<BTreeSet<NaiveDate>, CalendarProblem> {
    let mut dates = BTreeSet::new();
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            // Full-width digits as typed by Chinese input methods.
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut i = 0;
    let mut last: Option<NaiveDate> = None;
    let mut range_from: Option<NaiveDate> = None;
    // Inside （…）: remarks such as （农历腊月二十八、周日）, whose separators separate nothing.
    let mut remark = 0u32;
    while i < chars.len() {
        if let Some((written, next)) = date_at(&chars, i) {
            let raw: String = chars[i..next].iter().collect();
            let (y, m, d) = written;
            // 至23日: the month (and year) of the range's start.
            let month = m.or_else(|| range_from.map(|f| f.month()));
            let year = y.or_else(|| range_from.map(|f| f.year())).unwrap_or(year);
            let date = month
                .and_then(|m| NaiveDate::from_ymd_opt(year, m, d))
                .ok_or_else(|| CalendarProblem::NotADate(raw.clone()))?;
            if let Some(from) = range_from.take() {
                if date < from {
                    return Err(CalendarProblem::Backwards(format!("{from} – {date}")));
                }
                let mut day = from;
                while day <= date {
                    dates.insert(day);
                    day = day
                        .succ_opt()
                        .ok_or(CalendarProblem::NotADate(raw.clone()))?;
                }
            } else {
                dates.insert(date);
            }
            last = Some(date);
            i = next;
            continue;
        }
        let c = chars[i];
        match c {
            '（' | '(' => remark += 1,
            '）' | ')' => remark = remark.saturating_sub(1),
            _ => {}
        }
        if remark > 0 || matches!(c, '）' | ')') {
            i += 1;
            continue;
        }
        if matches!(c, '至' | '—' | '–' | '~' | '～') || (c == '-' && last.is_some()) {
            // A range starts at the date just read, if one was.
            if let Some(from) = last.take() {
                range_from = Some(from);
            }
        } else if !c.is_whitespace() && range_from.is_some() && !matches!(c, '-') {
            // Anything else between 至 and a date ends the would-be range.
            range_from = None;
        }
        if matches!(c, ',' | '，' | '、' | ';' | '；' | '\n' | '。') {
            last = None;
            range_from = None;
        }
        i += 1;
    }
    Ok(dates)
}

/// Reads digits from `i`: the number and where they end.
fn number_at(chars: &[char], i: usize) -> Option<(u32, usize)> {
    let mut j = i;
    let mut n: u32 = 0;
    while j < chars.len() && chars[j].is_ascii_digit() && j - i < 4 {
        n = n * 10 + chars[j].to_digit(10)?;
        j += 1;
    }
    (j > i).then_some((n, j))
}

/// A date starting at `i` (`2027-01-01`, `2027年1月1日`, `1月1日`, `23日`), and where it ends.
fn date_at(chars: &[char], i: usize) -> Option<(Written, usize)> {
    let (first, j) = number_at(chars, i)?;
    // Not in the middle of a longer number.
    if i > 0 && chars[i - 1].is_ascii_digit() {
        return None;
    }
    match chars.get(j) {
        Some('-') | Some('/') if j - i == 4 => {
            let (m, k) = number_at(chars, j + 1)?;
            if chars.get(k) != chars.get(j) {
                return None;
            }
            let (d, l) = number_at(chars, k + 1)?;
            Some(((Some(first as i32), Some(m), d), l))
        }
        Some('年') => {
            let (m, k) = number_at(chars, j + 1)?;
            (chars.get(k) == Some(&'月')).then_some(())?;
            let (d, l) = number_at(chars, k + 1)?;
            (chars.get(l) == Some(&'日')).then_some(())?;
            Some(((Some(first as i32), Some(m), d), l + 1))
        }
        Some('月') => {
            let (d, k) = number_at(chars, j + 1)?;
            (chars.get(k) == Some(&'日')).then_some(())?;
            Some(((None, Some(first), d), k + 1))
        }
        Some('日') => Some(((None, None, first), j + 1)),
        _ => None,
    }
}

/// One year of the calendar from what was typed: every day in the year, weekend days worked on
/// Saturdays and Sundays only, no day both.
pub fn year_of(
    year: i32,
    holidays: &str,
    working_weekends: &str,
) -> Result<WorkCalendar, CalendarProblem> {
    if !(2000..=2100).contains(&year) {
        return Err(CalendarProblem::Year);
    }
    let calendar = WorkCalendar {
        holidays: dates_in(holidays, year)?,
        working_weekends: dates_in(working_weekends, year)?,
    };
    check_year(year, &calendar)?;
    Ok(calendar)
}

/// The rules a published year keeps (the API's and the console's alike).
pub fn check_year(year: i32, calendar: &WorkCalendar) -> Result<(), CalendarProblem> {
    if !(2000..=2100).contains(&year) {
        return Err(CalendarProblem::Year);
    }
    for d in calendar.holidays.iter().chain(&calendar.working_weekends) {
        if d.year() != year {
            return Err(CalendarProblem::OtherYear(*d));
        }
    }
    for d in &calendar.working_weekends {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            return Err(CalendarProblem::NotAWeekend(*d));
        }
        if calendar.holidays.contains(d) {
            return Err(CalendarProblem::Both(*d));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn the_state_councils_notice_reads_as_its_dates() {
        // The 2026 notice's wording, pasted as it is.
        let notice = "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。\
                      二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。";
        let days = dates_in(notice, 2026).unwrap();
        assert!(days.contains(&d(1, 1)) && days.contains(&d(1, 3)));
        assert!(days.contains(&d(2, 15)) && days.contains(&d(2, 23)) && days.contains(&d(2, 19)));
        // 1月4日 is named too: the administrator pastes each list into its own field.
        assert!(days.contains(&d(1, 4)));
        assert_eq!(days.len(), 3 + 1 + 9);
    }

    #[test]
    fn lists_iso_dates_full_years_and_full_width_digits() {
        let days = dates_in(
            "2026-10-01，2026年10月2日、１０月３日\n10月4日—10月5日",
            2026,
        )
        .unwrap();
        let want: BTreeSet<_> = (1..=5).map(|n| d(10, n)).collect();
        assert_eq!(days, want);
        assert_eq!(dates_in("", 2026).unwrap(), BTreeSet::new());
    }

    #[test]
    fn impossible_dates_and_backward_ranges_are_refused() {
        assert_eq!(
            dates_in("2月30日", 2026),
            Err(CalendarProblem::NotADate("2月30日".into()))
        );
        assert!(matches!(
            dates_in("5月5日至5月1日", 2026),
            Err(CalendarProblem::Backwards(_))
        ));
    }

    #[test]
    fn a_year_keeps_its_rules() {
        let ok = year_of(2026, "10月1日至10月8日", "9月27日、10月10日").unwrap();
        assert_eq!(ok.holidays.len(), 8);
        assert_eq!(ok.working_weekends.len(), 2);
        assert_eq!(
            year_of(2026, "2027-01-01", ""),
            Err(CalendarProblem::OtherYear(
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            ))
        );
        assert_eq!(
            year_of(2026, "", "10月9日"),
            Err(CalendarProblem::NotAWeekend(d(10, 9)))
        );
        assert_eq!(
            year_of(2026, "10月10日", "10月10日"),
            Err(CalendarProblem::Both(d(10, 10)))
        );
        assert_eq!(year_of(1999, "", ""), Err(CalendarProblem::Year));
        // The demo's years keep them.
        let demo = WorkCalendar::china_2025_2026();
        for year in demo.years() {
            let days = WorkCalendar {
                holidays: demo
                    .holidays
                    .iter()
                    .filter(|d| d.year() == year)
                    .copied()
                    .collect(),
                working_weekends: demo
                    .working_weekends
                    .iter()
                    .filter(|d| d.year() == year)
                    .copied()
                    .collect(),
            };
            assert_eq!(check_year(year, &days), Ok(()), "{year}");
        }
    }
}
