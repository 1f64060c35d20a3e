//! Departments and seats. A seat (岗位账号) belongs to a department and has one role; the person
//! holding it (the holder) changes over time, the seat does not.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a seat may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// 信息员: drafts and sends the department's items.
    Officer,
    /// 责任人: signs off what leaves the department.
    Responsible,
    /// 编辑部编辑: reviews every department's items, cannot change their content.
    Editor,
    /// 编辑部管理员: departments, seats, columns, calendar, handovers.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Officer, Role::Responsible, Role::Editor, Role::Admin];

    /// Stable name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Responsible => "responsible",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Editorial office roles see every department's items.
    pub fn is_office(self) -> bool {
        matches!(self, Role::Editor | Role::Admin)
    }

    /// Department roles see and change only their own department's columns and items.
    pub fn is_department(self) -> bool {
        !self.is_office()
    }

    /// Whether the holder of a seat of this role may ask to hand it over to a successor (a
    /// department's seat; the editorial office's seats change hands through the administrator).
    pub fn may_hand_over_own_seat(self) -> bool {
        self.is_department()
    }

    /// Whether this role may hand any seat over without its holder (forced, as when a holder
    /// left without doing it).
    pub fn may_force_handover(self) -> bool {
        self == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    /// How the department signs off what it sends.
    #[serde(default)]
    pub signoff: crate::SignoffPolicy,
}

/// A seat as its holder sees it after signing in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct SeatView {
    pub id: i64,
    pub login: String,
    pub role: Role,
    pub department: DepartmentView,
    /// The person holding the seat now.
    pub holder_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_and_match_serde() {
        for role in [Role::Officer, Role::Responsible, Role::Editor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn office_and_department_roles_partition() {
        assert!(Role::Editor.is_office() && Role::Admin.is_office());
        assert!(Role::Officer.is_department() && Role::Responsible.is_department());
    }
}
