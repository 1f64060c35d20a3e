//! The demo city: departments, seats, columns with real duty rules, and some accepted history,
//! so that `make run` shows a living office. Passwords are random per data folder and written to
//! `demo-seats.json` beside the database.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use liaison_domain::wire::SubmitItemRequest;
use liaison_domain::{
    ColumnLevel, DutyRule, FeedMethod, GapUnit, Period, Role, SeatView, SignoffPolicy,
};

use crate::auth;
use crate::service::organisation::{self as service, AdminChange, AdminOutcome, ColumnInput};
use crate::store::{
    Actor, NewItem, Review, SeatCodeOutcome, Store, StoreError, SubmitOutcome, payload_digest,
};

pub use liaison_domain::wire::DemoSeat;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] auth::HashError),
    #[error("the demo seat {0} is missing: seed only an empty office or a demo one")]
    MissingSeat(String),
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

struct Dept {
    code: &'static str,
    name: &'static str,
    officer: &'static str,
    responsible: &'static str,
    signoff: SignoffPolicy,
    columns: &'static [(&'static str, &'static str, FeedMethod, DutyRule)],
}

const NEWS: DutyRule = DutyRule::NEWS;
const WEEKLY: DutyRule = DutyRule::HOME_PAGE;
const MONTHLY: DutyRule = DutyRule::MONTHLY;
const NOTICES: DutyRule = DutyRule::NOTICES;
const YEARLY: DutyRule = DutyRule::PERSONNEL;
const FOUR_A_MONTH: DutyRule = DutyRule::MinCount {
    count: 4,
    period: Period::Month,
};
const TWO_WEEKS: DutyRule = DutyRule::MaxGap {
    amount: 2,
    unit: GapUnit::Weeks,
};
use FeedMethod::{CoEditing, Link, Scraping, Submission};
use SignoffPolicy::{Attested, InApp};

const CITY: &[Dept] = &[
    Dept {
        code: "jyj",
        name: "市教育局",
        officer: "王晓燕",
        responsible: "李建国",
        signoff: InApp,
        columns: &[
            ("教育动态", "部门动态/教育动态", Submission, NEWS),
            ("通知公告", "政务公开/通知公告", Submission, NOTICES),
            ("政策文件", "政务公开/政策文件", Submission, NOTICES),
            ("招生考试", "公共服务/招生考试", CoEditing, FOUR_A_MONTH),
            ("人事信息", "政务公开/人事信息", Submission, YEARLY),
        ],
    },
    Dept {
        code: "wjw",
        name: "市卫生健康委",
        officer: "陈静",
        responsible: "张卫东",
        signoff: InApp,
        columns: &[
            ("卫健要闻", "部门动态/卫健要闻", Submission, NEWS),
            ("通知公告", "政务公开/通知公告", Submission, NOTICES),
            ("疾病防控", "公共服务/疾病防控", CoEditing, WEEKLY),
            ("医疗机构查询", "公共服务/医疗机构查询", Link, YEARLY),
        ],
    },
    Dept {
        code: "jtj",
        name: "市交通运输局",
        officer: "刘洋",
        responsible: "赵志刚",
        signoff: InApp,
        columns: &[
            ("交通动态", "部门动态/交通动态", Submission, NEWS),
            ("出行提示", "首页/出行提示", Submission, WEEKLY),
            ("政策文件", "政务公开/政策文件", Submission, NOTICES),
            ("规划计划", "政务公开/规划计划", Submission, YEARLY),
        ],
    },
    Dept {
        code: "rsj",
        name: "市人力资源和社会保障局",
        officer: "周敏",
        responsible: "吴海涛",
        signoff: Attested,
        columns: &[
            ("人社动态", "部门动态/人社动态", Submission, NEWS),
            ("招聘信息", "公共服务/招聘信息", Submission, FOUR_A_MONTH),
            ("人事信息", "政务公开/人事信息", Submission, YEARLY),
            ("社保政策", "政务公开/政策文件", Scraping, NOTICES),
        ],
    },
    Dept {
        code: "sthjj",
        name: "市生态环境局",
        officer: "孙丽",
        responsible: "郑国强",
        signoff: InApp,
        columns: &[
            ("环保动态", "部门动态/环保动态", Submission, NEWS),
            ("环境质量", "首页/环境质量", Scraping, WEEKLY),
            ("通知公告", "政务公开/通知公告", Submission, NOTICES),
        ],
    },
    Dept {
        code: "zjj",
        name: "市住房和城乡建设局",
        officer: "黄磊",
        responsible: "何文斌",
        signoff: Attested,
        columns: &[
            ("住建动态", "部门动态/住建动态", Submission, NEWS),
            ("通知公告", "政务公开/通知公告", Submission, NOTICES),
            ("政策文件", "政务公开/政策文件", Submission, NOTICES),
            ("保障性住房", "公共服务/保障性住房", CoEditing, MONTHLY),
            ("规划计划", "政务公开/规划计划", Submission, YEARLY),
            ("行政许可公示", "政务公开/行政许可", Link, TWO_WEEKS),
        ],
    },
    Dept {
        code: "scjgj",
        name: "市市场监督管理局",
        officer: "林芳",
        responsible: "马骏",
        signoff: InApp,
        columns: &[
            ("市场监管动态", "部门动态/市场监管动态", Submission, NEWS),
            ("抽查结果公示", "政务公开/双随机抽查", Submission, MONTHLY),
            ("消费提示", "首页/消费提示", Submission, WEEKLY),
            ("通知公告", "政务公开/通知公告", Submission, NOTICES),
        ],
    },
    Dept {
        code: "yjj",
        name: "市应急管理局",
        officer: "高峰",
        responsible: "罗小红",
        signoff: Attested,
        columns: &[
            ("应急动态", "部门动态/应急动态", Submission, NEWS),
            ("预警信息", "首页/预警信息", Submission, WEEKLY),
            ("政策文件", "政务公开/政策文件", Submission, NOTICES),
        ],
    },
    Dept {
        code: "czj",
        name: "市财政局",
        officer: "徐娜",
        responsible: "梁振华",
        signoff: InApp,
        columns: &[
            ("财政动态", "部门动态/财政动态", Submission, NEWS),
            ("预决算公开", "政务公开/预决算", Submission, YEARLY),
            ("政策文件", "政务公开/政策文件", Submission, NOTICES),
            ("政府采购", "政务公开/政府采购", Scraping, TWO_WEEKS),
        ],
    },
];

/// Published items of the past weeks, so the duty board has something to count from.
const HISTORY_TITLES: &[&str] = &[
    "关于做好2026年冬季安全生产工作的通知",
    "我市召开第四季度重点工作推进会",
    "市政府新闻办举行专题新闻发布会",
    "关于公布第二批行政许可事项清单的公告",
    "2026年度部门整体支出绩效自评报告",
];

/// Seeds an empty office. Returns every demo seat with its password.
/// The codes of the demo city's departments; their seats are `<code>.officer` and
/// `<code>.responsible`.
pub fn department_codes() -> impl Iterator<Item = &'static str> {
    CITY.iter().map(|d| d.code)
}

/// Seeds an empty office through the administration's own calls, as an administrator would have
/// set the city up sixty days ago: the first administrator, then departments, columns and seats
/// (each holder choosing a password with their one-time code), then some accepted history.
pub fn seed(store: &dyn Store, now: DateTime<Utc>) -> Result<Vec<DemoSeat>, DemoError> {
    let set_up = now - Duration::days(60);
    let mut seats = Vec::new();
    let admin_password = auth::demo_password();
    service::first_admin(
        store,
        "bjb.admin",
        "冯雪梅",
        &auth::hash_password(&admin_password)?,
        "demo",
        set_up,
    )?;
    seats.push(DemoSeat {
        login: "bjb.admin".into(),
        password: admin_password,
        role: Role::Admin,
        department: OFFICE.into(),
    });
    let admin = seat_view(store, "bjb.admin")?;
    let by = Actor {
        seat: &admin,
        address: "demo",
    };
    let mut add_seat = |login: String,
                        role: Role,
                        dept: Option<(i64, &str)>,
                        holder: &str|
     -> Result<SeatView, DemoError> {
        let change = AdminChange::CreateSeat {
            login: login.clone(),
            role,
            department_id: dept.map(|d| d.0),
            holder_name: holder.to_owned(),
            phone: String::new(),
        };
        let AdminOutcome::Code(code) = service::administer(store, &change, &by, set_up)? else {
            return Err(DemoError::MissingSeat(login));
        };
        // The holder chooses a password with the one-time code, as at a real desk.
        let password = auth::demo_password();
        let session = auth::token_hash(&auth::new_token());
        let outcome = store.redeem_seat_code(
            &login,
            &auth::token_hash(&auth::normalized_code(&code.code)),
            &auth::hash_password(&password)?,
            (&session, set_up),
            "demo",
            set_up,
        )?;
        let SeatCodeOutcome::Done(seat) = outcome else {
            return Err(DemoError::MissingSeat(login));
        };
        seats.push(DemoSeat {
            login,
            password,
            role,
            department: dept.map_or(OFFICE, |d| d.1).to_owned(),
        });
        Ok(seat)
    };
    let editor = add_seat("bjb.editor".into(), Role::Editor, None, "钱晓东")?;
    let lists = liaison_domain::preflight::WordLists {
        forbidden: ["内部资料", "绝密", "机密", "不得外传"]
            .map(str::to_owned)
            .to_vec(),
        misspellings: [
            ("按装", "安装"),
            ("既使", "即使"),
            ("做为", "作为"),
            ("再接再励", "再接再厉"),
            ("截止目前", "截至目前"),
            ("以经", "已经"),
            ("一股作气", "一鼓作气"),
        ]
        .map(|(wrong, right)| liaison_domain::preflight::Misspelling {
            wrong: wrong.to_owned(),
            right: right.to_owned(),
        })
        .to_vec(),
    };
    crate::service::duties::publish_word_lists(store, lists, &by, set_up)?;
    let calendar = liaison_domain::WorkCalendar::china_2025_2026();
    for year in calendar.years() {
        crate::service::duties::publish_calendar_year(
            store,
            year,
            &calendar.of_year(year),
            &by,
            set_up,
        )?;
    }

    for (n, dept) in CITY.iter().enumerate() {
        let created = AdminChange::CreateDepartment {
            name: dept.name.to_owned(),
        };
        let AdminOutcome::Created(dept_id) = service::administer(store, &created, &by, set_up)?
        else {
            return Err(DemoError::MissingSeat(dept.name.to_owned()));
        };
        crate::service::duties::set_signoff_policy(store, dept_id, dept.signoff, &by, set_up)?;
        let officer = add_seat(
            format!("{}.officer", dept.code),
            Role::Officer,
            Some((dept_id, dept.name)),
            dept.officer,
        )?;
        let responsible = add_seat(
            format!("{}.responsible", dept.code),
            Role::Responsible,
            Some((dept_id, dept.name)),
            dept.responsible,
        )?;
        for (c, (name, path, feed, duty)) in dept.columns.iter().enumerate() {
            let column = AdminChange::CreateColumn {
                department_id: dept_id,
                fields: ColumnInput {
                    name: (*name).to_owned(),
                    path: column_path(dept.name, path),
                    feed: *feed,
                    duty: *duty,
                    level: level_of(path, *duty),
                },
            };
            let AdminOutcome::Created(column_id) =
                service::administer(store, &column, &by, set_up)?
            else {
                return Err(DemoError::MissingSeat((*name).to_owned()));
            };
            if feed.accepts_items() && (n + c) % 2 == 0 {
                let days_ago = 1 + ((n * 7 + c * 5) % 40) as i64;
                publish_history(
                    store,
                    [&officer, &responsible, &editor],
                    column_id,
                    name,
                    n + c,
                    now - Duration::days(days_ago),
                )?;
            }
        }
    }
    Ok(seats)
}

/// The editorial office's own name, for its seats.
const OFFICE: &str = "门户网站编辑部";

/// Where a demo column sits: a column every department has (通知公告, 政策文件, 人事信息) sits
/// under its department, e.g. 政务公开/市教育局/通知公告, so that every path is the city's one.
fn column_path(department: &str, path: &str) -> String {
    let shared = CITY
        .iter()
        .flat_map(|d| d.columns.iter())
        .filter(|c| c.1 == path)
        .count()
        > 1;
    match path.split_once('/') {
        Some((section, rest)) if shared => format!("{section}/{department}/{rest}"),
        _ => path.to_owned(),
    }
}

/// Home-page columns, news and the notices and policy documents are first-level columns.
fn level_of(path: &str, duty: DutyRule) -> ColumnLevel {
    if path.starts_with("首页") || duty == DutyRule::NEWS || duty == DutyRule::NOTICES {
        ColumnLevel::First
    } else {
        ColumnLevel::Second
    }
}

fn seat_view(store: &dyn Store, login: &str) -> Result<SeatView, DemoError> {
    store
        .seat_credentials(login)?
        .map(|c| c.seat)
        .ok_or_else(|| DemoError::MissingSeat(login.to_owned()))
}

/// One item sent, signed off (in the app, or attested on paper) and accepted.
fn publish_history(
    store: &dyn Store,
    [officer, responsible, editor]: [&SeatView; 3],
    column_id: i64,
    column_name: &str,
    n: usize,
    at: DateTime<Utc>,
) -> Result<(), DemoError> {
    let title = HISTORY_TITLES[n % HISTORY_TITLES.len()];
    let request = SubmitItemRequest {
        attachments: Vec::new(),
        attestation: None,
        draft_key: format!("demo-history-{}-{column_id}", officer.id),
        version: 1,
        column_id,
        title: title.to_owned(),
        body_html: format!(
            "<h2>{title}</h2><p>（{column_name}栏目示例稿件，由演示数据生成。）</p>"
        ),
        commission_id: None,
    };
    let key = format!("demo-history-{column_id}");
    let outcome = crate::service::items::submit(
        store,
        NewItem {
            seat: officer,
            address: "demo",
            idempotency_key: &key,
            payload_sha256: &payload_digest(&request),
            request: &request,
            now: at,
        },
    )?;
    if let SubmitOutcome::Created(r) = outcome {
        let url = format!(
            "https://portal.demo-city.example/{}/{}.html",
            officer.department.id, r.id
        );
        if r.state == liaison_domain::ItemState::AwaitingSignoff {
            let by = Actor {
                seat: responsible,
                address: "demo",
            };
            crate::service::items::review(
                store,
                r.id,
                &Review::Approve,
                &by,
                at + Duration::hours(1),
            )?;
        }
        crate::service::items::review(
            store,
            r.id,
            &Review::Accept {
                published_url: url,
                published_at: at + Duration::hours(3),
            },
            &Actor {
                seat: editor,
                address: "demo",
            },
            at + Duration::hours(3),
        )?;
    }
    Ok(())
}

/// Writes `demo-seats.json` (mode 0600 on Unix: it holds passwords).
pub fn write_seats_file(path: &Path, seats: &[DemoSeat]) -> Result<(), DemoError> {
    let write_err = |source| DemoError::Write {
        path: path.display().to_string(),
        source,
    };
    let json = serde_json::to_vec_pretty(seats).map_err(|e| write_err(std::io::Error::other(e)))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(write_err)?;
    std::io::Write::write_all(&mut file, &json).map_err(write_err)?;
    file.sync_all().map_err(write_err)
}
