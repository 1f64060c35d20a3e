//! The administration of the organisation over the API: every operation, what its departments'
//! desks learn through the change log, and the rules it refuses by.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;

use common::{Office, office};

/// The administrator's token and the whole organisation as the API answers it.
async fn organisation(o: &Office, admin: &str) -> Value {
    let (status, org) = o.get(admin, "/admin/organisation").await;
    assert_eq!(status, StatusCode::OK, "{org}");
    org
}

fn id_of(list: &Value, field: &str, value: &str) -> i64 {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x[field] == value)
        .unwrap_or_else(|| panic!("no {field} = {value}"))["id"]
        .as_i64()
        .unwrap()
}

async fn put(o: &Office, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    o.call(Method::PUT, Some(token), path, body).await
}

/// Creates a department with an officer seat whose holder chose a password with the code.
async fn department_with_officer(
    o: &Office,
    admin: &str,
    name: &str,
    login: &str,
) -> (i64, String) {
    let (status, d) = o
        .post(admin, "/admin/departments", json!({"name": name}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let department = d["id"].as_i64().unwrap();
    let (status, code) = o
        .post(
            admin,
            "/admin/seats",
            json!({"login": login, "role": "officer", "department_id": department,
                   "holder_name": "林小雨", "phone": "0571-8765 4321"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (status, signed_in) =
        redeem(o, login, code["code"].as_str().unwrap(), "Xinmima-2026").await;
    assert_eq!(status, StatusCode::CREATED, "{signed_in}");
    (department, signed_in["token"].as_str().unwrap().to_owned())
}

async fn redeem(o: &Office, login: &str, code: &str, password: &str) -> (StatusCode, Value) {
    o.call(
        Method::POST,
        None,
        "/handovers/redeem",
        json!({"login": login, "code": code, "new_password": password}),
    )
    .await
}

fn column(department_id: i64, name: &str, path: &str) -> Value {
    json!({"department_id": department_id, "name": name, "path": path, "feed": "submission",
           "duty": {"kind": "max_gap", "amount": 1, "unit": "working_days"}, "level": "first"})
}

async fn board_names(o: &Office, token: &str) -> Vec<String> {
    let (status, board) = o.get(token, "/board").await;
    assert_eq!(status, StatusCode::OK, "{board}");
    board
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["column"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn organisation_changes(o: &Office, token: &str) -> Vec<Value> {
    let (status, changes) = o.get(token, "/changes?since=0").await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    changes["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "organisation_changed")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_new_department_gets_columns_and_a_seat_whose_holder_signs_in_with_the_one_time_code() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let (department, officer) =
        department_with_officer(&o, &admin, "市体育局", "tyj.officer").await;

    let (status, c) = o
        .post(
            &admin,
            "/admin/columns",
            column(department, "体育动态", "部门动态/体育动态"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(board_names(&o, &officer).await, ["体育动态"]);
    let (_, columns) = o.get(&officer, "/columns").await;
    assert_eq!(columns[0]["level"], "first");
    let told = organisation_changes(&o, &officer).await;
    assert_eq!(
        told.len(),
        1,
        "a new department's log has only this: {told:?}"
    );
    assert_eq!(told[0]["what"], "column_added");
    assert_eq!(told[0]["name"], "体育动态");

    // The code was spent: a second try is refused, and the password the holder chose signs in.
    let (status, _) = o
        .post(
            &admin,
            "/admin/seats",
            json!({"login": "tyj.officer", "role": "officer",
                                              "department_id": department, "holder_name": "重名"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a login is one seat's");
    let (status, _) = o.try_sign_in("tyj.officer", "Xinmima-2026").await;
    assert_eq!(status, StatusCode::CREATED);

    // Every step is an audit entry.
    let (_, audit) = o.get(&admin, "/audit?limit=50").await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "department.created",
        "seat.created",
        "seat.code_redeemed",
        "column.created",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_column_moves_with_its_history_and_both_departments_are_told() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let edu = o.sign_in("jyj.officer").await;
    let (to, sport) = department_with_officer(&o, &admin, "市体育局", "tyj.officer").await;
    let (_, edu_board) = o.get(&edu, "/board").await;
    // A column of the education bureau with accepted history.
    let moved = edu_board
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["updates"].as_array().unwrap().is_empty())
        .unwrap()
        .clone();
    let id = moved["column"]["id"].as_i64().unwrap();
    let name = moved["column"]["name"].as_str().unwrap().to_owned();

    let (status, body) = o
        .post(
            &admin,
            &format!("/admin/columns/{id}/move"),
            json!({"department_id": to}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    assert!(!board_names(&o, &edu).await.contains(&name));
    let (_, sport_board) = o.get(&sport, "/board").await;
    let arrived = &sport_board.as_array().unwrap()[0];
    assert_eq!(arrived["column"]["id"], id);
    assert_eq!(arrived["column"]["department_id"], to);
    assert_eq!(
        arrived["updates"], moved["updates"],
        "the history moved with it"
    );
    assert_eq!(
        organisation_changes(&o, &edu).await.last().unwrap()["what"],
        "column_moved_out"
    );
    assert_eq!(
        organisation_changes(&o, &sport).await.last().unwrap()["what"],
        "column_moved_in"
    );
    // The education bureau can no longer send into it; the sports bureau can.
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/columns/{id}/move"),
            json!({"department_id": to}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "already there");
}

#[tokio::test]
async fn retiring_keeps_items_and_refuses_what_would_lose_something() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let edu = o.sign_in("jyj.officer").await;
    let editor = o.sign_in("bjb.editor").await;
    let (_, items_before) = o.get(&editor, "/inbox?limit=200").await;
    let org = organisation(&o, &admin).await;
    let edu_id = id_of(&org["departments"], "name", "市教育局");
    let edu_columns: Vec<i64> = org["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["department_id"] == edu_id)
        .map(|c| c["id"].as_i64().unwrap())
        .collect();

    // A department with live columns is not retired.
    let (status, body) = o
        .post(
            &admin,
            &format!("/admin/departments/{edu_id}/retire"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("column"),
        "{body}"
    );

    for id in &edu_columns {
        let (status, body) = o
            .post(&admin, &format!("/admin/columns/{id}/retire"), Value::Null)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    assert!(board_names(&o, &edu).await.is_empty());
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/departments/{edu_id}/retire"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Nothing was deleted: the inbox holds the same items, the audit chain verifies, the
    // retired things are still in the organisation, marked so.
    let (_, items_after) = o.get(&editor, "/inbox?limit=200").await;
    assert_eq!(items_before, items_after);
    let org = organisation(&o, &admin).await;
    let edu_dept = org["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == edu_id)
        .unwrap();
    assert_eq!(edu_dept["retired"], true);
    assert!(
        org["columns"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["department_id"] == edu_id)
            .all(|c| c["retired"] == true)
    );
    assert!(
        o.state.store.verify_audit().unwrap().unwrap() > 0,
        "the audit chain verifies"
    );
    // Its seats were disabled with it: their sessions say so.
    let (status, body) = o.get(&edu, "/board").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("seat_disabled"))
    );
    // A column of a retired department does not come back.
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/columns/{}/restore", edu_columns[0]),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_disabled_seat_neither_signs_in_nor_sends_until_enabled() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let edu = o.sign_in("jyj.officer").await;
    let org = organisation(&o, &admin).await;
    let seat = id_of(&org["seats"], "login", "jyj.officer");

    let (status, _) = o
        .post(&admin, &format!("/admin/seats/{seat}/disable"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = o.get(&edu, "/columns").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("seat_disabled"))
    );
    let (status, body) = o
        .try_sign_in("jyj.officer", &o.password("jyj.officer"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("seat_disabled"))
    );
    // The console's sign-in form says so in its own words, to whoever typed the right password.
    let console = reqwest::Client::new()
        .post(format!("{}/sign-in", o.base.trim_end_matches("/api/v1")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "login=jyj.officer&password={}",
            o.password("jyj.officer")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::FORBIDDEN);
    let page = console.text().await.unwrap();
    assert!(page.contains("此账号已被编辑部停用"), "{page}");
    // A wrong password is refused as always, saying nothing about the seat.
    let (status, body) = o.try_sign_in("jyj.officer", "not-the-password-1").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("wrong_credentials"))
    );

    let (status, _) = o
        .post(&admin, &format!("/admin/seats/{seat}/enable"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = o.get(&edu, "/columns").await;
    assert_eq!(status, StatusCode::OK, "the session works again");
    // The department's log told its desks both times (after the demo city's own set-up).
    let whats: Vec<Value> = organisation_changes(&o, &edu)
        .await
        .iter()
        .map(|c| c["what"].clone())
        .collect();
    assert_eq!(
        whats[whats.len() - 2..],
        [json!("seat_disabled"), json!("seat_enabled")]
    );
}

#[tokio::test]
async fn the_last_administrator_and_ones_own_seat_stay_enabled() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let org = organisation(&o, &admin).await;
    let own = id_of(&org["seats"], "login", "bjb.admin");
    let (status, body) = o
        .post(&admin, &format!("/admin/seats/{own}/disable"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // With a second administrator, one may disable the other, never the last one left.
    let (status, code) = o
        .post(
            &admin,
            "/admin/seats",
            json!({"login": "bjb.admin2", "role": "admin",
                                              "holder_name": "蒋文"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (_, second) = redeem(
        &o,
        "bjb.admin2",
        code["code"].as_str().unwrap(),
        "Guanliyuan-2026",
    )
    .await;
    let second = second["token"].as_str().unwrap().to_owned();
    let (status, _) = o
        .post(&second, &format!("/admin/seats/{own}/disable"), Value::Null)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "two admins: one may go");
    let second_id = code["seat_id"].as_i64().unwrap();
    // The first is disabled, so the second is the last: nobody can disable it (its own seat
    // aside, no enabled admin is left to).
    let (status, body) = o
        .post(
            &second,
            &format!("/admin/seats/{second_id}/disable"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = o.get(&admin, "/admin/organisation").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the disabled admin's session stopped"
    );
}

#[tokio::test]
async fn a_reset_password_ends_the_sessions_and_the_holder_chooses_the_next_one() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let edu = o.sign_in("jyj.officer").await;
    let org = organisation(&o, &admin).await;
    let seat = id_of(&org["seats"], "login", "jyj.officer");

    let (status, code) = o
        .post(
            &admin,
            &format!("/admin/seats/{seat}/password-reset"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{code}");
    assert_eq!(code["login"], "jyj.officer");
    let (status, _) = o.get(&edu, "/columns").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "every session ended");
    let (status, _) = o
        .try_sign_in("jyj.officer", &o.password("jyj.officer"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (status, body) = redeem(&o, "jyj.officer", "WRONG-CODE-0000", "Xinmima-2027").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("handover_code_invalid")
        )
    );
    let (status, body) = redeem(
        &o,
        "jyj.officer",
        code["code"].as_str().unwrap(),
        "Xinmima-2027",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = o.try_sign_in("jyj.officer", "Xinmima-2027").await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = redeem(
        &o,
        "jyj.officer",
        code["code"].as_str().unwrap(),
        "Xinmima-2028",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a code works once"
    );

    // Signing out everywhere ends sessions and keeps the password.
    let token = o.try_sign_in("jyj.officer", "Xinmima-2027").await.1["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/seats/{seat}/sign-out"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = o.get(&token, "/columns").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = o.try_sign_in("jyj.officer", "Xinmima-2027").await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn bad_administrative_input_is_refused_by_the_domain_rules() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let org = organisation(&o, &admin).await;
    let edu = id_of(&org["departments"], "name", "市教育局");
    let taken_path = org["columns"][0]["path"].as_str().unwrap().to_owned();
    let cases: Vec<(&str, Value, StatusCode)> = vec![
        (
            "/admin/departments",
            json!({"name": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/departments",
            json!({"name": "市教育局"}),
            StatusCode::CONFLICT,
        ),
        (
            "/admin/departments",
            json!({"name": "市\n教育局"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/columns",
            column(edu, "重复", &taken_path),
            StatusCode::CONFLICT,
        ),
        (
            "/admin/columns",
            column(edu, "空段", "政务公开//通知"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/columns",
            column(999_999, "无部门", "无/部门"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/admin/columns",
            json!({"department_id": edu, "name": "零", "path": "零/零", "feed": "submission",
                   "duty": {"kind": "min_count", "count": 0, "period": "month"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/seats",
            json!({"login": "王晓燕", "role": "officer", "department_id": edu, "holder_name": "王晓燕"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/seats",
            json!({"login": "jyj.editor", "role": "editor", "department_id": edu, "holder_name": "编辑"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/seats",
            json!({"login": "jyj.officer2", "role": "officer", "holder_name": "无部门"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/admin/seats",
            json!({"login": "jyj.officer2", "role": "officer", "department_id": edu,
                   "holder_name": "电话", "phone": "12"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    let before = organisation(&o, &admin).await;
    for (path, body, want) in cases {
        let (status, answer) = o.post(&admin, path, body.clone()).await;
        assert_eq!(status, want, "{path} {body}: {answer}");
        assert!(answer["message"].is_string(), "{answer}");
    }
    let (status, _) = put(
        &o,
        &admin,
        &format!("/admin/departments/{edu}"),
        json!({"name": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(organisation(&o, &admin).await, before, "nothing changed");
}

/// The console's organisation page: what it lists, a change through a form, a refusal worded by
/// the domain's problem, and the one-time code sheet.
#[tokio::test]
async fn the_console_administers_the_organisation_through_forms() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let root = o.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("{}={admin}", liaison_office::console::SESSION_COOKIE);
    let csrf = liaison_office::console::form_token(&admin);
    let post = |path: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{root}{path}"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };

    let page = client
        .get(format!("{root}/organisation"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for shown in [
        "市教育局",
        "教育动态",
        "jyj.officer",
        "每个工作日",
        "一级栏目",
        "信息报送",
    ] {
        assert!(html.contains(shown), "{shown} missing");
    }

    let r = post(
        "/organisation/departments",
        vec![("csrf", csrf.clone()), ("name", "市体育局".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let org = organisation(&o, &admin).await;
    let sport = id_of(&org["departments"], "name", "市体育局");

    // A path with an empty part: refused with the domain's reason, in Chinese, nothing stored.
    let r = post(
        "/organisation/columns",
        vec![
            ("csrf", csrf.clone()),
            ("department_id", sport.to_string()),
            ("name", "体育动态".into()),
            ("path", "部门动态//体育".into()),
            ("feed", "submission".into()),
            ("duty", "news".into()),
            ("level", "first".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("每一级都不能为空"));
    assert_eq!(organisation(&o, &admin).await["columns"], org["columns"]);

    let r = post(
        "/organisation/seats",
        vec![
            ("csrf", csrf.clone()),
            ("login", "tyj.officer".into()),
            ("role", "officer".into()),
            ("department_id", sport.to_string()),
            ("holder_name", "林小雨".into()),
            ("phone", "13800138000".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let sheet = r.text().await.unwrap();
    assert!(sheet.contains("一次性验证码") && sheet.contains("tyj.officer"));
    let code = sheet
        .split("<td class=\"code\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let (status, _) = redeem(&o, "tyj.officer", &code, "Tiyuju-2026!").await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the printed code works at the desk"
    );

    // A form without the session's token changes nothing.
    let r = post(
        "/organisation/departments",
        vec![("csrf", "forged".into()), ("name", "伪造局".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The calendar and the word lists from the console: the State Council's notice pasted as its
/// dates, a refusal that names the bad date, and the lists in their text form.
#[tokio::test]
async fn the_console_publishes_the_calendar_and_the_word_lists() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let root = o.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = format!("{}={admin}", liaison_office::console::SESSION_COOKIE);
    let csrf = liaison_office::console::form_token(&admin);
    let post = |path: &str, form: Vec<(&str, String)>| {
        client
            .post(format!("{root}{path}"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    let r = post(
        "/calendar",
        vec![
            ("csrf", csrf.clone()),
            ("year", "2027".into()),
            (
                "holidays",
                "元旦：1月1日（周五）至3日（周日）放假，共3天。春节：2月6日（农历腊月三十、周六）至12日放假调休".into(),
            ),
            ("working_weekends", "2月14日（周日）、2月20日（周六）".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, calendar) = o.get(&admin, "/calendar").await;
    let holidays: Vec<&str> = calendar["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d.as_str())
        .filter(|d| d.starts_with("2027"))
        .collect();
    assert_eq!(holidays.len(), 3 + 7, "{holidays:?}");
    assert!(
        calendar["working_weekends"]
            .as_array()
            .unwrap()
            .contains(&json!("2027-02-20"))
    );

    // A weekday as a weekend day worked: refused, named, what was typed kept, nothing changed.
    let r = post(
        "/calendar",
        vec![
            ("csrf", csrf.clone()),
            ("year", "2027".into()),
            ("holidays", "1月1日".into()),
            ("working_weekends", "2月15日".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("2027-02-15 不是周六或周日"), "{page}");
    assert!(page.contains("2月15日"));
    assert_eq!(o.get(&admin, "/calendar").await.1, calendar);

    let r = post(
        "/wordlists",
        vec![
            ("csrf", csrf.clone()),
            ("forbidden", "绝密\n内部资料\n".into()),
            ("misspellings", "按装 → 安装\n既使=>即使".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, lists) = o.get(&admin, "/wordlists").await;
    assert_eq!(lists["forbidden"], json!(["绝密", "内部资料"]));
    assert_eq!(
        lists["misspellings"][1],
        json!({"wrong": "既使", "right": "即使"})
    );
    let r = post(
        "/wordlists",
        vec![
            ("csrf", csrf),
            ("forbidden", String::new()),
            ("misspellings", "按装".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        o.get(&admin, "/wordlists").await.1,
        lists,
        "nothing half-published"
    );
}

async fn import(o: &Office, admin: &str, bytes: &[u8], query: &str) -> (StatusCode, Value) {
    let r = o
        .http
        .post(format!("{}/admin/organisation/import?{query}", o.base))
        .bearer_auth(admin)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_sheet_is_previewed_then_imported_all_at_once_and_a_second_import_changes_nothing() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let sheet = liaison_office::orgsheet::fixture::fixture_xlsx().unwrap();
    let before = organisation(&o, &admin).await;

    let (status, preview) = import(&o, &admin, &sheet, "file_name=组织机构.xlsx").await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["applied"], false);
    assert_eq!(preview["summary"]["departments_created"], 1, "{preview}");
    assert!(
        preview["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("市文化广电旅游局"))
    );
    assert_eq!(
        organisation(&o, &admin).await,
        before,
        "a dry run changes nothing"
    );

    // The office changed since the preview: the plan shown is not applied.
    let (status, stale) = import(
        &o,
        &admin,
        &sheet,
        "file_name=org.xlsx&dry_run=false&plan_digest=0000",
    )
    .await;
    assert_eq!(
        (status, stale["applied"].as_bool(), stale["stale"].as_bool()),
        (StatusCode::OK, Some(false), Some(true))
    );

    let digest = preview["plan_digest"].as_str().unwrap();
    let (status, done) = import(
        &o,
        &admin,
        &sheet,
        &format!("file_name=org.xlsx&dry_run=false&plan_digest={digest}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["applied"], true);
    let codes = done["codes"].as_array().unwrap();
    assert_eq!(
        codes.len(),
        2,
        "the new department's officer and responsible: {done}"
    );
    let after = organisation(&o, &admin).await;
    let culture = id_of(&after["departments"], "name", "市文化广电旅游局");
    assert!(
        after["columns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["department_id"] == culture)
    );
    // Its officer signs in with the printed code.
    let officer = codes
        .iter()
        .find(|c| c["login"].as_str().unwrap().ends_with(".officer"))
        .unwrap();
    let (status, _) = redeem(
        &o,
        officer["login"].as_str().unwrap(),
        officer["code"].as_str().unwrap(),
        "Wenlvju-2026!",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Again: nothing to do.
    let (status, again) = import(&o, &admin, &sheet, "file_name=org.xlsx&dry_run=false").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            again["applied"].as_bool(),
            again["changes"].as_array().unwrap().len()
        ),
        (Some(false), 0),
        "{again}"
    );
    assert_eq!(organisation(&o, &admin).await, after);
    let (_, audit) = o.get(&admin, "/audit?limit=200").await;
    assert_eq!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "organisation.imported")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_bad_sheet_is_refused_row_by_row_in_chinese_and_nothing_is_half_applied() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let before = organisation(&o, &admin).await;
    let text = "部门,栏目,栏目路径,保障方式,更新要求,栏目级别,信息员,联系电话,责任人\n\
                市体育局,体育动态,部门动态/体育动态,信息报送,每个工作日,一级,林小雨,13800138000,赵刚\n\
                市体育局,赛事公告,部门动态/体育动态,信息报送,每周,二级,,,\n\
                市体育局,场馆信息,公共服务/场馆,网上采集,每月,二级,,,\n\
                市水务局,水务动态,部门动态/水务动态,信息报送,偶尔,一级,,,\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(text);
    let (status, report) = import(&o, &admin, &gb, "file_name=组织机构.csv&dry_run=false").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["applied"], false);
    let refused: Vec<(u64, String)> = report["rows_refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let rows: std::collections::BTreeSet<u64> = refused.iter().map(|r| r.0).collect();
    // The second row of a path names the first; the other two name their bad words.
    assert_eq!(rows, [3, 4, 5].into_iter().collect(), "{refused:?}");
    assert!(refused[0].1.contains("第2行"), "{refused:?}");
    assert!(
        refused.iter().any(|(_, why)| why.contains("网上采集")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|(_, why)| why.contains("偶尔")),
        "{refused:?}"
    );
    assert_eq!(
        organisation(&o, &admin).await,
        before,
        "nothing half-applied"
    );

    // Not a sheet at all.
    let (status, body) = import(&o, &admin, b"PK\x03\x04 not really", "file_name=org.xlsx").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// The value of a hidden field of a page's form, as a browser sends it back (entities decoded).
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).map(|i| i + marker.len()).unwrap();
    let raw = html[start..].split('"').next().unwrap();
    [
        ("&#x2f;", "/"),
        ("&#x27;", "'"),
        ("&quot;", "\""),
        ("&lt;", "<"),
        ("&gt;", ">"),
    ]
    .iter()
    .fold(raw.to_owned(), |v, (from, to)| v.replace(from, to))
    .replace("&amp;", "&")
}

#[tokio::test]
async fn the_console_previews_an_uploaded_sheet_and_imports_it_on_confirmation() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let root = o.base.trim_end_matches("/api/v1").to_owned();
    let client = reqwest::Client::new();
    let cookie = format!("{}={admin}", liaison_office::console::SESSION_COOKIE);
    let csrf = liaison_office::console::form_token(&admin);
    let upload = |bytes: Vec<u8>, name: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("action", "preview")
            .part(
                "sheet",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        client
            .post(format!("{root}/organisation/import"))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
    };
    let sheet = liaison_office::orgsheet::fixture::fixture_xlsx().unwrap();
    let before = organisation(&o, &admin).await;
    let r = upload(sheet.clone(), "栏目保障责任表.xlsx").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let preview = r.text().await.unwrap();
    assert!(preview.contains("市文化广电旅游局") && preview.contains("确认导入"));
    assert_eq!(
        organisation(&o, &admin).await,
        before,
        "a preview changes nothing"
    );

    let confirm = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("action", "apply")
        .text("file_name", hidden(&preview, "file_name"))
        .text("plan_digest", hidden(&preview, "plan_digest"))
        .text("sheet_b64", hidden(&preview, "sheet_b64"));
    let r = client
        .post(format!("{root}/organisation/import"))
        .header("cookie", &cookie)
        .multipart(confirm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let codes = r.text().await.unwrap();
    assert!(
        codes.contains("一次性验证码") && codes.contains(".officer"),
        "{codes}"
    );
    let after = organisation(&o, &admin).await;
    id_of(&after["departments"], "name", "市文化广电旅游局");

    let again = upload(sheet, "栏目保障责任表.xlsx")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("无需导入"), "{again}");

    let bad =
        "部门,栏目,栏目路径,保障方式,更新要求\n市教育局,教育动态,部门动态/教育动态,信息报送,偶尔\n";
    let (gb, _, _) = encoding_rs::GB18030.encode(bad);
    let r = upload(gb.into_owned(), "坏表.csv").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("第2行") && page.contains("偶尔"), "{page}");
    assert!(!page.contains("确认导入"));
    assert_eq!(organisation(&o, &admin).await, after);
}

/// A send replayed after its column retired still gets its first answer (exactly once); a new
/// send into a retired column finds no column.
#[tokio::test]
async fn a_replay_after_the_column_retired_gets_its_first_answer() {
    let o = office().await;
    let admin = o.sign_in("bjb.admin").await;
    let officer = o.sign_in("jyj.officer").await;
    let (_, columns) = o.get(&officer, "/columns").await;
    let column = columns
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["feed"] == "submission")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let send = |key: &'static str| {
        o.http
            .post(format!("{}/items", o.base))
            .bearer_auth(&officer)
            .header("Idempotency-Key", key)
            .json(&json!({"draft_key": key, "version": 1, "column_id": column,
                          "title": "关于做好冬季供暖工作的通知", "body_html": "<p>正文</p>"}))
            .send()
    };
    let first = send("retire-replay").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let (status, _) = o
        .post(
            &admin,
            &format!("/admin/columns/{column}/retire"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let again = send("retire-replay").await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again.json::<Value>().await.unwrap()["receipt"],
        first["receipt"]
    );
    let fresh = send("retire-fresh").await.unwrap();
    assert_eq!(fresh.status(), StatusCode::NOT_FOUND);
}
