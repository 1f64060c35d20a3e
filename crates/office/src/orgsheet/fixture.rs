//! A small realistic organisation sheet for tests (feature `test-support`): three departments,
//! their columns and their people, as an .xlsx the way offices lay it out (a title row, 部门 and
//! the people merged over each department's rows, an empty row between departments, a phone
//! typed as a number, stray full-width spaces) and as a UTF-8 CSV.
//!
//! Two departments are the demo city's (市教育局, 市卫生健康委, with its paths and people); the
//! third (市文化广电旅游局) is new. Imported into the demo office it creates one department, its
//! columns and two seats, adds a column, and retires the demo columns the sheet leaves out.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

/// One department of the fixture.
pub struct FixtureDepartment {
    pub name: &'static str,
    pub officer: &'static str,
    /// Written into the .xlsx as a number.
    pub phone: u64,
    pub responsible: &'static str,
    /// 栏目, 栏目路径, 保障方式, 更新要求, 栏目级别.
    pub columns: &'static [[&'static str; 5]],
}

/// The sheet's header, in the order the fixture writes it.
pub const HEADER: [&str; 9] = [
    "部门",
    "栏目",
    "栏目路径",
    "保障方式",
    "更新要求",
    "栏目级别",
    "信息员",
    "联系电话",
    "责任人",
];

/// The title row above the header in the .xlsx.
pub const TITLE: &str = "市政府门户网站栏目内容保障责任表";

pub const FIXTURE: &[FixtureDepartment] = &[
    FixtureDepartment {
        name: "市教育局",
        officer: "王晓燕",
        phone: 13_800_138_001,
        responsible: "李建国",
        columns: &[
            [
                "教育动态",
                "部门动态/教育动态",
                "信息报送",
                "每个工作日",
                "一级",
            ],
            [
                "通知公告",
                "政务公开/通知公告",
                "信息报送",
                "每半年",
                "一级",
            ],
            [
                "政策文件",
                "政务公开/政策文件",
                "信息报送",
                "每半年",
                "二级",
            ],
            [
                "招生考试",
                "公共服务/招生考试",
                "栏目共建",
                "每月不少于4条",
                "二级",
            ],
        ],
    },
    FixtureDepartment {
        name: "市卫生健康委",
        officer: "陈静",
        phone: 13_800_138_002,
        responsible: "张卫东",
        columns: &[
            [
                "卫健要闻",
                "部门动态/卫健要闻",
                "信息报送",
                "每个工作日",
                "一级",
            ],
            ["疾病防控", "公共服务/疾病防控", "栏目共建", "每周", "二级"],
            [
                "医疗机构查询",
                "公共服务/医疗机构查询",
                "网站链接",
                "每年",
                "二级",
            ],
            [
                "健康科普",
                "公共服务/健康科普",
                "信息报送",
                "每两周",
                "二级",
            ],
        ],
    },
    FixtureDepartment {
        name: "市文化广电旅游局",
        officer: "何雪",
        phone: 13_800_138_003,
        responsible: "宋涛",
        columns: &[
            [
                "文旅动态",
                "部门动态/文旅动态",
                "信息报送",
                "每个工作日",
                "一级",
            ],
            [
                "景区信息",
                "公共服务/景区信息",
                "网站链接",
                "每季度",
                "二级",
            ],
            ["文化活动", "首页/文化活动", "信息报送", "每周", "二级"],
        ],
    },
];

/// Every column row of the fixture, each with its department and people (as a CSV holds them).
pub fn fixture_rows() -> Vec<[String; 9]> {
    FIXTURE
        .iter()
        .flat_map(|d| {
            d.columns
                .iter()
                .map(move |[column, path, feed, duty, level]| {
                    [
                        d.name,
                        column,
                        path,
                        feed,
                        duty,
                        level,
                        d.officer,
                        &d.phone.to_string(),
                        d.responsible,
                    ]
                    .map(str::to_string)
                })
        })
        .collect()
}

/// The fixture as a UTF-8 CSV with a BOM (as Excel saves "CSV UTF-8").
pub fn fixture_csv() -> Vec<u8> {
    let mut text = String::from("\u{feff}");
    text.push_str(&HEADER.join(","));
    text.push_str("\r\n");
    for row in fixture_rows() {
        text.push_str(&row.join(","));
        text.push_str("\r\n");
    }
    text.into_bytes()
}

/// The sheet rows the .xlsx from [`fixture_xlsx`] holds its departments on: the first data row
/// of each department (1-based, as a user sees them). Row 1 is the title, row 2 the header.
pub fn fixture_xlsx_first_rows() -> Vec<u32> {
    let mut rows = Vec::new();
    let mut next = 3;
    for d in FIXTURE {
        rows.push(next);
        // Each department is followed by one empty row.
        next += d.columns.len() as u32 + 1;
    }
    rows
}

/// The fixture as an .xlsx: a title row merged across the columns, the header, then each
/// department's rows with 部门, 信息员, 联系电话 (a number) and 责任人 merged over them, an empty
/// row after each department, and full-width spaces around some names.
pub fn fixture_xlsx() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("栏目保障")?;
    let merged = Format::new().set_align(FormatAlign::VerticalCenter);
    sheet.merge_range(0, 0, 0, 8, TITLE, &Format::new())?;
    for (c, header) in HEADER.iter().enumerate() {
        sheet.write_string(1, c as u16, *header)?;
    }
    for (d, first) in FIXTURE.iter().zip(fixture_xlsx_first_rows()) {
        let top = first - 1; // 0-based
        let bottom = top + d.columns.len() as u32 - 1;
        for (i, [column, path, feed, duty, level]) in d.columns.iter().enumerate() {
            let r = top + i as u32;
            // A stray full-width space, as pasted names carry.
            let column = if i == 0 {
                format!("{column}\u{3000}")
            } else {
                column.to_string()
            };
            for (c, text) in [
                (1, column.as_str()),
                (2, path),
                (3, feed),
                (4, duty),
                (5, level),
            ] {
                sheet.write_string(r, c, text)?;
            }
        }
        let name = format!("\u{3000}{}", d.name);
        let phone = d.phone as f64;
        if bottom > top {
            sheet.merge_range(top, 0, bottom, 0, &name, &merged)?;
            sheet.merge_range(top, 6, bottom, 6, d.officer, &merged)?;
            sheet.merge_range(top, 7, bottom, 7, "", &merged)?;
            sheet.merge_range(top, 8, bottom, 8, d.responsible, &merged)?;
        } else {
            sheet.write_string(top, 0, &name)?;
            sheet.write_string(top, 6, d.officer)?;
            sheet.write_string(top, 8, d.responsible)?;
        }
        sheet.write_number(top, 7, phone)?;
    }
    book.save_to_buffer()
}
