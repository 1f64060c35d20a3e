//! A city's organisation as an editorial office keeps it in a spreadsheet: one row per column
//! (部门, 栏目, 栏目路径, 保障方式, 更新要求, 栏目级别, 信息员, 联系电话, 责任人), read into checked rows
//! ([`rows`]), and compared with the office as it is into the changes that make the office match
//! the sheet ([`plan`]). The office applies a plan in one transaction; nothing here touches a
//! store.
//!
//! Every refusal is a [`RowError`] with the row number a spreadsheet user sees and a reason in
//! Chinese naming the field and its value, and every bad row is reported, not only the first.

mod cell;
mod plan;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use cell::{
    duty_label, feed_label, has_line_break, level_label, normalise, normalise_path, parse_duty,
    parse_feed, parse_level,
};
pub use plan::{
    OrgChange, OrgColumn, OrgDepartment, OrgPlan, OrgSeat, Organisation, PlanSummary, new_login,
    plan,
};

use crate::column::{ColumnLevel, DutyRule, FeedMethod};
use crate::text::{Lines, is_clean};

/// One row of the sheet as its cells read (raw text, not yet normalised).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRow {
    /// The row number a spreadsheet user sees: 1-based, the header counted as its own row.
    pub row: u32,
    pub department: String,
    pub column: String,
    pub path: String,
    pub feed: String,
    pub duty: String,
    pub level: String,
    pub officer: String,
    pub phone: String,
    pub responsible: String,
}

/// A row refused, with why (in Chinese, naming the field and the bad value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: u32,
    pub reason: String,
}

impl RowError {
    fn new(row: u32, reason: impl std::fmt::Display) -> RowError {
        RowError {
            row,
            reason: format!("第{row}行：{reason}"),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// A person named in the sheet for a department's seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub phone: Option<String>,
}

/// A checked row: one column of one department, with the department's people (filled from the
/// department's other rows where this one leaves them blank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRow {
    pub row: u32,
    pub department: String,
    pub column: String,
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    pub level: ColumnLevel,
    /// 信息员, with the 联系电话.
    pub officer: Option<Person>,
    /// 责任人.
    pub responsible: Option<Person>,
}

/// Longest name or path a cell may hold, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// The words the console lists when a 保障方式 is not understood.
const FEED_CHOICES: &str = "信息报送、网上抓取、网站链接 或 栏目共建";
/// The forms the console lists when an 更新要求 is not understood.
const DUTY_CHOICES: &str = "每个工作日、每天、每周、每两周、每月、每季度、每半年、每年、每N天、每N个月 或 每月不少于N条 这样的写法";

/// Checks every row of a sheet. Empty rows are skipped. Either every row is good and all come
/// back checked, or every problem of every row comes back, in row order.
pub fn rows(raw: &[SheetRow]) -> Result<Vec<OrgRow>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut good = Vec::new();
    for raw in raw {
        if let Some(row) = check_row(raw, &mut errors) {
            good.push(row);
        }
    }
    check_unique_paths(&good, &mut errors);
    fill_people(&mut good, &mut errors);
    if errors.is_empty() {
        Ok(good)
    } else {
        errors.sort_by_key(|e| e.row);
        Err(errors)
    }
}

/// One row's own checks; `None` if it is empty or bad (its problems are in `errors`).
fn check_row(raw: &SheetRow, errors: &mut Vec<RowError>) -> Option<OrgRow> {
    let n = raw.row;
    let fields = [
        ("部门", &raw.department, true),
        ("栏目", &raw.column, true),
        ("栏目路径", &raw.path, true),
        ("保障方式", &raw.feed, true),
        ("更新要求", &raw.duty, true),
        ("栏目级别", &raw.level, false),
        ("信息员", &raw.officer, false),
        ("联系电话", &raw.phone, false),
        ("责任人", &raw.responsible, false),
    ];
    let values: Vec<String> = fields.iter().map(|(_, v, _)| normalise(v)).collect();
    if values.iter().all(String::is_empty) {
        return None;
    }
    let before = errors.len();
    for ((field, _, required), value) in fields.iter().zip(&values) {
        if value.is_empty() {
            if *required {
                errors.push(RowError::new(n, format!("缺少{field}")));
            }
        } else if has_line_break(value) {
            errors.push(RowError::new(
                n,
                format!("{field}「{}」含有换行，应写在一行内", one_line(value)),
            ));
        } else if !is_clean(value, Lines::One) {
            errors.push(RowError::new(
                n,
                format!("{field}「{}」含有不可见的控制字符", one_line(value)),
            ));
        } else if value.chars().count() > MAX_FIELD_CHARS {
            errors.push(RowError::new(
                n,
                format!("{field}过长（不超过{MAX_FIELD_CHARS}个字）"),
            ));
        }
    }
    if errors.len() > before {
        return None;
    }
    let [
        department,
        column,
        path,
        feed,
        duty,
        level,
        officer,
        phone,
        responsible,
    ] = <[String; 9]>::try_from(values).ok()?;
    let path = normalise_path(&path);
    if path.split('/').any(str::is_empty) {
        errors.push(RowError::new(n, format!("栏目路径「{path}」含有空的一级")));
    }
    let feed_parsed = parse_feed(&feed);
    if feed_parsed.is_none() {
        errors.push(RowError::new(
            n,
            format!("保障方式「{feed}」无法识别，应为 {FEED_CHOICES} 之一"),
        ));
    }
    let duty_parsed = parse_duty(&duty);
    if duty_parsed.is_none() {
        errors.push(RowError::new(
            n,
            format!("更新要求「{duty}」无法识别，应为 {DUTY_CHOICES}（次数须大于0）"),
        ));
    }
    let level_parsed = parse_level(&level);
    if level_parsed.is_none() {
        errors.push(RowError::new(
            n,
            format!("栏目级别「{level}」无法识别，应为 一级 或 二级"),
        ));
    }
    if !phone.is_empty() && !is_phone(&phone) {
        errors.push(RowError::new(
            n,
            format!("联系电话「{phone}」格式不对，应为7至20位数字（可含 - + 空格 括号）"),
        ));
    }
    if errors.len() > before {
        return None;
    }
    // A phone without a name is kept (with an empty name) until the department's other rows say
    // whose it is.
    let person = |name: String, phone: Option<String>| {
        (!name.is_empty() || phone.is_some()).then_some(Person { name, phone })
    };
    Some(OrgRow {
        row: n,
        department,
        column,
        path,
        feed: feed_parsed?,
        duty: duty_parsed?,
        level: level_parsed?,
        officer: person(officer, (!phone.is_empty()).then_some(phone)),
        responsible: person(responsible, None),
    })
}

/// A phone number as people write it: digits, `-`, spaces, `+` and parentheses (ASCII or
/// full-width), with 7 to 20 digits.
pub fn is_phone(text: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || " -+()（）－—".contains(c);
    let digits = text.chars().filter(char::is_ascii_digit).count();
    text.chars().all(allowed) && (7..=20).contains(&digits)
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], "⏎")
}

fn check_unique_paths(rows: &[OrgRow], errors: &mut Vec<RowError>) {
    let mut first: HashMap<&str, u32> = HashMap::new();
    for row in rows {
        match first.get(row.path.as_str()) {
            Some(earlier) => errors.push(RowError::new(
                row.row,
                format!("栏目路径「{}」与第{earlier}行重复", row.path),
            )),
            None => {
                first.insert(&row.path, row.row);
            }
        }
    }
}

/// A department's people are the same on each of its rows (blank repeats are fine); each row
/// gets them, so any row tells who the department's officer and responsible person are.
fn fill_people(rows: &mut [OrgRow], errors: &mut Vec<RowError>) {
    #[derive(Default)]
    struct Seen {
        officer: Option<(String, u32)>,
        phone: Option<(String, u32)>,
        responsible: Option<(String, u32)>,
    }
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for row in rows.iter() {
        let dept = seen.entry(row.department.clone()).or_default();
        let officer = row.officer.as_ref();
        let values = [
            (
                "信息员",
                &mut dept.officer,
                officer
                    .filter(|p| !p.name.is_empty())
                    .map(|p| p.name.clone()),
            ),
            (
                "联系电话",
                &mut dept.phone,
                officer.and_then(|p| p.phone.clone()),
            ),
            (
                "责任人",
                &mut dept.responsible,
                row.responsible.as_ref().map(|p| p.name.clone()),
            ),
        ];
        for (field, first, value) in values {
            let Some(value) = value else { continue };
            match first {
                None => *first = Some((value, row.row)),
                Some((earlier, at)) if *earlier != value => errors.push(RowError::new(
                    row.row,
                    format!(
                        "部门「{}」的{field}「{value}」与第{at}行的「{earlier}」不一致",
                        row.department
                    ),
                )),
                Some(_) => {}
            }
        }
    }
    for (name, dept) in &seen {
        if let (None, Some((phone, at))) = (&dept.officer, &dept.phone) {
            errors.push(RowError::new(
                *at,
                format!("部门「{name}」填写了联系电话「{phone}」，但没有填写信息员"),
            ));
        }
    }
    for row in rows.iter_mut() {
        let Some(dept) = seen.get(&row.department) else {
            continue;
        };
        row.officer = dept.officer.as_ref().map(|(name, _)| Person {
            name: name.clone(),
            phone: dept.phone.as_ref().map(|(p, _)| p.clone()),
        });
        row.responsible = dept.responsible.as_ref().map(|(name, _)| Person {
            name: name.clone(),
            phone: None,
        });
    }
}

#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod tests;
