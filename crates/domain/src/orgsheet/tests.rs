//! The sheet's rows, and the test city the plan's tests share.

use super::*;
use crate::column::{GapUnit, Period};
use crate::org::Role;

use FeedMethod::{CoEditing, Link, Scraping, Submission};

pub(super) const FOUR_A_MONTH: DutyRule = DutyRule::MinCount {
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

pub(super) fn city() -> Organisation {
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
pub(super) fn city_sheet() -> Vec<SheetRow> {
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

pub(super) fn row(
    n: u32,
    dept: &str,
    column: &str,
    path: &str,
    feed: &str,
    duty: &str,
) -> SheetRow {
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

pub(super) fn planned(org: &Organisation, sheet: &[SheetRow]) -> OrgPlan {
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
