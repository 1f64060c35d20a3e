//! The column watch (栏目监测): every department's columns with their standing, computed by the
//! domain's duty function with the office's calendar, and the national single-veto check over
//! them. The desks' boards and the console's page read the same.

use chrono::{DateTime, Duration, Utc};
use liaison_domain::duty::UPDATES_LOOKBACK_DAYS;
use liaison_domain::urge::Urge;
use liaison_domain::veto::{self, VetoCheck, Watched};
use liaison_domain::wire::BoardColumn;
use liaison_domain::{DepartmentView, WorkCalendar, by_urgency, duty_status};

use crate::store::{Store, StoreError};

/// A department's columns, most urgent first, with what their standing is computed from.
pub fn board(
    store: &dyn Store,
    department_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<BoardColumn>, StoreError> {
    board_with(store, department_id, now, &store.calendar()?)
}

fn board_with(
    store: &dyn Store,
    department_id: i64,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> Result<Vec<BoardColumn>, StoreError> {
    let inputs = store.duty_inputs(department_id, now - Duration::days(UPDATES_LOOKBACK_DAYS))?;
    let mut board: Vec<BoardColumn> = inputs
        .into_iter()
        .map(|i| BoardColumn {
            status: duty_status(i.column.duty, &i.updates, i.since, now, calendar),
            column: i.column,
            since: i.since,
            updates: i.updates,
        })
        .collect();
    board.sort_by(|a, b| by_urgency(&a.status, &b.status));
    Ok(board)
}

/// The whole city at one instant.
#[derive(Debug, Clone)]
pub struct CityWatch {
    /// Every live department with its board; the department whose most urgent column is the
    /// most urgent first, those without columns last.
    pub departments: Vec<(DepartmentView, Vec<BoardColumn>)>,
    /// The four single-veto thresholds over every live column.
    pub veto: Vec<VetoCheck>,
    /// Every urge of the last [`URGE_HISTORY_DAYS`], oldest first.
    pub urges: Vec<Urge>,
    /// Each column's latest recorded update that names an address: (column, when, address).
    pub addresses: Vec<(i64, DateTime<Utc>, String)>,
    /// How many urges in a week flag a department, by the scoring scheme in force.
    pub urges_flagging_a_week: u32,
}

/// How far back the watch shows urges.
pub const URGE_HISTORY_DAYS: i64 = 92;

impl CityWatch {
    /// A column of the city by its id.
    pub fn column(&self, id: i64) -> Option<&BoardColumn> {
        self.departments
            .iter()
            .flat_map(|(_, board)| board)
            .find(|c| c.column.id == id)
    }
}

/// Every department's board and the single-veto check, at `now`.
pub fn city(store: &dyn Store, now: DateTime<Utc>) -> Result<CityWatch, StoreError> {
    let calendar = store.calendar()?;
    let mut departments = Vec::new();
    for department in store.departments()? {
        let board = board_with(store, department.id, now, &calendar)?;
        departments.push((department, board));
    }
    departments.sort_by(|(_, a), (_, b)| match (a.first(), b.first()) {
        (Some(a), Some(b)) => by_urgency(&a.status, &b.status),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let watched: Vec<Watched<'_>> = departments
        .iter()
        .flat_map(|(_, board)| board)
        .map(|c| Watched {
            column: &c.column,
            since: c.since,
            status: &c.status,
        })
        .collect();
    let veto = veto::check(&watched, now);
    let urges = store.urges(None, now - Duration::days(URGE_HISTORY_DAYS))?;
    Ok(CityWatch {
        departments,
        veto,
        urges,
        addresses: store.recorded_addresses()?,
        urges_flagging_a_week: super::scores::scheme_now(store, now)?.urges_flagging_a_week,
    })
}
