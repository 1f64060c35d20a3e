//! The plan against the office: create, change, move, retire, restore, seats, notes, and the
//! same rows imported again changing nothing.

use super::tests::{city, city_sheet, planned, row};
use super::*;
use crate::column::GapUnit;
use crate::org::Role;

use FeedMethod::{Link, Submission};

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

#[test]
fn an_office_with_one_path_in_two_departments_matches_the_rows_own_department_first() {
    // As the demo city has it: 政务公开/通知公告 under two departments.
    let mut org = city();
    org.columns[1].path = "政务公开/通知公告".into(); // 市教育局
    org.columns.push(OrgColumn {
        id: 40,
        department_id: 2,
        name: "通知公告".into(),
        path: "政务公开/通知公告".into(),
        feed: Submission,
        duty: DutyRule::NOTICES,
        level: ColumnLevel::Second,
        retired: false,
    });
    let mut sheet = city_sheet();
    sheet[1].path = "政务公开/通知公告".into();
    let plan = planned(&org, &sheet);
    // 市教育局 keeps its own; 市卫生健康委's, no longer listed, is retired.
    assert_eq!(plan.changes, [OrgChange::RetireColumn { id: 40 }]);
    assert!(planned(&org.apply(&plan), &sheet).is_empty());
}
