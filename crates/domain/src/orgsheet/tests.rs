use super::*;
use crate::column::{GapUnit, Period};
use crate::org::Role;

use FeedMethod::{CoEditing, Link, Scraping, Submission};

const FOUR_A_MONTH: DutyRule = DutyRule::MinCount {
    count: 4,
    period: Period::Month,
};

/// A city like the demo's (its paths made unique per department, as the importer requires).
/// 栏目, 栏目路径, 保障方式, 更新要求.
type Columns = &'static [(&'static str, &'static str, FeedMethod, DutyRule)];

const CITY: &[(&str, &str, &str, Columns)] = &[
    (
        "市教育局",
        "王晓燕",
        "李建国",
        &[
            ("教育动态", "部门动态/教育动态", Submission, DutyRule::NEWS),
            (
                "通知公告",
                "政务公开/市教育局/通知公告",
                Submission,
                DutyRule::NOTICES,
            ),
            ("招生考试", "公共服务/招生考试", CoEditing, FOUR_A_MONTH),
            (
                "人事信息",
                "政务公开/市教育局/人事信息",
                Submission,
                DutyRule::PERSONNEL,
            ),
        ],
    ),
    (
        "市卫生健康委",
        "陈静",
        "张卫东",
        &[
            ("卫健要闻", "部门动态/卫健要闻", Submission, DutyRule::NEWS),
            (
                "疾病防控",
                "公共服务/疾病防控",
                CoEditing,
                DutyRule::HOME_PAGE,
            ),
            (
                "医疗机构查询",
                "公共服务/医疗机构查询",
                Link,
                DutyRule::PERSONNEL,
            ),
        ],
    ),
    (
        "市人力资源和社会保障局",
        "周敏",
        "吴海涛",
        &[
            ("人社动态", "部门动态/人社动态", Submission, DutyRule::NEWS),
            (
                "社保政策",
                "政务公开/市人社局/政策文件",
                Scraping,
                DutyRule::NOTICES,
            ),
        ],
    ),
];

fn city() -> Organisation {
    let mut org = Organisation::default();
    for (d, (name, officer, responsible, columns)) in CITY.iter().enumerate() {
        let dept = d as i64 + 1;
        org.departments.push(OrgDepartment {
            id: dept,
            name: name.to_string(),
            retired: false,
        });
        for (column, path, feed, duty) in columns.iter() {
            org.columns.push(OrgColumn {
                id: org.columns.len() as i64 + 1,
                department_id: dept,
                name: column.to_string(),
                path: path.to_string(),
                feed: *feed,
                duty: *duty,
                level: ColumnLevel::Second,
                retired: false,
            });
        }
        for (role, holder) in [(Role::Officer, officer), (Role::Responsible, responsible)] {
            org.seats.push(OrgSeat {
                id: org.seats.len() as i64 + 1,
                login: format!("d{dept}.{}", role.as_str()),
                role,
                department_id: Some(dept),
                holder_name: holder.to_string(),
                disabled: false,
            });
        }
    }
    org.seats.push(OrgSeat {
        id: 99,
        login: "bjb.admin".into(),
        role: Role::Admin,
        department_id: None,
        holder_name: "编辑部".into(),
        disabled: false,
    });
    org
}

/// The city's sheet: people on each department's first row only, as merged or blank cells do.
fn city_sheet() -> Vec<SheetRow> {
    let mut rows = Vec::new();
    for (name, officer, responsible, columns) in CITY {
        for (i, (column, path, feed, duty)) in columns.iter().enumerate() {
            let first = i == 0;
            rows.push(SheetRow {
                row: rows.len() as u32 + 2,
                department: name.to_string(),
                column: column.to_string(),
                path: path.to_string(),
                feed: feed_label(*feed).into(),
                duty: duty_label(*duty),
                level: if first { "二级" } else { "" }.into(),
                officer: if first {
                    officer.to_string()
                } else {
                    String::new()
                },
                phone: if first {
                    "0571-8700 1234".into()
                } else {
                    String::new()
                },
                responsible: if first {
                    responsible.to_string()
                } else {
                    String::new()
                },
            });
        }
    }
    rows
}

fn row(n: u32, dept: &str, column: &str, path: &str, feed: &str, duty: &str) -> SheetRow {
    SheetRow {
        row: n,
        department: dept.into(),
        column: column.into(),
        path: path.into(),
        feed: feed.into(),
        duty: duty.into(),
        ..SheetRow::default()
    }
}

fn reasons(result: Result<Vec<OrgRow>, Vec<RowError>>) -> Vec<String> {
    result
        .expect_err("the sheet should be refused")
        .into_iter()
        .map(|e| e.reason)
        .collect()
}

fn planned(org: &Organisation, sheet: &[SheetRow]) -> OrgPlan {
    let rows = rows(sheet).expect("the sheet is good");
    plan(org, &rows).expect("the plan is possible")
}

#[test]
fn a_good_sheet_reads_into_rows_with_each_departments_people_on_every_row() {
    let rows = rows(&city_sheet()).expect("good");
    assert_eq!(rows.len(), 9);
    let second = &rows[1];
    assert_eq!(second.row, 3);
    assert_eq!(second.path, "政务公开/市教育局/通知公告");
    assert_eq!(second.duty, DutyRule::NOTICES);
    assert_eq!(
        second.officer,
        Some(Person {
            name: "王晓燕".into(),
            phone: Some("0571-8700 1234".into())
        })
    );
    assert_eq!(
        second.responsible.as_ref().map(|p| p.name.as_str()),
        Some("李建国")
    );
}

#[test]
fn cells_are_normalised_before_they_are_checked() {
    let mut raw = row(
        2,
        "\u{3000}市教育局 ",
        " 教育动态",
        "部门动态 ／ 教育动态",
        "报送",
        "每２周",
    );
    raw.level = "一级栏目".into();
    raw.officer = "王晓燕\u{a0}".into();
    raw.phone = "１３８００１３８０００".into();
    let rows = rows(&[
        raw,
        SheetRow {
            row: 3,
            ..SheetRow::default()
        },
    ])
    .expect("good");
    assert_eq!(rows.len(), 1, "the empty row is skipped");
    let r = &rows[0];
    assert_eq!(
        (r.department.as_str(), r.column.as_str()),
        ("市教育局", "教育动态")
    );
    assert_eq!(r.path, "部门动态/教育动态");
    assert_eq!(
        r.duty,
        DutyRule::MaxGap {
            amount: 2,
            unit: GapUnit::Weeks
        }
    );
    assert_eq!(r.level, ColumnLevel::First);
    assert_eq!(
        r.officer.as_ref().and_then(|p| p.phone.as_deref()),
        Some("13800138000")
    );
}

#[test]
fn every_bad_row_is_reported_with_its_number_and_the_bad_value() {
    let mut sheet = vec![
        row(
            2,
            "市教育局",
            "教育动态",
            "部门动态/教育动态",
            "信息报送",
            "每个工作日",
        ),
        row(3, "", "", "政务公开/通知公告", "信息报送", ""),
        row(
            4,
            "市教育局",
            "招生考试",
            "公共服务/招生考试",
            "网上采集",
            "每月",
        ),
        row(
            5,
            "市教育局",
            "人事信息",
            "政务公开/人事信息",
            "信息报送",
            "经常更新",
        ),
        row(
            6,
            "市教育局",
            "教育要闻",
            "部门动态/教育动态",
            "信息报送",
            "每周",
        ),
        row(
            7,
            "市教育局",
            "规划\n计划",
            "政务公开/规划计划",
            "信息报送",
            "每年",
        ),
        row(
            8,
            "市教育局",
            "预决算\u{7}",
            "政务公开/预决算",
            "信息报送",
            "每年",
        ),
        row(
            9,
            "市教育局",
            "资助",
            "公共服务/资助",
            "信息报送",
            "每月不少于0条",
        ),
        row(10, "市教育局", "督导", "公共服务/督导", "信息报送", "每月"),
        row(
            12,
            "市教育局",
            "资助政策",
            "公共服务/资助政策",
            "信息报送",
            "每月",
        ),
    ];
    sheet[0].officer = "王晓燕".into();
    sheet[0].responsible = "李建国".into();
    sheet[7].phone = "电话13800138000".into();
    sheet[8].officer = "张三".into();
    sheet[8].responsible = "李建国".into();
    sheet[8].level = "顶级".into();
    sheet.push({
        let mut r = row(
            11,
            "市财政局",
            "财政动态",
            "部门动态/财政动态",
            "信息报送",
            "每月",
        );
        r.phone = "13800138000".into();
        r
    });
    sheet[9].phone = "12345".into();
    sheet[9].officer = "王晓燕".into();
    let got = reasons(rows(&sheet));
    let want = [
        "第3行：缺少部门",
        "第3行：缺少栏目",
        "第3行：缺少更新要求",
        "第4行：保障方式「网上采集」无法识别，应为 信息报送、网上抓取、网站链接 或 栏目共建 之一",
        "第5行：更新要求「经常更新」无法识别",
        "第6行：栏目路径「部门动态/教育动态」与第2行重复",
        "第7行：栏目「规划⏎计划」含有换行，应写在一行内",
        "第8行：栏目「预决算\u{7}」含有不可见的控制字符",
        "第9行：更新要求「每月不少于0条」无法识别",
        "第9行：联系电话「电话13800138000」格式不对",
        "第10行：栏目级别「顶级」无法识别，应为 一级 或 二级",
        "第11行：部门「市财政局」填写了联系电话「13800138000」，但没有填写信息员",
        "第12行：联系电话「12345」格式不对",
    ];
    for w in want {
        assert!(
            got.iter().any(|g| g.starts_with(w)),
            "missing {w:?} in {got:#?}"
        );
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
}

#[test]
fn a_department_whose_rows_disagree_on_its_people_is_refused_blank_repeats_are_fine() {
    let mut sheet = city_sheet();
    sheet[2].officer = "王晓燕".into(); // a repeat: fine
    sheet[3].responsible = "李四".into();
    sheet[5].phone = "13900139000".into();
    let got = reasons(rows(&sheet));
    assert_eq!(
        got,
        [
            "第5行：部门「市教育局」的责任人「李四」与第2行的「李建国」不一致",
            "第7行：部门「市卫生健康委」的联系电话「13900139000」与第6行的「0571-8700 1234」不一致",
        ]
    );
}

#[test]
fn phone_numbers_are_digits_with_the_usual_marks() {
    for good in [
        "13800138000",
        "0571-87001234",
        "+86 138 0013 8000",
        "(0571)87001234",
        "（0571）8700-1234",
    ] {
        assert!(is_phone(good), "{good}");
    }
    for bad in [
        "123456",
        "1380013800a",
        "138 0013 8000 转 123",
        "1234567890123456789012",
        "",
    ] {
        assert!(!is_phone(bad), "{bad}");
    }
}

#[test]
fn importing_the_office_as_it_is_changes_nothing() {
    let plan = planned(&city(), &city_sheet());
    assert!(plan.is_empty(), "{:#?}", plan.changes);
    assert!(plan.notes.is_empty());
    assert_eq!(plan.summary(), PlanSummary::default());
}

#[test]
fn a_new_department_with_both_people_is_created_with_its_columns_and_seats() {
    let mut sheet = city_sheet();
    let mut new = row(
        20,
        "市文化广电旅游局",
        "文旅动态",
        "部门动态/文旅动态",
        "信息报送",
        "每个工作日",
    );
    new.officer = "何雪".into();
    new.phone = "13800138000".into();
    new.responsible = "宋涛".into();
    new.level = "一级".into();
    sheet.push(new);
    sheet.push(row(
        21,
        "市文化广电旅游局",
        "景区信息",
        "公共服务/景区信息",
        "网站链接",
        "每季度",
    ));
    let mut org = city();
    org.seats.push(OrgSeat {
        id: 50,
        login: "swhgdlyj.officer".into(),
        role: Role::Officer,
        department_id: None,
        holder_name: "旧".into(),
        disabled: true,
    });
    let plan = planned(&org, &sheet);
    assert_eq!(
        plan.changes,
        [
            OrgChange::CreateDepartment {
                name: "市文化广电旅游局".into()
            },
            OrgChange::CreateColumn {
                department: "市文化广电旅游局".into(),
                name: "文旅动态".into(),
                path: "部门动态/文旅动态".into(),
                feed: Submission,
                duty: DutyRule::NEWS,
                level: ColumnLevel::First,
            },
            OrgChange::CreateColumn {
                department: "市文化广电旅游局".into(),
                name: "景区信息".into(),
                path: "公共服务/景区信息".into(),
                feed: Link,
                duty: DutyRule::MaxGap {
                    amount: 3,
                    unit: GapUnit::Months
                },
                level: ColumnLevel::Second,
            },
            OrgChange::CreateSeat {
                department: "市文化广电旅游局".into(),
                role: Role::Officer,
                login: "swhgdlyj2.officer".into(),
                holder_name: "何雪".into(),
                phone: Some("13800138000".into()),
            },
            OrgChange::CreateSeat {
                department: "市文化广电旅游局".into(),
                role: Role::Responsible,
                login: "swhgdlyj.responsible".into(),
                holder_name: "宋涛".into(),
                phone: None,
            },
        ]
    );
    let summary = plan.summary();
    assert_eq!(
        (
            summary.departments_created,
            summary.columns_created,
            summary.seats_created
        ),
        (1, 2, 2)
    );
    let lines = plan.describe(&org);
    assert_eq!(lines[0], "新建部门「市文化广电旅游局」");
    assert_eq!(
        lines[1],
        "新建栏目「文旅动态」(部门动态/文旅动态)，保障部门「市文化广电旅游局」，信息报送，每个工作日，一级栏目"
    );
    assert_eq!(
        lines[3],
        "新建「市文化广电旅游局」的信息员席位 swhgdlyj2.officer，使用人「何雪」，电话 13800138000"
    );
    let after = org.apply(&plan);
    assert!(planned(&after, &sheet).is_empty());
}

#[test]
fn an_unknown_department_without_its_people_is_refused_on_every_row() {
    let mut sheet = city_sheet();
    let mut new = row(
        20,
        "市体育局",
        "体育动态",
        "部门动态/体育动态",
        "信息报送",
        "每周",
    );
    new.officer = "钱多".into();
    sheet.push(new);
    sheet.push(row(
        21,
        "市体育局",
        "赛事",
        "公共服务/赛事",
        "信息报送",
        "每月",
    ));
    let rows = rows(&sheet).expect("rows are good on their own");
    let errors = plan(&city(), &rows).expect_err("refused");
    assert_eq!(
        errors
            .iter()
            .map(|e| (e.row, e.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                20,
                "第20行：部门「市体育局」不存在，且表中未给出其信息员和责任人"
            ),
            (
                21,
                "第21行：部门「市体育局」不存在，且表中未给出其信息员和责任人"
            ),
        ]
    );
}

#[test]
fn a_retired_department_is_refused() {
    let mut org = city();
    org.departments[2].retired = true;
    let rows = rows(&city_sheet()).expect("good");
    let errors = plan(&org, &rows).expect_err("refused");
    assert_eq!(errors.iter().map(|e| e.row).collect::<Vec<_>>(), [9, 10]);
    assert!(
        errors[0]
            .reason
            .contains("部门「市人力资源和社会保障局」已撤销"),
        "{errors:?}"
    );
}

#[test]
fn columns_are_changed_moved_retired_and_restored_by_path() {
    let mut org = city();
    org.columns[4].retired = true; // 卫健要闻, retired, listed again
    let mut sheet = city_sheet();
    // 教育动态: another name, duty and level.
    sheet[0].column = "教育要闻".into();
    sheet[0].duty = "每周".into();
    sheet[0].level = "一级".into();
    // 招生考试 moves to 市卫生健康委.
    sheet[2].department = "市卫生健康委".into();
    // 人事信息 (市教育局) is no longer listed: retired. 市人社局 is not named: left alone.
    sheet.remove(3);
    sheet.truncate(6);
    let plan = planned(&org, &sheet);
    assert_eq!(
        plan.changes,
        [
            OrgChange::ChangeColumn {
                id: 1,
                name: "教育要闻".into(),
                feed: Submission,
                duty: DutyRule::HOME_PAGE,
                level: ColumnLevel::First,
            },
            OrgChange::MoveColumn {
                id: 3,
                to_department: "市卫生健康委".into()
            },
            OrgChange::RestoreColumn { id: 5 },
            OrgChange::RetireColumn { id: 4 },
        ]
    );
    let s = plan.summary();
    assert_eq!(
        (
            s.columns_changed,
            s.columns_moved,
            s.columns_restored,
            s.columns_retired
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(
        plan.describe(&org),
        [
            "修改栏目「教育动态」(部门动态/教育动态)：名称「教育动态」改为「教育要闻」；更新要求 每个工作日 改为 每周；栏目级别 二级栏目 改为 一级栏目",
            "栏目「招生考试」(公共服务/招生考试) 从「市教育局」移至「市卫生健康委」",
            "恢复已撤销的栏目「卫健要闻」(部门动态/卫健要闻)",
            "撤销栏目「人事信息」(政务公开/市教育局/人事信息)（保障部门「市教育局」，表中已不再列出）",
        ]
    );
    let after = org.apply(&plan);
    assert!(
        after
            .columns
            .iter()
            .find(|c| c.id == 4)
            .is_some_and(|c| c.retired)
    );
    assert!(
        after
            .columns
            .iter()
            .find(|c| c.id == 3)
            .is_some_and(|c| c.department_id == 2)
    );
    assert!(planned(&after, &sheet).is_empty());
}

#[test]
fn missing_seats_are_created_and_other_holders_are_only_noted() {
    let mut org = city();
    // 市教育局 lost its officer seat (disabled); 市卫生健康委's responsible is someone else.
    org.seats[0].disabled = true;
    org.seats[3].holder_name = "赵六".into();
    org.seats.push(OrgSeat {
        id: 60,
        login: "sjyj.officer".into(),
        role: Role::Officer,
        department_id: Some(1),
        holder_name: "旧".into(),
        disabled: true,
    });
    let sheet = city_sheet();
    let plan = planned(&org, &sheet);
    assert_eq!(
        plan.changes,
        [OrgChange::CreateSeat {
            department: "市教育局".into(),
            role: Role::Officer,
            login: "sjyj2.officer".into(),
            holder_name: "王晓燕".into(),
            phone: Some("0571-8700 1234".into()),
        }]
    );
    assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    assert!(plan.notes[0].contains(
        "部门「市卫生健康委」的责任人席位 d2.responsible 现由「赵六」使用，表中为「张卫东」"
    ));
    let after = org.apply(&plan);
    let again = planned(&after, &sheet);
    assert!(again.is_empty(), "{:?}", again.changes);
    assert_eq!(again.notes, plan.notes, "the handover is still to do");
}

#[test]
fn logins_are_pinyin_initials_made_unique() {
    let mut taken = std::collections::HashSet::from(["sjyj.officer".to_string()]);
    assert_eq!(
        new_login("市教育局", Role::Responsible, &mut taken),
        "sjyj.responsible"
    );
    assert_eq!(
        new_login("市教育局", Role::Officer, &mut taken),
        "sjyj2.officer"
    );
    assert_eq!(
        new_login("市教育局", Role::Officer, &mut taken),
        "sjyj3.officer"
    );
    assert_eq!(
        new_login("市12345热线", Role::Officer, &mut taken),
        "s12345rx.officer"
    );
    assert_eq!(new_login("🙂", Role::Officer, &mut taken), "dept.officer");
}

#[test]
fn changes_come_departments_first_then_columns_then_seats() {
    let mut sheet = city_sheet();
    sheet[0].column = "教育要闻".into();
    let mut new = row(
        20,
        "市体育局",
        "体育动态",
        "部门动态/体育动态",
        "信息报送",
        "每周",
    );
    new.officer = "钱多".into();
    new.responsible = "孙少".into();
    sheet.insert(0, new);
    let plan = planned(&city(), &sheet);
    let rank = |c: &OrgChange| match c {
        OrgChange::CreateDepartment { .. } => 0,
        OrgChange::CreateSeat { .. } => 2,
        _ => 1,
    };
    let ranks: Vec<_> = plan.changes.iter().map(rank).collect();
    assert!(ranks.is_sorted(), "{:#?}", plan.changes);
    assert_eq!(ranks, [0, 1, 1, 2, 2]);
}

mod idempotence {
    use super::*;
    use proptest::prelude::*;

    /// A sheet drawn from a small pool of departments, paths and rules, over the test city.
    fn sheet() -> impl Strategy<Value = Vec<SheetRow>> {
        let depts = [
            "市教育局",
            "市卫生健康委",
            "市人力资源和社会保障局",
            "市体育局",
            "市水利局",
        ];
        let paths = [
            "部门动态/教育动态",
            "政务公开/市教育局/通知公告",
            "公共服务/招生考试",
            "部门动态/卫健要闻",
            "公共服务/疾病防控",
            "部门动态/人社动态",
            "部门动态/体育动态",
            "公共服务/水情",
        ];
        let duties = ["每个工作日", "每周", "每月不少于4条", "每半年", "每年"];
        let feeds = ["信息报送", "网上抓取", "网站链接", "栏目共建"];
        let people = [("王晓燕", "李建国"), ("陈静", "赵六"), ("钱多", "孙少")];
        proptest::sample::subsequence((0..paths.len()).collect::<Vec<_>>(), 1..paths.len())
            .prop_flat_map(move |picked| {
                let n = picked.len();
                (
                    Just(picked),
                    proptest::collection::vec(
                        (
                            0..depts.len(),
                            0..duties.len(),
                            0..feeds.len(),
                            0..people.len(),
                            any::<bool>(),
                        ),
                        n,
                    ),
                )
            })
            .prop_map(move |(picked, draws)| {
                let mut people_of: std::collections::HashMap<usize, usize> = Default::default();
                picked
                    .iter()
                    .zip(draws)
                    .enumerate()
                    .map(|(i, (&p, (d, u, f, who, first)))| {
                        let who = *people_of.entry(d).or_insert(who);
                        SheetRow {
                            row: i as u32 + 2,
                            department: depts[d].into(),
                            column: format!("栏目{p}"),
                            path: paths[p].into(),
                            feed: feeds[f].into(),
                            duty: duties[u].into(),
                            level: if first {
                                "一级".into()
                            } else {
                                String::new()
                            },
                            officer: people[who].0.into(),
                            phone: String::new(),
                            responsible: people[who].1.into(),
                        }
                    })
                    .collect()
            })
    }

    proptest! {
        #[test]
        fn importing_the_same_rows_again_after_applying_the_plan_changes_nothing(sheet in sheet()) {
            let mut org = city();
            org.columns[1].retired = true;
            let rows = rows(&sheet).expect("generated sheets are good");
            let first = plan(&org, &rows).expect("every department has its people");
            let after = org.apply(&first);
            let second = plan(&after, &rows).expect("still possible");
            prop_assert!(second.is_empty(), "{:#?}", second.changes);
        }
    }
}
