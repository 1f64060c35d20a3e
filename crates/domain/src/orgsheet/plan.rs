//! The office as it is, and the changes that make it match a sheet.

use std::collections::{HashMap, HashSet};

use pinyin::ToPinyin;
use serde::{Deserialize, Serialize};

use super::{OrgRow, Person, RowError, duty_label, feed_label, level_label};
use crate::column::{ColumnLevel, DutyRule, FeedMethod};
use crate::org::Role;

pub use crate::organisation::{OrgColumn, OrgDepartment, OrgSeat, Organisation};

/// One change to the office. Departments are named (a department the same plan creates has no
/// id yet); columns and seats that exist are named by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OrgChange {
    CreateDepartment {
        name: String,
    },
    CreateColumn {
        department: String,
        name: String,
        path: String,
        feed: FeedMethod,
        duty: DutyRule,
        level: ColumnLevel,
    },
    /// Same path, other name/feed/duty/level: the new values.
    ChangeColumn {
        id: i64,
        name: String,
        feed: FeedMethod,
        duty: DutyRule,
        level: ColumnLevel,
    },
    MoveColumn {
        id: i64,
        to_department: String,
    },
    RetireColumn {
        id: i64,
    },
    /// A retired column the sheet lists again.
    RestoreColumn {
        id: i64,
    },
    /// A seat for a department without an enabled one of that role (Officer or Responsible).
    CreateSeat {
        department: String,
        role: Role,
        login: String,
        holder_name: String,
        phone: Option<String>,
    },
}

/// What the office must do to match the sheet: departments first, then columns, then seats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgPlan {
    pub changes: Vec<OrgChange>,
    /// What the plan leaves alone on purpose, in Chinese (a seat whose holder differs from the
    /// sheet is a handover, not an import).
    pub notes: Vec<String>,
}

/// How many changes of each kind a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanSummary {
    pub departments_created: usize,
    pub columns_created: usize,
    pub columns_changed: usize,
    pub columns_moved: usize,
    pub columns_retired: usize,
    pub columns_restored: usize,
    pub seats_created: usize,
}

/// The changes that make `current` match the checked `rows`, or every row the office cannot
/// take (an unknown department without its people, a retired department).
///
/// Columns are matched by path. A department is known if the office has it or the sheet creates
/// it, which the sheet does only when it names both its 信息员 and 责任人. A column the office has
/// under another department is moved; the columns of a department the sheet names that the sheet
/// no longer lists are retired; departments the sheet does not name are left alone. A department
/// without an enabled seat of a role gets one when the sheet names its holder; a seat held by
/// someone else is left alone, with a note.
pub fn plan(current: &Organisation, rows: &[OrgRow]) -> Result<OrgPlan, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut out = OrgPlan::default();

    // Departments, in the order the sheet names them.
    let mut named: Vec<(&str, Vec<&OrgRow>)> = Vec::new();
    for row in rows {
        match named.iter_mut().find(|(name, _)| *name == row.department) {
            Some((_, list)) => list.push(row),
            None => named.push((&row.department, vec![row])),
        }
    }
    let active = |name: &str| {
        current
            .departments
            .iter()
            .find(|d| d.name == name && !d.retired)
    };
    // Known departments: name -> id (None for one this plan creates).
    let mut known: HashMap<&str, Option<i64>> = HashMap::new();
    for (name, list) in &named {
        if let Some(dept) = active(name) {
            known.insert(name, Some(dept.id));
        } else if current.departments.iter().any(|d| d.name == *name) {
            for row in list {
                errors.push(RowError::new(
                    row.row,
                    format!("部门「{name}」已撤销，不能导入其栏目；请先恢复该部门或改用现有部门"),
                ));
            }
        } else if list[0].officer.is_some() && list[0].responsible.is_some() {
            known.insert(name, None);
            out.changes.push(OrgChange::CreateDepartment {
                name: (*name).to_string(),
            });
        } else {
            for row in list {
                errors.push(RowError::new(
                    row.row,
                    format!("部门「{name}」不存在，且表中未给出其信息员和责任人"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Columns, matched by path.
    let dept_name = |id: i64| {
        current
            .departments
            .iter()
            .find(|d| d.id == id)
            .map_or("", |d| d.name.as_str())
    };
    let mut matched: HashSet<i64> = HashSet::new();
    for row in rows {
        let Some(column) = find_column(current, row, &known) else {
            out.changes.push(OrgChange::CreateColumn {
                department: row.department.clone(),
                name: row.column.clone(),
                path: row.path.clone(),
                feed: row.feed,
                duty: row.duty,
                level: row.level,
            });
            continue;
        };
        matched.insert(column.id);
        if column.retired {
            out.changes.push(OrgChange::RestoreColumn { id: column.id });
        }
        if dept_name(column.department_id) != row.department {
            out.changes.push(OrgChange::MoveColumn {
                id: column.id,
                to_department: row.department.clone(),
            });
        }
        if (&column.name, column.feed, column.duty, column.level)
            != (&row.column, row.feed, row.duty, row.level)
        {
            out.changes.push(OrgChange::ChangeColumn {
                id: column.id,
                name: row.column.clone(),
                feed: row.feed,
                duty: row.duty,
                level: row.level,
            });
        }
    }
    let named_ids: HashSet<i64> = known.values().flatten().copied().collect();
    for column in &current.columns {
        if !column.retired
            && named_ids.contains(&column.department_id)
            && !matched.contains(&column.id)
        {
            out.changes.push(OrgChange::RetireColumn { id: column.id });
        }
    }

    // Seats.
    let mut logins: HashSet<String> = current.seats.iter().map(|s| s.login.clone()).collect();
    for (name, list) in &named {
        let id = known.get(name).copied().flatten();
        let people = [
            (Role::Officer, list[0].officer.as_ref(), "信息员"),
            (Role::Responsible, list[0].responsible.as_ref(), "责任人"),
        ];
        for (role, person, word) in people {
            let Some(Person {
                name: holder,
                phone,
            }) = person
            else {
                continue;
            };
            let seat = id.and_then(|id| {
                current
                    .seats
                    .iter()
                    .find(|s| s.department_id == Some(id) && s.role == role && !s.disabled)
            });
            match seat {
                Some(seat) if seat.holder_name != *holder => out.notes.push(format!(
                    "部门「{name}」的{word}席位 {} 现由「{}」使用，表中为「{holder}」：导入不更换席位的使用人，如需更换请办理交接",
                    seat.login, seat.holder_name
                )),
                Some(_) => {}
                None => {
                    let login = new_login(name, role, &mut logins);
                    out.changes.push(OrgChange::CreateSeat {
                        department: (*name).to_string(),
                        role,
                        login,
                        holder_name: holder.clone(),
                        phone: phone.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The office's column a row names: by path, preferring a column in the row's own department,
/// then any active one, then a retired one (the newest).
fn find_column<'a>(
    current: &'a Organisation,
    row: &OrgRow,
    known: &HashMap<&str, Option<i64>>,
) -> Option<&'a OrgColumn> {
    let own = known.get(row.department.as_str()).copied().flatten();
    let candidates = current.columns.iter().filter(|c| c.path == row.path);
    candidates.max_by_key(|c| (!c.retired, Some(c.department_id) == own, c.id))
}

/// A readable ASCII login for a department's seat: the pinyin initials of its name (ASCII letters
/// and digits kept) and the role, made unique against `taken` by a number (sjyj2.officer).
pub fn new_login(department: &str, role: Role, taken: &mut HashSet<String>) -> String {
    let mut base = String::new();
    for c in department.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if let Some(p) = c.to_pinyin() {
            base.push_str(p.first_letter());
        }
    }
    if base.is_empty() {
        base.push_str("dept");
    }
    let suffix = role.as_str();
    let mut n = 1;
    loop {
        let login = if n == 1 {
            format!("{base}.{suffix}")
        } else {
            format!("{base}{n}.{suffix}")
        };
        if taken.insert(login.clone()) {
            return login;
        }
        n += 1;
    }
}

impl OrgPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for change in &self.changes {
            let n = match change {
                OrgChange::CreateDepartment { .. } => &mut s.departments_created,
                OrgChange::CreateColumn { .. } => &mut s.columns_created,
                OrgChange::ChangeColumn { .. } => &mut s.columns_changed,
                OrgChange::MoveColumn { .. } => &mut s.columns_moved,
                OrgChange::RetireColumn { .. } => &mut s.columns_retired,
                OrgChange::RestoreColumn { .. } => &mut s.columns_restored,
                OrgChange::CreateSeat { .. } => &mut s.seats_created,
            };
            *n += 1;
        }
        s
    }

    /// One line in Chinese per change, for the dry run.
    pub fn describe(&self, current: &Organisation) -> Vec<String> {
        let column = |id: i64| current.columns.iter().find(|c| c.id == id);
        let dept = |id: i64| {
            current
                .departments
                .iter()
                .find(|d| d.id == id)
                .map_or_else(|| format!("#{id}"), |d| d.name.clone())
        };
        let named = |id: i64| match column(id) {
            Some(c) => format!("栏目「{}」({})", c.name, c.path),
            None => format!("栏目 #{id}"),
        };
        self.changes
            .iter()
            .map(|change| match change {
                OrgChange::CreateDepartment { name } => format!("新建部门「{name}」"),
                OrgChange::CreateColumn {
                    department,
                    name,
                    path,
                    feed,
                    duty,
                    level,
                } => format!(
                    "新建栏目「{name}」({path})，保障部门「{department}」，{}，{}，{}",
                    feed_label(*feed),
                    duty_label(*duty),
                    level_label(*level)
                ),
                OrgChange::ChangeColumn {
                    id,
                    name,
                    feed,
                    duty,
                    level,
                } => {
                    let mut parts = Vec::new();
                    if let Some(c) = column(*id) {
                        if c.name != *name {
                            parts.push(format!("名称「{}」改为「{name}」", c.name));
                        }
                        if c.feed != *feed {
                            parts.push(format!(
                                "保障方式 {} 改为 {}",
                                feed_label(c.feed),
                                feed_label(*feed)
                            ));
                        }
                        if c.duty != *duty {
                            parts.push(format!(
                                "更新要求 {} 改为 {}",
                                duty_label(c.duty),
                                duty_label(*duty)
                            ));
                        }
                        if c.level != *level {
                            parts.push(format!(
                                "栏目级别 {} 改为 {}",
                                level_label(c.level),
                                level_label(*level)
                            ));
                        }
                    }
                    format!("修改{}：{}", named(*id), parts.join("；"))
                }
                OrgChange::MoveColumn { id, to_department } => {
                    let from = column(*id).map_or_else(String::new, |c| dept(c.department_id));
                    format!("{} 从「{from}」移至「{to_department}」", named(*id))
                }
                OrgChange::RetireColumn { id } => {
                    let of = column(*id).map_or_else(String::new, |c| dept(c.department_id));
                    format!("撤销{}（保障部门「{of}」，表中已不再列出）", named(*id))
                }
                OrgChange::RestoreColumn { id } => format!("恢复已撤销的{}", named(*id)),
                OrgChange::CreateSeat {
                    department,
                    role,
                    login,
                    holder_name,
                    phone,
                } => {
                    let word = if *role == Role::Officer {
                        "信息员"
                    } else {
                        "责任人"
                    };
                    let phone = phone
                        .as_ref()
                        .map_or_else(String::new, |p| format!("，电话 {p}"));
                    format!(
                        "新建「{department}」的{word}席位 {login}，使用人「{holder_name}」{phone}"
                    )
                }
            })
            .collect()
    }
}

impl Organisation {
    /// The organisation after `plan` (what the office's transaction does, without a store): new
    /// departments, columns and seats get the next ids.
    pub fn apply(&self, plan: &OrgPlan) -> Organisation {
        let mut org = self.clone();
        let next = |ids: &mut dyn Iterator<Item = i64>| ids.max().unwrap_or(0) + 1;
        let dept_id = |org: &Organisation, name: &str| {
            org.departments
                .iter()
                .find(|d| d.name == name && !d.retired)
                .map(|d| d.id)
        };
        for change in &plan.changes {
            match change {
                OrgChange::CreateDepartment { name } => {
                    let id = next(&mut org.departments.iter().map(|d| d.id));
                    org.departments.push(OrgDepartment {
                        id,
                        name: name.clone(),
                        retired: false,
                    });
                }
                OrgChange::CreateColumn {
                    department,
                    name,
                    path,
                    feed,
                    duty,
                    level,
                } => {
                    let id = next(&mut org.columns.iter().map(|c| c.id));
                    let department_id = dept_id(&org, department).unwrap_or(0);
                    org.columns.push(OrgColumn {
                        id,
                        department_id,
                        name: name.clone(),
                        path: path.clone(),
                        feed: *feed,
                        duty: *duty,
                        level: *level,
                        retired: false,
                    });
                }
                OrgChange::ChangeColumn {
                    id,
                    name,
                    feed,
                    duty,
                    level,
                } => {
                    if let Some(c) = org.columns.iter_mut().find(|c| c.id == *id) {
                        c.name = name.clone();
                        c.feed = *feed;
                        c.duty = *duty;
                        c.level = *level;
                    }
                }
                OrgChange::MoveColumn { id, to_department } => {
                    let to = dept_id(&org, to_department);
                    if let (Some(c), Some(to)) = (org.columns.iter_mut().find(|c| c.id == *id), to)
                    {
                        c.department_id = to;
                    }
                }
                OrgChange::RetireColumn { id } | OrgChange::RestoreColumn { id } => {
                    let retire = matches!(change, OrgChange::RetireColumn { .. });
                    if let Some(c) = org.columns.iter_mut().find(|c| c.id == *id) {
                        c.retired = retire;
                    }
                }
                OrgChange::CreateSeat {
                    department,
                    role,
                    login,
                    holder_name,
                    ..
                } => {
                    let id = next(&mut org.seats.iter().map(|s| s.id));
                    let department_id = dept_id(&org, department);
                    org.seats.push(OrgSeat {
                        id,
                        login: login.clone(),
                        role: *role,
                        department_id,
                        holder_name: holder_name.clone(),
                        disabled: false,
                    });
                }
            }
        }
        org
    }
}
