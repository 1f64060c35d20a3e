//! 评比: the departments ranked by month, quarter and year, with a bar chart drawn here as SVG
//! (the console runs no script) beside the same numbers as a table; each department's breakdown;
//! the export for the monthly report (CSV and .xlsx, `ranking_export.rs`); and the scoring
//! scheme's versions, with the administrator's form to publish a new one. The numbers are the
//! service's (`service::scores`); this only shows them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use liaison_domain::score::{RankPeriod, Scheme, ScoreRule};
use serde::{Deserialize, Serialize};

use super::ranking_export;
use super::refusal;
use super::render::{self, Lang, beijing};
use super::{Editor, Form, Path, Query, admin_form_refusal};
use crate::service::scores::{self as service, RankRow, Ranking};
use crate::store::StoreError;
use crate::web::AppState;

/// The period asked for (`?period=2026-11`, `2026-Q4`, `2026`); by default the month before.
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    period: String,
}

/// The period a query names, the month before `now`'s by default; `None` for a malformed one.
pub fn period_of(query: &PeriodQuery, now: chrono::DateTime<chrono::Utc>) -> Option<RankPeriod> {
    if query.period.is_empty() {
        return Some(service::standing_periods(now)[0]);
    }
    RankPeriod::parse(&query.period)
}

/// A period in the page's language.
pub fn period_words(lang: Lang, period: RankPeriod) -> String {
    match period {
        RankPeriod::Month { year, month } => lang
            .word("ranking.period.month")
            .replace("{year}", &year.to_string())
            .replace("{month}", &month.to_string()),
        RankPeriod::Quarter { year, quarter } => lang
            .word("ranking.period.quarter")
            .replace("{year}", &year.to_string())
            .replace("{quarter}", &quarter.to_string()),
        RankPeriod::Year { year } => lang
            .word("ranking.period.year")
            .replace("{year}", &year.to_string()),
    }
}

/// A rule's name in the page's language.
pub fn rule_words(lang: Lang, rule: ScoreRule) -> String {
    lang.word(&format!("ranking.rule.{}", rule.as_str()))
}

#[derive(Serialize)]
struct Link {
    label: String,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct Bar {
    y: u32,
    /// Where the bar starts and how wide it is, in the chart's units.
    x: u32,
    width: u32,
    /// Where the label and the value are written.
    label_y: u32,
    value_x: u32,
    negative: bool,
    name: String,
    total: i64,
}

/// The chart: one bar a department, from a zero line, negative totals to its left.
#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    zero_x: u32,
    bars: Vec<Bar>,
}

const CHART_WIDTH: u32 = 720;
const CHART_LABELS: u32 = 180;
const CHART_ROW: u32 = 28;
const CHART_VALUE_ROOM: u32 = 56;

fn chart(rows: &[RankRow]) -> Chart {
    let most = rows
        .iter()
        .map(|r| r.breakdown.total.max(0))
        .max()
        .unwrap_or(0);
    let least = rows
        .iter()
        .map(|r| r.breakdown.total.min(0))
        .min()
        .unwrap_or(0);
    let span = (most - least).max(1) as f64;
    let plot = f64::from(CHART_WIDTH - CHART_LABELS - 2 * CHART_VALUE_ROOM);
    let left = CHART_LABELS + CHART_VALUE_ROOM;
    let zero_x = left + ((-least) as f64 / span * plot).round() as u32;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let total = r.breakdown.total;
            let width = ((total.abs() as f64) / span * plot).round() as u32;
            let (x, value_x) = if total < 0 {
                (zero_x - width, (zero_x - width).saturating_sub(6))
            } else {
                (zero_x, zero_x + width + 6)
            };
            let y = 8 + i as u32 * CHART_ROW;
            Bar {
                y,
                x,
                width,
                label_y: y + 15,
                value_x,
                negative: total < 0,
                name: r.department_name.clone(),
                total,
            }
        })
        .collect();
    Chart {
        width: CHART_WIDTH,
        height: 16 + rows.len() as u32 * CHART_ROW,
        zero_x,
        bars,
    }
}

#[derive(Serialize)]
struct TableRow {
    place: u32,
    department_id: i64,
    department: String,
    counts: Vec<u32>,
    total: i64,
}

#[derive(Serialize)]
struct RankingPage {
    who: String,
    csrf: String,
    error: Option<String>,
    title: String,
    key: String,
    kinds: Vec<Link>,
    previous: Link,
    next: Link,
    closed: bool,
    scheme: String,
    rules: Vec<String>,
    rows: Vec<TableRow>,
    chart: Chart,
}

/// What the scheme a ranking was scored by is called on the page.
fn scheme_words(lang: Lang, ranking: &Ranking) -> String {
    match ranking.version {
        Some(v) => lang
            .word("ranking.scheme.version")
            .replace("{version}", &v.version.to_string())
            .replace("{at}", &beijing(v.published_at)),
        None => lang.word("ranking.scheme.default"),
    }
}

fn link(lang: Lang, period: RankPeriod, current: RankPeriod) -> Link {
    Link {
        label: period_words(lang, period),
        href: format!("/ranking?period={}", period.key()),
        current: period == current,
    }
}

/// The counts of each rule of `scheme` in a row, in the scheme's order.
pub fn counts(row: &RankRow, rules: &[ScoreRule]) -> Vec<u32> {
    rules.iter().map(|r| row.facts.count(*r)).collect()
}

/// The rules a ranking shows: those its scheme gives points for.
pub fn rules_of(scheme: &Scheme) -> Vec<ScoreRule> {
    ScoreRule::ALL
        .into_iter()
        .filter(|r| scheme.points(*r) != 0)
        .collect()
}

async fn read_ranking(
    state: &AppState,
    editor: &Editor,
    query: &PeriodQuery,
) -> Result<Ranking, Response> {
    let now = state.clock.now();
    let lang = editor.lang;
    let Some(period) = period_of(query, now) else {
        return Err(render::error_page(
            StatusCode::BAD_REQUEST,
            lang,
            lang.word("ranking.bad_period"),
        ));
    };
    state
        .run(move |s| service::ranking(s, period, now))
        .await
        .map_err(|e| refusal::page(lang, &e))
}

/// The ranking of a period, for every office seat.
pub async fn ranking(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let ranking = match read_ranking(&state, &editor, &query).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let lang = editor.lang;
    let period = ranking.period;
    let now = state.clock.now();
    let [_, month, quarter, year] = service::standing_periods(now);
    let kinds = [month, quarter, year]
        .into_iter()
        .map(|p| {
            let mut l = link(lang, p, period);
            l.label = lang.word(match p {
                RankPeriod::Month { .. } => "ranking.kind.month",
                RankPeriod::Quarter { .. } => "ranking.kind.quarter",
                RankPeriod::Year { .. } => "ranking.kind.year",
            });
            l.current = std::mem::discriminant(&p) == std::mem::discriminant(&period);
            l
        })
        .collect();
    let rules = rules_of(&ranking.scheme);
    let page = RankingPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error: None,
        title: period_words(lang, period),
        key: period.key(),
        kinds,
        previous: link(lang, period.previous(), period),
        next: link(lang, period.next(), period),
        closed: ranking.closed,
        scheme: scheme_words(lang, &ranking),
        rules: rules.iter().map(|r| rule_words(lang, *r)).collect(),
        rows: ranking
            .rows
            .iter()
            .map(|r| TableRow {
                place: r.place,
                department_id: r.department_id,
                department: r.department_name.clone(),
                counts: counts(r, &rules),
                total: r.breakdown.total,
            })
            .collect(),
        chart: chart(&ranking.rows),
    };
    render::page(StatusCode::OK, lang, "ranking.html", page)
}

#[derive(Serialize)]
struct Line {
    rule: String,
    count: u32,
    each: i32,
    points: i64,
}

#[derive(Serialize)]
struct BreakdownPage {
    who: String,
    csrf: String,
    error: Option<String>,
    department: String,
    period: String,
    key: String,
    place: String,
    closed: bool,
    scheme: String,
    lines: Vec<Line>,
    total: i64,
}

/// Where one department's points in a period came from.
pub async fn breakdown(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<i64>,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let ranking = match read_ranking(&state, &editor, &query).await {
        Ok(r) => r,
        Err(page) => return page,
    };
    let lang = editor.lang;
    let Some(row) = ranking.row(id) else {
        return refusal::page(lang, &StoreError::NotFound);
    };
    let page = BreakdownPage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error: None,
        department: row.department_name.clone(),
        period: period_words(lang, ranking.period),
        key: ranking.period.key(),
        place: lang
            .word("ranking.place_of")
            .replace("{place}", &row.place.to_string())
            .replace("{all}", &ranking.rows.len().to_string()),
        closed: ranking.closed,
        scheme: scheme_words(lang, &ranking),
        lines: row
            .breakdown
            .lines
            .iter()
            .map(|l| Line {
                rule: rule_words(lang, l.rule),
                count: l.count,
                each: l.each,
                points: l.points,
            })
            .collect(),
        total: row.breakdown.total,
    };
    render::page(StatusCode::OK, lang, "ranking_department.html", page)
}

/// The ranking as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese).
pub async fn export_csv(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<PeriodQuery>,
) -> Response {
    match read_ranking(&state, &editor, &query).await {
        Ok(r) => ranking_export::csv(editor.lang, &r),
        Err(page) => page,
    }
}

/// The ranking as an .xlsx workbook.
pub async fn export_xlsx(
    State(state): State<AppState>,
    editor: Editor,
    Query(query): Query<PeriodQuery>,
) -> Response {
    match read_ranking(&state, &editor, &query).await {
        Ok(r) => ranking_export::xlsx(editor.lang, &r),
        Err(page) => page,
    }
}

#[derive(Serialize)]
struct Field {
    name: &'static str,
    label: String,
    value: i32,
}

#[derive(Serialize)]
struct VersionRow {
    version: u32,
    published: String,
    by: String,
    points: Vec<i32>,
    urges_flagging_a_week: u32,
}

#[derive(Serialize)]
struct SchemePage {
    who: String,
    csrf: String,
    error: Option<String>,
    admin: bool,
    rules: Vec<String>,
    fields: Vec<Field>,
    urges_flagging_a_week: u32,
    max_points: i32,
    max_urges: u32,
    versions: Vec<VersionRow>,
}

/// A form field's name for a rule.
fn field_name(rule: ScoreRule) -> &'static str {
    rule.as_str()
}

async fn scheme_page(
    state: &AppState,
    editor: &Editor,
    status: StatusCode,
    error: Option<String>,
    shown: Option<Scheme>,
) -> Response {
    let lang = editor.lang;
    let now = state.clock.now();
    let versions = match state.run(service::schemes).await {
        Ok(v) => v,
        Err(e) => return refusal::page(lang, &e),
    };
    let in_force = versions
        .iter()
        .rev()
        .find(|(v, _)| v.published_at <= now)
        .map(|(v, _)| v.scheme)
        .unwrap_or_default();
    let shown = shown.unwrap_or(in_force);
    let page = SchemePage {
        who: editor.seat.holder_name.clone(),
        csrf: editor.form_token.clone(),
        error,
        admin: editor.seat.role == liaison_domain::Role::Admin,
        rules: ScoreRule::ALL
            .into_iter()
            .map(|r| rule_words(lang, r))
            .collect(),
        fields: ScoreRule::ALL
            .into_iter()
            .map(|r| Field {
                name: field_name(r),
                label: rule_words(lang, r),
                value: shown.points(r),
            })
            .collect(),
        urges_flagging_a_week: shown.urges_flagging_a_week,
        max_points: liaison_domain::score::MAX_POINTS,
        max_urges: liaison_domain::score::MAX_URGES_FLAGGING_A_WEEK,
        versions: versions
            .iter()
            .rev()
            .map(|(v, by)| VersionRow {
                version: v.version,
                published: beijing(v.published_at),
                by: by.clone(),
                points: ScoreRule::ALL
                    .into_iter()
                    .map(|r| v.scheme.points(r))
                    .collect(),
                urges_flagging_a_week: v.scheme.urges_flagging_a_week,
            })
            .collect(),
    };
    render::page(status, lang, "ranking_scheme.html", page)
}

/// The scheme's versions, and for the administrator the form to publish the next one.
pub async fn scheme(State(state): State<AppState>, editor: Editor) -> Response {
    scheme_page(&state, &editor, StatusCode::OK, None, None).await
}

/// The scheme a form gives, or the name of the field that is not a whole number.
fn scheme_from(pairs: &[(String, String)]) -> Result<Scheme, &'static str> {
    let value = |name: &'static str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.trim().parse::<i32>().ok())
            .ok_or(name)
    };
    let flag = value("urges_flagging_a_week")?;
    Ok(Scheme {
        accepted_item: value(field_name(ScoreRule::AcceptedItem))?,
        accepted_first_level: value(field_name(ScoreRule::AcceptedFirstLevel))?,
        commission_in_time: value(field_name(ScoreRule::CommissionInTime))?,
        commission_missed: value(field_name(ScoreRule::CommissionMissed))?,
        overdue_column_day: value(field_name(ScoreRule::OverdueColumnDay))?,
        flagged_week: value(field_name(ScoreRule::FlaggedWeek))?,
        urges_flagging_a_week: u32::try_from(flag).unwrap_or(0),
    })
}

/// Publishes the form's scheme as the next version; back to the versions, or the form again
/// with why not and what was typed.
pub async fn publish(
    State(state): State<AppState>,
    editor: Editor,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str());
    if let Some(refused) = admin_form_refusal(&editor, csrf) {
        return refused;
    }
    let lang = editor.lang;
    let scheme = match scheme_from(&pairs) {
        Ok(s) => s,
        Err(_) => {
            let words = lang.word("ranking.scheme.not_a_number");
            return scheme_page(
                &state,
                &editor,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(words),
                None,
            )
            .await;
        }
    };
    match editor
        .act(&state, move |s, by, now| {
            service::publish(s, scheme, by, now)
        })
        .await
    {
        Ok(_) => Redirect::to("/ranking/scheme").into_response(),
        Err(e @ StoreError::Backend(_)) => refusal::page(lang, &e),
        Err(e) => {
            let (status, words) = (refusal::status(&e), refusal::words(lang, &e));
            scheme_page(&state, &editor, status, Some(words), Some(scheme)).await
        }
    }
}
