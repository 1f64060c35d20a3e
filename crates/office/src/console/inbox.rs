//! 收件箱: the items that left their departments, by state, department, column and date.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use liaison_domain::calendar::beijing_midnight;
use liaison_domain::{ColumnView, DepartmentView, ItemState};
use serde::{Deserialize, Serialize};

use super::refusal;
use super::render::{self, Lang, beijing, waited};
use super::{Editor, Query};
use crate::store::InboxFilter;
use crate::web::AppState;

/// Rows per inbox page.
pub const PAGE_SIZE: u32 = 50;

/// The states an editor filters by, in the order of the tabs.
const INBOX_STATES: [ItemState; 4] = [
    ItemState::Delivered,
    ItemState::Returned,
    ItemState::Accepted,
    ItemState::Rejected,
];

/// An item's state in the page's language.
pub(super) fn state_label(lang: Lang, state: ItemState) -> String {
    lang.word(&format!("state.{}", state.as_str()))
}

/// The inbox's filters as a form sends them: empty fields mean "any".
#[derive(Debug, Deserialize, Serialize, Default, Clone)]
pub struct InboxParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    column_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<u32>,
}

#[derive(Serialize)]
pub(super) struct Choice {
    pub(super) value: String,
    pub(super) label: String,
    pub(super) selected: bool,
}

#[derive(Serialize)]
struct StateTab {
    label: String,
    count: u64,
    href: String,
    selected: bool,
}

#[derive(Serialize)]
struct InboxRow {
    id: i64,
    receipt: String,
    title: String,
    department: String,
    column: String,
    holder: String,
    version: u32,
    state: String,
    delivered: String,
    waited: String,
}

#[derive(Serialize)]
struct InboxPage {
    who: String,
    csrf: String,
    params: InboxParams,
    states: Vec<StateTab>,
    departments: Vec<Choice>,
    columns: Vec<Choice>,
    rows: Vec<InboxRow>,
    page: u32,
    pages: u32,
    total: u64,
    prev: Option<String>,
    next: Option<String>,
    /// Handovers waiting for the administrator's decision.
    handovers_waiting: usize,
    error: Option<String>,
}

fn parse_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

fn parse_day(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

fn inbox_href(params: &InboxParams) -> String {
    format!(
        "/inbox?{}",
        serde_urlencoded::to_string(params).unwrap_or_default()
    )
}

pub async fn inbox(
    State(state): State<AppState>,
    editor: Editor,
    Query(params): Query<InboxParams>,
) -> Response {
    let lang = editor.lang;
    let mut error = None;
    let (from, to) = match (parse_day(&params.from), parse_day(&params.to)) {
        (Ok(f), Ok(t)) => (f, t),
        _ => {
            error = Some(lang.word("inbox.bad_date"));
            (None, None)
        }
    };
    let chosen_state = match params.state.as_str() {
        "" => Some(ItemState::Delivered),
        "all" => None,
        s => ItemState::parse(s).filter(|s| INBOX_STATES.contains(s)),
    };
    let page = params.page.unwrap_or(1).max(1);
    let filter = InboxFilter {
        state: chosen_state,
        department_id: parse_id(&params.department_id),
        column_id: parse_id(&params.column_id),
        from: from.map(beijing_midnight),
        until: to.and_then(|d| d.succ_opt()).map(beijing_midnight),
        limit: PAGE_SIZE,
        // A page past the end shows nothing; no page number overflows the offset.
        offset: (page - 1).saturating_mul(PAGE_SIZE),
    };
    let fetched = {
        let filter = filter.clone();
        state
            .run(move |s| {
                let waiting = s
                    .handovers(None)?
                    .iter()
                    .filter(|h| h.state == liaison_domain::handover::HandoverState::Requested)
                    .count();
                Ok((
                    s.inbox(&filter)?,
                    s.inbox_counts(&filter)?,
                    s.departments()?,
                    s.all_columns()?,
                    waiting,
                ))
            })
            .await
    };
    let (items, counts, departments, columns, handovers_waiting) = match fetched {
        Ok(f) => f,
        Err(e) => return refusal::page(lang, &e),
    };
    let count_of = |st: ItemState| counts.iter().find(|c| c.state == st).map_or(0, |c| c.count);
    let all: u64 = counts.iter().map(|c| c.count).sum();
    let total = chosen_state.map_or(all, count_of);
    let tab = |value: &str, label: String, count: u64, selected: bool| {
        let mut p = params.clone();
        p.state = value.to_owned();
        p.page = None;
        StateTab {
            label,
            count,
            href: inbox_href(&p),
            selected,
        }
    };
    let mut states: Vec<StateTab> = INBOX_STATES
        .iter()
        .map(|&st| {
            tab(
                st.as_str(),
                state_label(lang, st),
                count_of(st),
                chosen_state == Some(st),
            )
        })
        .collect();
    states.push(tab(
        "all",
        lang.word("inbox.all_states"),
        all,
        chosen_state.is_none(),
    ));
    let pages = (total.div_ceil(u64::from(PAGE_SIZE)) as u32).max(1);
    let at_page = |n: u32| {
        let mut p = params.clone();
        p.page = Some(n);
        inbox_href(&p)
    };
    let now = state.clock.now();
    let dept_name = |id: i64| {
        departments
            .iter()
            .find(|d| d.id == id)
            .map_or_else(String::new, |d: &DepartmentView| d.name.clone())
    };
    let rows = items
        .into_iter()
        .map(|i| InboxRow {
            id: i.id,
            receipt: i.receipt,
            title: i.title,
            department: i.department.name,
            column: i.column_name,
            holder: i.holder_name,
            version: i.version,
            state: state_label(lang, i.state),
            delivered: beijing(i.delivered_at),
            waited: waited(lang, i.waiting_since, now),
        })
        .collect();
    let selected_dept = parse_id(&params.department_id);
    let page_view = InboxPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        states,
        departments: departments
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.name.clone(),
                selected: selected_dept == Some(d.id),
            })
            .collect(),
        columns: columns
            .iter()
            .filter(|c: &&ColumnView| selected_dept.is_none_or(|d| c.department_id == d))
            .map(|c| Choice {
                value: c.id.to_string(),
                label: format!("{} · {}", dept_name(c.department_id), c.name),
                selected: parse_id(&params.column_id) == Some(c.id),
            })
            .collect(),
        rows,
        page,
        pages,
        total,
        prev: (page > 1).then(|| at_page(page - 1)),
        next: (page < pages).then(|| at_page(page + 1)),
        params,
        handovers_waiting,
        error,
    };
    render::page(StatusCode::OK, lang, "inbox.html", page_view)
}
