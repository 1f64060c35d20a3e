//! The authorisation matrix: every route of the API and of the console, called by every role of
//! the item's own department and of another one, by the editorial office and by nobody, on items
//! in every state and on another seat's things. One table says who may call each route; the
//! routes come from the router's own tables, so a route added without a row fails this test.
//!
//! "May call" means the office does not refuse the caller: the answer is not 401, 403 or 404 (it
//! may still be 409 or 422 for what was asked). A refusal is 401, 403 or 404; the editorial office
//! asking about an item that has not left its department always gets 404, as if it did not exist.

use std::collections::{BTreeSet, HashMap};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;

use common::{Office, office_with, png, sha256_hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Nobody,
    OfficerA,
    ResponsibleA,
    OfficerB,
    ResponsibleB,
    Editor,
    Admin,
}

const EVERYONE: [Who; 7] = [
    Who::Nobody,
    Who::OfficerA,
    Who::ResponsibleA,
    Who::OfficerB,
    Who::ResponsibleB,
    Who::Editor,
    Who::Admin,
];

impl Who {
    /// Department A (市教育局, signs off in the app) owns every item, upload and seat the routes
    /// are called on; department B (市财政局) is the other department.
    fn login(self) -> Option<&'static str> {
        match self {
            Who::Nobody => None,
            Who::OfficerA => Some("jyj.officer"),
            Who::ResponsibleA => Some("jyj.responsible"),
            Who::OfficerB => Some("czj.officer"),
            Who::ResponsibleB => Some("czj.responsible"),
            Who::Editor => Some("bjb.editor"),
            Who::Admin => Some("bjb.admin"),
        }
    }
    fn office(self) -> bool {
        matches!(self, Who::Editor | Who::Admin)
    }
    fn department(self) -> bool {
        !self.office() && self != Who::Nobody
    }
}

/// The states an item is called on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum State {
    AwaitingSignoff,
    ReturnedByDepartment,
    Delivered,
    ReturnedByOffice,
    Accepted,
    Rejected,
}

const STATES: [State; 6] = [
    State::AwaitingSignoff,
    State::ReturnedByDepartment,
    State::Delivered,
    State::ReturnedByOffice,
    State::Accepted,
    State::Rejected,
];

impl State {
    /// Whether the item has left its department (the editorial office has it).
    fn left(self) -> bool {
        !matches!(self, State::AwaitingSignoff | State::ReturnedByDepartment)
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Every signed-in seat.
    Seat,
    /// A department's seats (on their own seat's things).
    DepartmentSeat,
    /// The officer of the department the column belongs to.
    OwnOfficer,
    Responsible,
    /// Editors and administrators.
    Office,
    Admin,
    /// Item routes: the item's own department in any state; the office once it left.
    SeeItem,
    /// The department's responsible person (the state decides the rest: 409).
    Approve,
    /// The office once the item left its department.
    Decide,
    /// As `Decide`, and the department's responsible person while the item awaits sign-off.
    Return,
    /// The seat that uploaded the file.
    OwnUpload,
    /// A seat's own record, or the office.
    OwnSeatOrOffice,
    /// The office, and the seats of the department a commissioned request names (A).
    CommissionTarget,
    /// The outgoing holder of the handover.
    OutgoingHolder,
    /// A department's seat for its own seat, the administrator for any (a forced handover).
    StartHandover,
}

fn may(rule: Rule, who: Who, state: Option<State>) -> bool {
    let left = state.is_some_and(State::left);
    let awaiting = state == Some(State::AwaitingSignoff);
    let own = matches!(who, Who::OfficerA | Who::ResponsibleA);
    match rule {
        Rule::Public => true,
        Rule::Seat => who != Who::Nobody,
        Rule::DepartmentSeat | Rule::StartHandover if who.department() => true,
        Rule::DepartmentSeat => false,
        Rule::StartHandover => who == Who::Admin,
        Rule::OwnOfficer => who == Who::OfficerA,
        Rule::Responsible => matches!(who, Who::ResponsibleA | Who::ResponsibleB),
        Rule::Office => who.office(),
        Rule::Admin => who == Who::Admin,
        Rule::SeeItem => own || (who.office() && left),
        Rule::Approve => who == Who::ResponsibleA,
        Rule::Decide => who.office() && left,
        Rule::Return => (who.office() && left) || (who == Who::ResponsibleA && awaiting),
        Rule::OwnUpload | Rule::OutgoingHolder => who == Who::OfficerA,
        Rule::OwnSeatOrOffice => who == Who::OfficerA || who.office(),
        Rule::CommissionTarget => own || who.office(),
    }
}

/// Every API route and who may call it.
const API: &[(&str, &str, Rule)] = &[
    ("POST", "/sessions", Rule::Public),
    ("GET", "/sessions/current", Rule::Seat),
    ("DELETE", "/sessions/current", Rule::Seat),
    ("GET", "/openapi.json", Rule::Public),
    ("GET", "/columns", Rule::Seat),
    ("GET", "/calendar", Rule::Seat),
    ("PUT", "/calendar/{year}", Rule::Admin),
    ("GET", "/wordlists", Rule::Seat),
    ("PUT", "/wordlists", Rule::Admin),
    ("GET", "/board", Rule::Seat),
    ("GET", "/changes", Rule::Seat),
    ("GET", "/timeliness", Rule::Office),
    ("POST", "/columns/{id}/urge", Rule::Office),
    ("POST", "/columns/{id}/updates", Rule::Office),
    ("GET", "/commissions", Rule::Seat),
    ("POST", "/commissions", Rule::Office),
    ("GET", "/commissions/{id}", Rule::CommissionTarget),
    ("POST", "/commissions/{id}/extend", Rule::Office),
    ("POST", "/commissions/{id}/withdraw", Rule::Office),
    ("GET", "/standing", Rule::DepartmentSeat),
    ("GET", "/departments", Rule::Office),
    ("PUT", "/departments/{id}/signoff", Rule::Admin),
    ("POST", "/uploads", Rule::DepartmentSeat),
    ("GET", "/uploads/{sha256}", Rule::OwnUpload),
    ("PATCH", "/uploads/{sha256}", Rule::OwnUpload),
    ("GET", "/uploads/{sha256}/content", Rule::OwnUpload),
    ("GET", "/drafts", Rule::DepartmentSeat),
    ("PUT", "/drafts/{draft_key}", Rule::DepartmentSeat),
    ("GET", "/items", Rule::DepartmentSeat),
    ("POST", "/items", Rule::OwnOfficer),
    ("GET", "/signoffs", Rule::Responsible),
    ("GET", "/inbox", Rule::Office),
    ("GET", "/inbox/counts", Rule::Office),
    ("GET", "/items/{id}", Rule::SeeItem),
    ("GET", "/items/{id}/files/{sha256}", Rule::SeeItem),
    ("POST", "/items/{id}/comments", Rule::SeeItem),
    ("POST", "/items/{id}/approve", Rule::Approve),
    ("POST", "/items/{id}/accept", Rule::Decide),
    ("POST", "/items/{id}/reject", Rule::Decide),
    ("POST", "/items/{id}/return", Rule::Return),
    ("GET", "/seats", Rule::Office),
    ("GET", "/seats/{id}/holders", Rule::OwnSeatOrOffice),
    ("GET", "/audit", Rule::Admin),
    ("GET", "/handovers", Rule::Seat),
    ("POST", "/handovers", Rule::StartHandover),
    ("POST", "/handovers/{id}/approve", Rule::Admin),
    ("GET", "/handovers/{id}/code", Rule::OutgoingHolder),
    ("POST", "/handovers/{id}/decline", Rule::Admin),
    ("POST", "/handovers/redeem", Rule::Public),
    ("GET", "/admin/organisation", Rule::Admin),
    ("POST", "/admin/organisation/import", Rule::Admin),
    ("POST", "/admin/departments", Rule::Admin),
    ("PUT", "/admin/departments/{id}", Rule::Admin),
    ("POST", "/admin/departments/{id}/retire", Rule::Admin),
    ("POST", "/admin/columns", Rule::Admin),
    ("PUT", "/admin/columns/{id}", Rule::Admin),
    ("POST", "/admin/columns/{id}/move", Rule::Admin),
    ("POST", "/admin/columns/{id}/retire", Rule::Admin),
    ("POST", "/admin/columns/{id}/restore", Rule::Admin),
    ("POST", "/admin/seats", Rule::Admin),
    ("POST", "/admin/seats/{id}/disable", Rule::Admin),
    ("POST", "/admin/seats/{id}/enable", Rule::Admin),
    ("POST", "/admin/seats/{id}/password-reset", Rule::Admin),
    ("POST", "/admin/seats/{id}/sign-out", Rule::Admin),
];

/// Every console route and who may call it (the console is the office's: a department's seat
/// with a session cookie is sent to the sign-in page like nobody).
const CONSOLE: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::Public),
    ("GET", "/console.css", Rule::Public),
    ("GET", "/sign-in", Rule::Public),
    ("POST", "/sign-in", Rule::Public),
    ("GET", "/inbox", Rule::Office),
    ("GET", "/items/{id}", Rule::Decide),
    ("GET", "/items/{id}/files/{sha256}", Rule::Decide),
    ("POST", "/items/{id}/accept", Rule::Decide),
    ("POST", "/items/{id}/return", Rule::Decide),
    ("POST", "/items/{id}/reject", Rule::Decide),
    ("POST", "/items/{id}/comment", Rule::Decide),
    ("GET", "/commissions", Rule::Office),
    ("POST", "/commissions", Rule::Office),
    ("GET", "/commissions/{id}", Rule::Office),
    ("POST", "/commissions/{id}/extend", Rule::Office),
    ("POST", "/commissions/{id}/withdraw", Rule::Office),
    ("GET", "/ranking", Rule::Office),
    ("GET", "/ranking/departments/{id}", Rule::Office),
    ("GET", "/ranking/export.csv", Rule::Office),
    ("GET", "/ranking/export.xlsx", Rule::Office),
    ("GET", "/ranking/scheme", Rule::Office),
    ("POST", "/ranking/scheme", Rule::Admin),
    ("GET", "/watch", Rule::Office),
    ("POST", "/watch/columns/{id}/urge", Rule::Office),
    ("POST", "/watch/columns/{id}/update", Rule::Office),
    ("POST", "/watch/departments/{id}/urge", Rule::Office),
    ("GET", "/departments", Rule::Office),
    ("POST", "/departments/{id}/signoff", Rule::Admin),
    ("GET", "/seats", Rule::Office),
    ("POST", "/handovers/force", Rule::Admin),
    ("POST", "/handovers/{id}/approve", Rule::Admin),
    ("POST", "/handovers/{id}/decline", Rule::Admin),
    ("POST", "/sign-out", Rule::Office),
    ("GET", "/organisation", Rule::Office),
    ("POST", "/organisation/departments", Rule::Admin),
    ("POST", "/organisation/departments/{id}", Rule::Admin),
    ("POST", "/organisation/columns", Rule::Admin),
    ("POST", "/organisation/columns/{id}", Rule::Admin),
    ("POST", "/organisation/seats", Rule::Admin),
    ("POST", "/organisation/seats/{id}", Rule::Admin),
    ("GET", "/organisation/import", Rule::Admin),
    ("POST", "/organisation/import", Rule::Admin),
    ("GET", "/calendar", Rule::Office),
    ("POST", "/calendar", Rule::Admin),
    ("GET", "/wordlists", Rule::Office),
    ("POST", "/wordlists", Rule::Admin),
];

fn listed(table: &[(&str, &str, Rule)]) -> BTreeSet<(String, String)> {
    table
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect()
}

fn served(routes: Vec<liaison_office::routes::RouteEntry>) -> BTreeSet<(String, String)> {
    routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_owned()))
        .collect()
}

#[test]
fn every_route_has_a_row_in_the_matrix() {
    assert_eq!(
        served(liaison_office::api::api_routes()),
        listed(API),
        "API routes and matrix rows differ"
    );
    assert_eq!(
        served(liaison_office::console::routes()),
        listed(CONSOLE),
        "console routes and matrix rows differ"
    );
}

/// What the routes are called on: department A's things, made fresh where a call changes them.
struct World {
    o: Office,
    tokens: HashMap<Who, String>,
    seat_ids: HashMap<Who, i64>,
    department_a: i64,
    column_a: i64,
    scraped_column: i64,
    /// Officer A's complete upload (a PNG every item carries).
    sha: String,
    png: Vec<u8>,
    /// One item in each state, for the routes that only read.
    items: HashMap<State, i64>,
    /// Officer A's and responsible A's handovers (requested).
    handovers: Vec<i64>,
    /// A commissioned request naming department A.
    commission: i64,
    sent: u32,
    /// What the administration routes change: a department of its own with a column and a
    /// seat, so that retiring, moving and disabling leave department A as it is.
    spare: Spare,
}

struct Spare {
    department: i64,
    column: i64,
    seat: i64,
    /// Creations need fresh names.
    made: u32,
}

impl World {
    async fn new() -> World {
        // The matrix sends far more than a person would: no write limits here (tests/limits.rs).
        let o = office_with(|s| {
            s.with_limits(liaison_office::Limits {
                writes: liaison_office::limits::WriteRates::unlimited(),
                min_free_bytes: 0,
                ..Default::default()
            })
        })
        .await;
        let mut tokens = HashMap::new();
        for who in EVERYONE {
            if let Some(login) = who.login() {
                tokens.insert(who, o.sign_in(login).await);
            }
        }
        let (_, seats) = o.get(&tokens[&Who::Editor], "/seats").await;
        let seat_ids = EVERYONE
            .iter()
            .filter_map(|who| {
                let login = who.login()?;
                let seat = seats.as_array()?.iter().find(|s| s["login"] == login)?;
                Some((*who, seat["id"].as_i64()?))
            })
            .collect();
        let (_, columns) = o.get(&tokens[&Who::OfficerA], "/columns").await;
        let column = columns
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["feed"] == "submission")
            .unwrap()
            .clone();
        let (_, columns_b) = o.get(&tokens[&Who::OfficerB], "/columns").await;
        let scraped = columns_b
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["feed"] == "scraping")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let png = png(96, 9);
        let sha = sha256_hex(&png);
        let mut world = World {
            department_a: column["department_id"].as_i64().unwrap(),
            column_a: column["id"].as_i64().unwrap(),
            scraped_column: scraped,
            o,
            tokens,
            seat_ids,
            sha,
            png,
            items: HashMap::new(),
            handovers: Vec::new(),
            commission: 0,
            sent: 0,
            spare: Spare {
                department: 0,
                column: 0,
                seat: 0,
                made: 0,
            },
        };
        world.spare = world.spare().await;
        let (status, posted) = world
            .o
            .post(
                world.token(Who::Editor).unwrap(),
                "/commissions",
                json!({"topic": "矩阵约稿", "departments": [world.department_a],
                       "deadline": {"kind": "working_days", "value": 5}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{posted}");
        world.commission = posted["id"].as_i64().unwrap();
        world.upload().await;
        for state in STATES {
            let id = world.item_in(state).await;
            world.items.insert(state, id);
        }
        world
    }

    async fn spare(&self) -> Spare {
        let admin = self.token(Who::Admin).unwrap();
        let (status, d) = self
            .o
            .post(admin, "/admin/departments", json!({"name": "矩阵备用局"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        let department = d["id"].as_i64().unwrap();
        let (status, c) = self
            .o
            .post(
                admin,
                "/admin/columns",
                json!({"department_id": department, "name": "备用栏目", "path": "矩阵/备用栏目",
                       "feed": "submission", "duty": {"kind": "max_gap", "amount": 1, "unit": "months"}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{c}");
        let (status, seat) = self
            .o
            .post(
                admin,
                "/admin/seats",
                json!({"login": "spare.officer", "role": "officer", "department_id": department,
                       "holder_name": "备用"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{seat}");
        Spare {
            department,
            column: c["id"].as_i64().unwrap(),
            seat: seat["seat_id"].as_i64().unwrap(),
            made: 0,
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }

    async fn upload(&self) {
        let officer = self.token(Who::OfficerA).unwrap();
        let (status, body) = self.o.upload(officer, &self.png, "图.png").await;
        assert_eq!(
            (status, body["complete"].as_bool()),
            (StatusCode::OK, Some(true))
        );
    }

    /// A fresh item of department A's officer in `state`.
    async fn item_in(&mut self, state: State) -> i64 {
        self.sent += 1;
        let key = format!("matrix-{}", self.sent);
        let officer = self.token(Who::OfficerA).unwrap().to_owned();
        let r = self
            .o
            .http
            .post(format!("{}/items", self.o.base))
            .bearer_auth(&officer)
            .header("Idempotency-Key", &key)
            .json(&self.item_body(&key))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let responsible = self.token(Who::ResponsibleA).unwrap().to_owned();
        let editor = self.token(Who::Editor).unwrap().to_owned();
        let step = |who: &str, path: String, body: Value| {
            let o = &self.o;
            let who = who.to_owned();
            async move {
                let (status, answer) = o.post(&who, &path, body).await;
                assert_eq!(status, StatusCode::OK, "{path}: {answer}");
            }
        };
        if state == State::ReturnedByDepartment {
            step(
                &responsible,
                format!("/items/{id}/return"),
                json!({"comment": "改"}),
            )
            .await;
        }
        if state.left() {
            step(&responsible, format!("/items/{id}/approve"), Value::Null).await;
        }
        match state {
            State::ReturnedByOffice => {
                step(
                    &editor,
                    format!("/items/{id}/return"),
                    json!({"comment": "改"}),
                )
                .await
            }
            State::Accepted => {
                let body = json!({"published_url": "https://portal.example/a.html"});
                step(&editor, format!("/items/{id}/accept"), body).await
            }
            State::Rejected => {
                step(
                    &editor,
                    format!("/items/{id}/reject"),
                    json!({"reason": "不用"}),
                )
                .await
            }
            _ => {}
        }
        id
    }

    fn item_body(&self, key: &str) -> Value {
        json!({"draft_key": key, "version": 1, "column_id": self.column_a, "title": "矩阵稿件",
               "body_html": format!(r#"<p>正文</p><img src="liaison-file:{}" alt="图">"#, self.sha),
               "attachments": [{"sha256": self.sha, "name": "图.png", "size": self.png.len(),
                                "mime": "image/png"}]})
    }

    /// The path with its parameters filled for this call, and its body.
    async fn call_for(
        &mut self,
        method: &str,
        path: &str,
        who: Who,
        item: Option<i64>,
    ) -> (String, Value) {
        let mut filled = path
            .replace("{sha256}", &self.sha)
            .replace("{year}", "2027")
            .replace("{draft_key}", "matrix-draft");
        if let Some(item) = item {
            filled = filled.replace("{id}", &item.to_string());
        }
        let filled = match path {
            p if p.starts_with("/admin/departments/{id}") => {
                p.replace("{id}", &self.spare.department.to_string())
            }
            p if p.starts_with("/admin/columns/{id}") => {
                p.replace("{id}", &self.spare.column.to_string())
            }
            p if p.starts_with("/admin/seats/{id}") => {
                p.replace("{id}", &self.spare.seat.to_string())
            }
            p if p.starts_with("/commissions/{id}") => {
                p.replace("{id}", &self.commission.to_string())
            }
            p if p.starts_with("/columns/{id}/updates") => {
                p.replace("{id}", &self.scraped_column.to_string())
            }
            p if p.starts_with("/columns/{id}") => p.replace("{id}", &self.column_a.to_string()),
            p if p.starts_with("/departments/{id}") => {
                p.replace("{id}", &self.department_a.to_string())
            }
            p if p.starts_with("/seats/{id}") => {
                p.replace("{id}", &self.seat_ids[&Who::OfficerA].to_string())
            }
            "/handovers/{id}/approve" | "/handovers/{id}/code" => {
                path.replace("{id}", &self.handovers[0].to_string())
            }
            "/handovers/{id}/decline" => path.replace("{id}", &self.handovers[1].to_string()),
            "/board" => format!("/board?department_id={}", self.department_a),
            "/admin/organisation/import" => format!("{path}?file_name=organisation.csv"),
            _ => filled,
        };
        let body = match (method, path) {
            ("POST", "/sessions") => {
                json!({"login": "jyj.officer", "password": self.o.password("jyj.officer")})
            }
            ("PUT", "/calendar/{year}") => {
                json!({"holidays": ["2027-01-01"], "working_weekends": []})
            }
            ("PUT", "/wordlists") => json!({"forbidden": ["绝密"], "misspellings": []}),
            ("POST", "/columns/{id}/urge") => json!({"message": "请报送"}),
            ("POST", "/commissions") => {
                json!({"topic": "矩阵约稿", "departments": [self.department_a],
                       "deadline": {"kind": "working_days", "value": 3}})
            }
            ("POST", "/commissions/{id}/extend") => {
                json!({"deadline": {"kind": "working_days", "value": 20}})
            }
            ("PUT", "/departments/{id}/signoff") => json!({"signoff": "in_app"}),
            // Another file: officer A's own upload stays the only one of its digest.
            ("POST", "/uploads") => {
                json!({"sha256": sha256_hex(b"another file"), "size": 12, "name": "另.png"})
            }
            ("PUT", "/drafts/{draft_key}") => {
                json!({"version": 1, "title": "草稿", "body_html": "<p>草稿</p>", "attachments": []})
            }
            ("POST", "/items") => {
                self.sent += 1;
                self.item_body(&format!("matrix-{}", self.sent))
            }
            ("POST", "/items/{id}/comments") => json!({"text": "请核实"}),
            ("POST", "/items/{id}/accept") => {
                json!({"published_url": "https://portal.example/b.html"})
            }
            ("POST", "/items/{id}/reject") => json!({"reason": "不用"}),
            ("POST", "/items/{id}/return") => json!({"comment": "改"}),
            ("POST", "/handovers") => {
                let mut body = json!({"successor": {"name": "周敏", "staff_no": "JY-0427", "phone": "13800001234"}});
                if who == Who::Admin {
                    body["seat_id"] = json!(self.seat_ids[&Who::OfficerB]);
                }
                body
            }
            ("POST", "/handovers/{id}/approve") => json!({"outgoing": "keep_read_only"}),
            ("POST", "/handovers/{id}/decline") => json!({"reason": "人未定"}),
            ("POST", "/admin/departments") | ("PUT", "/admin/departments/{id}") => {
                self.spare.made += 1;
                json!({"name": format!("矩阵新局{}", self.spare.made)})
            }
            ("POST", "/admin/columns") | ("PUT", "/admin/columns/{id}") => {
                self.spare.made += 1;
                let mut body = json!({"name": "新栏目",
                       "path": format!("矩阵/新栏目{}", self.spare.made), "feed": "link",
                       "duty": {"kind": "min_count", "count": 2, "period": "month"}, "level": "first"});
                if method == "POST" {
                    body["department_id"] = json!(self.spare.department);
                }
                body
            }
            ("POST", "/admin/columns/{id}/move") => json!({"department_id": self.department_a}),
            ("POST", "/admin/seats") => {
                self.spare.made += 1;
                json!({"login": format!("matrix.seat{}", self.spare.made), "role": "editor",
                       "holder_name": "新编辑"})
            }
            ("POST", "/handovers/redeem") => {
                json!({"login": "jyj.officer", "code": "AAAA-BBBB-CCCC", "new_password": "a new pass 123"})
            }
            _ => Value::Null,
        };
        (filled, body)
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> StatusCode {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .o
            .http
            .request(method.clone(), format!("{}{path}", self.o.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if path == format!("/uploads/{}", self.sha) && method == Method::PATCH {
            req = req
                .header("Upload-Offset", "0")
                .header("content-type", "application/offset+octet-stream")
                .body(self.png.clone());
        } else if method != Method::GET && method != Method::DELETE {
            req = req.json(&body);
        }
        if path == "/items" && method == Method::POST {
            self.sent += 1;
            req = req.header("Idempotency-Key", format!("matrix-key-{}", self.sent));
        }
        req.send().await.unwrap().status()
    }
}

/// One check: allowed callers are not refused; refused callers are, and the office is told an
/// item that has not left its department does not exist.
fn check(
    failures: &mut Vec<String>,
    route: &str,
    who: Who,
    state: Option<State>,
    allowed: bool,
    status: StatusCode,
) {
    let refusal = matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    );
    let hidden = who.office() && state.is_some_and(|s| !s.left());
    let ok = if status.is_server_error() {
        false
    } else if allowed {
        !refusal
    } else if who == Who::Nobody {
        status == StatusCode::UNAUTHORIZED
    } else if hidden {
        status == StatusCode::NOT_FOUND
    } else {
        refusal
    };
    if !ok {
        failures.push(format!(
            "{route} as {who:?}{}: {status} (should be {})",
            state
                .map(|s| format!(" on an item {s:?}"))
                .unwrap_or_default(),
            if allowed { "allowed" } else { "refused" }
        ));
    }
}

#[tokio::test]
async fn every_api_route_answers_every_role_department_seat_and_item_state_as_the_matrix_says() {
    let mut w = World::new().await;
    let mut failures = Vec::new();
    for (method, path, rule) in API {
        let route = format!("{method} {path}");
        let item_route = path.starts_with("/items/{id}");
        let changes_item = item_route && *method == "POST";
        let states: Vec<Option<State>> = if item_route {
            STATES.iter().copied().map(Some).collect()
        } else {
            vec![None]
        };
        if *path == "/handovers/{id}/approve" {
            // The handovers approve, code and decline are called on (started by A's seats).
            let (_, list) = w.o.get(w.token(Who::Admin).unwrap(), "/handovers").await;
            let requested = |login: &str| {
                list.as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["seat_login"] == login && h["state"] == "requested")
                    .and_then(|h| h["id"].as_i64())
            };
            w.handovers = vec![
                requested("jyj.officer").unwrap(),
                requested("jyj.responsible").unwrap(),
            ];
        }
        for state in states {
            for who in EVERYONE {
                let item = match state {
                    Some(s) if changes_item => Some(w.item_in(s).await),
                    Some(s) => Some(w.items[&s]),
                    None => None,
                };
                // Signing out ends the session it is called with: a fresh one for it.
                let token = match (who.login(), *method == "DELETE") {
                    (Some(login), true) => Some(w.o.sign_in(login).await),
                    (_, _) => w.token(who).map(str::to_owned),
                };
                let (filled, body) = w.call_for(method, path, who, item).await;
                let status = w.send(method, &filled, token.as_deref(), body).await;
                check(
                    &mut failures,
                    &route,
                    who,
                    state,
                    may(*rule, who, state),
                    status,
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} refusals wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_console_page_and_form_answers_as_the_matrix_says() {
    let mut w = World::new().await;
    // Two requested handovers of department B for the console's approve and decline.
    for login in ["czj.officer", "czj.responsible"] {
        let token = w.o.sign_in(login).await;
        let body =
            json!({"successor": {"name": "周敏", "staff_no": "CZ-1", "phone": "13800001234"}});
        let (status, view) = w.o.post(&token, "/handovers", body).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
        w.handovers.push(view["id"].as_i64().unwrap());
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let root = w.o.base.trim_end_matches("/api/v1").to_owned();
    let mut failures = Vec::new();
    for (method, path, rule) in CONSOLE {
        let route = format!("{method} {path}");
        let states: Vec<Option<State>> = if path.starts_with("/items/{id}") {
            STATES.iter().copied().map(Some).collect()
        } else {
            vec![None]
        };
        for state in states {
            for who in EVERYONE {
                let item = match state {
                    Some(s) if *method == "POST" => Some(w.item_in(s).await),
                    Some(s) => Some(w.items[&s]),
                    None => None,
                };
                // A department's seat with a session cookie: the console takes any session.
                let token = match (who.login(), *path == "/sign-out") {
                    (Some(login), true) => Some(w.o.sign_in(login).await),
                    _ => w.token(who).map(str::to_owned),
                };
                let csrf = token
                    .as_deref()
                    .map(liaison_office::console::form_token)
                    .unwrap_or_default();
                let filled = path.replace("{sha256}", &w.sha).replace(
                    "{id}",
                    &match *path {
                        "/departments/{id}/signoff" => w.department_a,
                        "/handovers/{id}/approve" => w.handovers[0],
                        "/handovers/{id}/decline" => w.handovers[1],
                        "/organisation/departments/{id}" => w.spare.department,
                        "/organisation/columns/{id}" => w.spare.column,
                        "/organisation/seats/{id}" => w.spare.seat,
                        p if p.starts_with("/commissions/{id}") => w.commission,
                        "/ranking/departments/{id}" => w.department_a,
                        _ => item.unwrap_or_default(),
                    }
                    .to_string(),
                );
                let mut form: Vec<(&str, String)> = vec![("csrf", csrf)];
                match *path {
                    "/sign-in" => {
                        form = vec![
                            ("login", "bjb.editor".into()),
                            ("password", w.o.password("bjb.editor")),
                        ]
                    }
                    "/items/{id}/accept" => form.extend([
                        ("published_url", "https://portal.example/c.html".into()),
                        ("published_at", String::new()),
                    ]),
                    "/items/{id}/return" => {
                        form.extend([("comment", "改".into()), ("quote", String::new())])
                    }
                    "/items/{id}/reject" => form.push(("reason", "不用".into())),
                    "/items/{id}/comment" => {
                        form.extend([("text", "请核实".into()), ("quote", String::new())])
                    }
                    "/departments/{id}/signoff" => form.push(("signoff", "in_app".into())),
                    "/ranking/scheme" => form.extend([
                        ("accepted_item", "1".into()),
                        ("accepted_first_level", "3".into()),
                        ("commission_in_time", "5".into()),
                        ("commission_missed", "-10".into()),
                        ("overdue_column_day", "-1".into()),
                        ("flagged_week", "-5".into()),
                        ("urges_flagging_a_week", "2".into()),
                    ]),
                    "/commissions" => form.extend([
                        ("topic", "控制台约稿".into()),
                        ("departments", w.department_a.to_string()),
                        ("deadline", "working_days".into()),
                        ("working_days", "3".into()),
                    ]),
                    "/commissions/{id}/extend" => {
                        form.extend([("deadline", "date".into()), ("date", "2027-01-29".into())])
                    }
                    "/handovers/force" => form.extend([
                        ("seat_id", w.seat_ids[&Who::ResponsibleB].to_string()),
                        ("name", "周敏".into()),
                        ("staff_no", "CZ-2".into()),
                        ("phone", "13800001234".into()),
                        ("reason", "离职".into()),
                    ]),
                    "/handovers/{id}/approve" => form.push(("outgoing", "keep_read_only".into())),
                    "/handovers/{id}/decline" => form.push(("reason", "人未定".into())),
                    "/organisation/departments" | "/organisation/departments/{id}" => {
                        w.spare.made += 1;
                        form.extend([
                            ("action", "rename".into()),
                            ("name", format!("控制台新局{}", w.spare.made)),
                        ])
                    }
                    "/organisation/columns" | "/organisation/columns/{id}" => {
                        w.spare.made += 1;
                        form.extend([
                            ("action", "update".into()),
                            ("department_id", w.spare.department.to_string()),
                            ("name", "控制台栏目".into()),
                            ("path", format!("控制台/栏目{}", w.spare.made)),
                            ("feed", "submission".into()),
                            ("duty", "count".into()),
                            ("count", "3".into()),
                            ("period", "quarter".into()),
                            ("level", "second".into()),
                        ])
                    }
                    "/organisation/seats" => {
                        w.spare.made += 1;
                        form.extend([
                            ("login", format!("console.seat{}", w.spare.made)),
                            ("role", "officer".into()),
                            ("department_id", w.spare.department.to_string()),
                            ("holder_name", "控制台新人".into()),
                        ])
                    }
                    "/organisation/seats/{id}" => form.push(("action", "sign_out".into())),
                    "/calendar" => form.extend([
                        ("year", "2027".into()),
                        ("holidays", "1月1日".into()),
                        ("working_weekends", String::new()),
                    ]),
                    "/wordlists" => form.extend([
                        ("forbidden", "绝密".into()),
                        ("misspellings", "按装 → 安装".into()),
                    ]),
                    _ => {}
                }
                let url = format!("{root}{filled}");
                let mut req = if *method == "POST" {
                    client.post(url).form(&form)
                } else {
                    client.get(url)
                };
                if let Some(t) = &token {
                    req = req.header(
                        "cookie",
                        format!("{}={t}", liaison_office::console::SESSION_COOKIE),
                    );
                }
                let r = req.send().await.unwrap();
                let status = if *path == "/sign-out" {
                    // Signing out answers with the sign-in page either way: what counts is
                    // whether the session ended.
                    match &token {
                        None => StatusCode::UNAUTHORIZED,
                        Some(t) if w.o.get(t, "/sessions/current").await.0 == StatusCode::OK => {
                            StatusCode::FORBIDDEN
                        }
                        Some(_) => StatusCode::OK,
                    }
                } else if r.status().is_redirection()
                    && r.headers().get("location").is_some_and(|l| l == "/sign-in")
                {
                    // The console sends whoever it does not serve to its sign-in page.
                    if who.department() {
                        StatusCode::FORBIDDEN
                    } else {
                        StatusCode::UNAUTHORIZED
                    }
                } else {
                    r.status()
                };
                check(
                    &mut failures,
                    &route,
                    who,
                    state,
                    may(*rule, who, state),
                    status,
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} refusals wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
