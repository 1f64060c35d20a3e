//! The rules of the office's administration: what a department, a column and a seat may be
//! called, which role needs a department, and what may not be retired or disabled. The office
//! checks every change against these before it writes anything; the console words each
//! [`OrgProblem`] by its [`OrgProblem::code`].

use serde::{Deserialize, Serialize};

use crate::text::{Lines, is_clean};
use crate::{ColumnLevel, DutyRule, FeedMethod, GapUnit, Role};

/// Longest department name, in characters (e.g. 市人力资源和社会保障局).
pub const MAX_DEPARTMENT_NAME: usize = 40;
/// Longest column name, in characters.
pub const MAX_COLUMN_NAME: usize = 40;
/// Longest column path (政务公开/通知公告), in characters.
pub const MAX_COLUMN_PATH: usize = 200;
/// Longest holder name, in characters.
pub const MAX_HOLDER_NAME: usize = 30;
/// Shortest and longest login, in characters.
pub const LOGIN_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
/// The largest gap or count a duty rule may ask for (a year of days).
pub const MAX_DUTY_AMOUNT: u32 = 366;

/// Why an administrative change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgProblem {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} must be one line without control characters")]
    NotOneLine { field: &'static str },
    #[error(
        "a login has 3 to 32 characters: lower-case letters, digits, '.', '_' or '-', starting \
         with a letter"
    )]
    BadLogin,
    #[error("a column path is one or more names separated by '/', none of them empty")]
    BadPath,
    #[error("a duty rule asks for 1 to {MAX_DUTY_AMOUNT}")]
    BadDuty,
    #[error("a phone number has 7 to 20 digits (and may hold + - ( ) and spaces)")]
    BadPhone,
    #[error("officers and responsible persons belong to a department; editors and admins do not")]
    RoleDepartment,
    #[error("the login {0} is taken")]
    LoginTaken(String),
    #[error("a department named {0} exists")]
    DepartmentNameTaken(String),
    #[error("the column path {0} is taken")]
    PathTaken(String),
    #[error("the department is retired")]
    DepartmentRetired,
    #[error("the column is retired")]
    ColumnRetired,
    #[error("the department still guarantees {0} column(s): move or retire them first")]
    DepartmentHasColumns(usize),
    #[error("the last enabled administrator cannot be disabled")]
    LastAdmin,
    #[error("an administrator cannot disable their own seat")]
    OwnSeat,
    #[error("the column is already in that department")]
    SameDepartment,
}

impl OrgProblem {
    /// A stable name for the problem, for the console's words.
    pub fn code(&self) -> &'static str {
        match self {
            OrgProblem::Empty { .. } => "empty",
            OrgProblem::TooLong { .. } => "too_long",
            OrgProblem::NotOneLine { .. } => "not_one_line",
            OrgProblem::BadLogin => "bad_login",
            OrgProblem::BadPath => "bad_path",
            OrgProblem::BadDuty => "bad_duty",
            OrgProblem::BadPhone => "bad_phone",
            OrgProblem::RoleDepartment => "role_department",
            OrgProblem::LoginTaken(_) => "login_taken",
            OrgProblem::DepartmentNameTaken(_) => "department_name_taken",
            OrgProblem::PathTaken(_) => "path_taken",
            OrgProblem::DepartmentRetired => "department_retired",
            OrgProblem::ColumnRetired => "column_retired",
            OrgProblem::DepartmentHasColumns(_) => "department_has_columns",
            OrgProblem::LastAdmin => "last_admin",
            OrgProblem::OwnSeat => "own_seat",
            OrgProblem::SameDepartment => "same_department",
        }
    }

    /// The field or value the problem is about, for the console's words (`{what}`).
    pub fn subject(&self) -> String {
        match self {
            OrgProblem::Empty { field }
            | OrgProblem::TooLong { field, .. }
            | OrgProblem::NotOneLine { field } => (*field).to_owned(),
            OrgProblem::LoginTaken(v)
            | OrgProblem::DepartmentNameTaken(v)
            | OrgProblem::PathTaken(v) => v.clone(),
            OrgProblem::DepartmentHasColumns(n) => n.to_string(),
            _ => String::new(),
        }
    }
}

/// One line of at most `max` characters, trimmed, not empty.
fn one_line(field: &'static str, text: &str, max: usize) -> Result<String, OrgProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OrgProblem::Empty { field });
    }
    if !is_clean(text, Lines::One) {
        return Err(OrgProblem::NotOneLine { field });
    }
    if text.chars().count() > max {
        return Err(OrgProblem::TooLong { field, max });
    }
    Ok(text.to_owned())
}

/// A department's name as it will be kept.
pub fn department_name(name: &str) -> Result<String, OrgProblem> {
    one_line("department name", name, MAX_DEPARTMENT_NAME)
}

/// A column's name as it will be kept.
pub fn column_name(name: &str) -> Result<String, OrgProblem> {
    one_line("column name", name, MAX_COLUMN_NAME)
}

/// A holder's name as it will be kept.
pub fn holder_name(name: &str) -> Result<String, OrgProblem> {
    one_line("holder name", name, MAX_HOLDER_NAME)
}

/// A column's path in the portal, `/`-separated, each part trimmed: `政务公开 / 通知公告` is kept
/// as `政务公开/通知公告`.
pub fn column_path(path: &str) -> Result<String, OrgProblem> {
    let path = one_line("column path", path, MAX_COLUMN_PATH)?;
    let parts: Vec<&str> = path.trim_matches('/').split('/').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(OrgProblem::BadPath);
    }
    Ok(parts.join("/"))
}

/// A seat's login: lower-case ASCII letters, digits, `.`, `_`, `-`, starting with a letter.
pub fn login(login: &str) -> Result<String, OrgProblem> {
    let login = login.trim();
    let ok = LOGIN_CHARS.contains(&login.chars().count())
        && login.starts_with(|c: char| c.is_ascii_lowercase())
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(login.to_owned())
    } else {
        Err(OrgProblem::BadLogin)
    }
}

/// A contact phone number, kept as written (trimmed), or none when blank.
pub fn phone(phone: &str) -> Result<Option<String>, OrgProblem> {
    let phone = phone.trim();
    if phone.is_empty() {
        return Ok(None);
    }
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' '));
    if allowed && (7..=20).contains(&digits) {
        Ok(Some(phone.to_owned()))
    } else {
        Err(OrgProblem::BadPhone)
    }
}

/// A duty rule an administrator may set: a positive amount no larger than a year of days (and no
/// more than 12 months or 10 years as a gap).
pub fn duty(rule: DutyRule) -> Result<DutyRule, OrgProblem> {
    let ok = match rule {
        DutyRule::MaxGap { amount, unit } => {
            let max = match unit {
                GapUnit::WorkingDays | GapUnit::Days => MAX_DUTY_AMOUNT,
                GapUnit::Weeks => 53,
                GapUnit::Months => 12,
                GapUnit::Years => 10,
            };
            (1..=max).contains(&amount)
        }
        DutyRule::MinCount { count, .. } => (1..=MAX_DUTY_AMOUNT).contains(&count),
    };
    if ok {
        Ok(rule)
    } else {
        Err(OrgProblem::BadDuty)
    }
}

/// Officers and responsible persons belong to a department; the editorial office's seats do not.
pub fn role_department(role: Role, has_department: bool) -> Result<(), OrgProblem> {
    if role.is_department() == has_department {
        Ok(())
    } else {
        Err(OrgProblem::RoleDepartment)
    }
}

/// Whether a seat may be disabled: never the administrator's own, never the last enabled
/// administrator (`enabled_admins` counts the target too when it is one).
pub fn may_disable(
    target_role: Role,
    target_is_actor: bool,
    enabled_admins: usize,
) -> Result<(), OrgProblem> {
    if target_is_actor {
        return Err(OrgProblem::OwnSeat);
    }
    if target_role == Role::Admin && enabled_admins <= 1 {
        return Err(OrgProblem::LastAdmin);
    }
    Ok(())
}

/// Whether a department may be retired: only once no live column is guaranteed by it.
pub fn may_retire_department(live_columns: usize) -> Result<(), OrgProblem> {
    if live_columns == 0 {
        Ok(())
    } else {
        Err(OrgProblem::DepartmentHasColumns(live_columns))
    }
}

/// The organisation as the administrator sees it: every department, column and seat, retired
/// and disabled ones included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    pub departments: Vec<OrgDepartment>,
    pub columns: Vec<OrgColumn>,
    pub seats: Vec<OrgSeat>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgDepartment {
    pub id: i64,
    pub name: String,
    /// Retired departments keep their items, columns' history and seats' records.
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgColumn {
    pub id: i64,
    pub department_id: i64,
    pub name: String,
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    pub level: ColumnLevel,
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgSeat {
    pub id: i64,
    pub login: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub holder_name: String,
    pub disabled: bool,
}

impl Organisation {
    pub fn department(&self, id: i64) -> Option<&OrgDepartment> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn column(&self, id: i64) -> Option<&OrgColumn> {
        self.columns.iter().find(|c| c.id == id)
    }

    pub fn seat(&self, id: i64) -> Option<&OrgSeat> {
        self.seats.iter().find(|s| s.id == id)
    }

    /// Columns a department guarantees now (not retired).
    pub fn live_columns_of(&self, department_id: i64) -> usize {
        self.columns
            .iter()
            .filter(|c| c.department_id == department_id && !c.retired)
            .count()
    }

    /// Administrators whose seat is enabled.
    pub fn enabled_admins(&self) -> usize {
        self.seats
            .iter()
            .filter(|s| s.role == Role::Admin && !s.disabled)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Period;

    #[test]
    fn names_are_trimmed_one_line_and_bounded() {
        assert_eq!(department_name("  市教育局 ").unwrap(), "市教育局");
        assert_eq!(
            department_name("   "),
            Err(OrgProblem::Empty {
                field: "department name"
            })
        );
        assert!(matches!(
            department_name("市教育局\n办公室"),
            Err(OrgProblem::NotOneLine { .. })
        ));
        assert!(matches!(
            column_name(&"栏".repeat(MAX_COLUMN_NAME + 1)),
            Err(OrgProblem::TooLong { max: 40, .. })
        ));
        assert_eq!(
            column_name(&"栏".repeat(MAX_COLUMN_NAME)).unwrap().len(),
            120
        );
    }

    #[test]
    fn paths_are_normalised_and_need_every_part() {
        assert_eq!(
            column_path(" 政务公开 / 通知公告 ").unwrap(),
            "政务公开/通知公告"
        );
        assert_eq!(column_path("/首页/出行提示/").unwrap(), "首页/出行提示");
        assert_eq!(column_path("政务公开//通知公告"), Err(OrgProblem::BadPath));
        assert_eq!(column_path("/"), Err(OrgProblem::BadPath));
    }

    #[test]
    fn logins_are_plain_ascii() {
        assert_eq!(login("sjyj.officer").unwrap(), "sjyj.officer");
        for bad in [
            "ab",
            "Admin",
            "1abc",
            "wang xiao",
            "王晓燕",
            &"a".repeat(33),
        ] {
            assert_eq!(login(bad), Err(OrgProblem::BadLogin), "{bad}");
        }
    }

    #[test]
    fn phones_have_enough_digits() {
        assert_eq!(phone(" ").unwrap(), None);
        assert_eq!(
            phone("0571-8888 1234").unwrap().as_deref(),
            Some("0571-8888 1234")
        );
        assert_eq!(phone("123456"), Err(OrgProblem::BadPhone));
        assert_eq!(phone("138x0013800"), Err(OrgProblem::BadPhone));
    }

    #[test]
    fn duty_rules_are_positive_and_bounded() {
        assert!(duty(DutyRule::NEWS).is_ok());
        assert!(duty(DutyRule::PERSONNEL).is_ok());
        let gap = |amount, unit| DutyRule::MaxGap { amount, unit };
        assert_eq!(duty(gap(0, GapUnit::Days)), Err(OrgProblem::BadDuty));
        assert_eq!(duty(gap(13, GapUnit::Months)), Err(OrgProblem::BadDuty));
        assert!(duty(gap(12, GapUnit::Months)).is_ok());
        let count = |count| DutyRule::MinCount {
            count,
            period: Period::Month,
        };
        assert_eq!(duty(count(0)), Err(OrgProblem::BadDuty));
        assert_eq!(duty(count(367)), Err(OrgProblem::BadDuty));
    }

    #[test]
    fn department_roles_need_a_department_and_office_roles_none() {
        assert!(role_department(Role::Officer, true).is_ok());
        assert!(role_department(Role::Responsible, false).is_err());
        assert!(role_department(Role::Editor, false).is_ok());
        assert!(role_department(Role::Admin, true).is_err());
    }

    #[test]
    fn the_last_admin_and_ones_own_seat_stay_enabled() {
        assert_eq!(
            may_disable(Role::Admin, false, 1),
            Err(OrgProblem::LastAdmin)
        );
        assert!(may_disable(Role::Admin, false, 2).is_ok());
        assert!(may_disable(Role::Officer, false, 1).is_ok());
        assert_eq!(may_disable(Role::Admin, true, 5), Err(OrgProblem::OwnSeat));
    }

    #[test]
    fn a_department_retires_only_without_live_columns() {
        assert!(may_retire_department(0).is_ok());
        assert_eq!(
            may_retire_department(3),
            Err(OrgProblem::DepartmentHasColumns(3))
        );
    }
}
