//! The organisation's sheet read from real files: .xlsx written by rust_xlsxwriter (merged cells,
//! a title row, empty rows, numbers), CSV in UTF-8 with a BOM and in GB18030, and bad files.

use liaison_domain::orgsheet::{self, OrgChange, Organisation};
use liaison_domain::{DutyRule, FeedMethod, Role};
use liaison_office::orgsheet::fixture::{
    FIXTURE, fixture_csv, fixture_xlsx, fixture_xlsx_first_rows,
};
use liaison_office::orgsheet::{ImportError, MAX_BYTES, SheetError, import_plan, read_sheet};
use rust_xlsxwriter::Workbook;

/// An .xlsx whose first worksheet holds `rows` (row 1 first), each cell a string.
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, text) in cells.iter().enumerate() {
            if !text.is_empty() {
                sheet.write_string(r as u32, c as u16, *text).expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn csv(rows: &[&[&str]]) -> String {
    rows.iter().map(|r| r.join(",") + "\n").collect()
}

/// The import's refusals as (row, reason).
fn refused(result: Result<orgsheet::OrgPlan, ImportError>) -> Vec<(u32, String)> {
    match result {
        Err(ImportError::Rows(errors)) => errors.into_iter().map(|e| (e.row, e.reason)).collect(),
        other => panic!("expected refused rows, got {other:?}"),
    }
}

const HEADER: &[&str] = &[
    "部门",
    "栏目",
    "栏目路径",
    "保障方式",
    "更新要求",
    "信息员",
    "联系电话",
    "责任人",
];

#[test]
fn the_fixture_xlsx_reads_with_merged_cells_a_title_empty_rows_and_a_phone_typed_as_a_number() {
    let bytes = fixture_xlsx().expect("fixture");
    let raw = read_sheet(&bytes, "栏目保障责任表.XLSX").expect("read");
    let columns: usize = FIXTURE.iter().map(|d| d.columns.len()).sum();
    assert_eq!(
        raw.len(),
        columns,
        "the title and the empty rows are not rows"
    );
    // Row numbers are the ones a user sees: the title and the empty rows still count.
    let firsts = fixture_xlsx_first_rows();
    assert_eq!(firsts, [3, 8, 13]);
    assert_eq!(
        raw.iter().map(|r| r.row).collect::<Vec<_>>(),
        [3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15]
    );
    // The merged 部门, 信息员, 联系电话 and 责任人 fill every row of their department.
    let last_of_first = &raw[3];
    assert_eq!(last_of_first.department, "\u{3000}市教育局");
    assert_eq!(last_of_first.officer, "王晓燕");
    assert_eq!(last_of_first.phone, "13800138001");
    assert_eq!(last_of_first.responsible, "李建国");
    assert_eq!(raw[0].column, "教育动态\u{3000}");

    let rows = orgsheet::rows(&raw).expect("good rows");
    assert_eq!(rows[0].department, "市教育局");
    assert_eq!(rows[0].column, "教育动态");
    assert_eq!(rows[0].duty, DutyRule::NEWS);
    assert_eq!(
        rows[10].officer.as_ref().and_then(|p| p.phone.as_deref()),
        Some("13800138003")
    );
}

#[test]
fn the_fixture_builds_an_empty_office_and_importing_it_again_changes_nothing() {
    let bytes = fixture_xlsx().expect("fixture");
    let empty = Organisation::default();
    let plan = import_plan(&bytes, "org.xlsx", &empty).expect("plan");
    let summary = plan.summary();
    assert_eq!(
        (
            summary.departments_created,
            summary.columns_created,
            summary.seats_created
        ),
        (3, 11, 6)
    );
    assert!(plan.changes.contains(&OrgChange::CreateSeat {
        department: "市教育局".into(),
        role: Role::Officer,
        login: "sjyj.officer".into(),
        holder_name: "王晓燕".into(),
        phone: Some("13800138001".into()),
    }));
    let lines = plan.describe(&empty);
    assert_eq!(lines.len(), plan.changes.len());
    assert_eq!(lines[0], "新建部门「市教育局」");

    let office = empty.apply(&plan);
    let again = import_plan(&bytes, "org.xlsx", &office).expect("plan");
    assert!(again.is_empty(), "{:?}", again.changes);
    // The CSV of the same fixture says the same.
    let from_csv = import_plan(&fixture_csv(), "org.csv", &office).expect("plan");
    assert!(from_csv.is_empty(), "{:?}", from_csv.changes);
}

#[test]
fn a_utf8_csv_with_a_bom_reads_its_header() {
    let raw = read_sheet(&fixture_csv(), "org.csv").expect("read");
    assert_eq!(raw[0].row, 2);
    assert_eq!(raw[0].department, "市教育局");
    assert_eq!(raw[0].phone, "13800138001");
    assert_eq!(raw.len(), 11);
}

/// The demo city's departments and people, each with its news column.
const DEMO: &[(&str, &str, &str, &str)] = &[
    ("市教育局", "王晓燕", "李建国", "教育动态"),
    ("市卫生健康委", "陈静", "张卫东", "卫健要闻"),
    ("市交通运输局", "刘洋", "赵志刚", "交通动态"),
    ("市人力资源和社会保障局", "周敏", "吴海涛", "人社动态"),
    ("市生态环境局", "孙丽", "郑国强", "环保动态"),
    ("市住房和城乡建设局", "黄磊", "何文斌", "住建动态"),
    ("市市场监督管理局", "林芳", "马骏", "市场监管动态"),
    ("市应急管理局", "高峰", "罗小红", "应急动态"),
    ("市财政局", "徐娜", "梁振华", "财政动态"),
];

#[test]
fn a_gb18030_csv_of_the_demo_city_reads_with_synonym_headers_in_any_order() {
    let mut text = String::from(
        "责任单位,栏目名称,更新频率,保障方式,所在位置,备注,信息员姓名,电话,责任人姓名\n",
    );
    for (dept, officer, responsible, news) in DEMO {
        text.push_str(&format!(
            "{dept},{news},每个工作日,信息报送,部门动态/{news},,{officer},0571-8700 1234,{responsible}\n"
        ));
        text.push_str(&format!(
            "{dept},{dept}通知公告,每半年,报送,政务公开/{dept}/通知公告,季度检查,,,\n"
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is really GB18030"
    );
    let raw = read_sheet(&bytes, "全市栏目.csv").expect("read");
    assert_eq!(raw.len(), 18);
    assert_eq!(raw[0].department, "市教育局");
    assert_eq!(raw[0].path, "部门动态/教育动态");
    assert_eq!(raw[17].row, 19);
    assert_eq!(raw[17].path, "政务公开/市财政局/通知公告");

    let plan = import_plan(&bytes, "全市栏目.csv", &Organisation::default()).expect("plan");
    let s = plan.summary();
    assert_eq!(
        (s.departments_created, s.columns_created, s.seats_created),
        (9, 18, 18)
    );
    let logins: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            OrgChange::CreateSeat { login, .. } => Some(login.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        logins.contains(&"sjyj.officer") && logins.contains(&"sczj.responsible"),
        "{logins:?}"
    );
    assert!(plan.changes.contains(&OrgChange::CreateColumn {
        department: "市财政局".into(),
        name: "市财政局通知公告".into(),
        path: "政务公开/市财政局/通知公告".into(),
        feed: FeedMethod::Submission,
        duty: DutyRule::NOTICES,
        level: liaison_domain::ColumnLevel::Second,
    }));
}

#[test]
fn bad_rows_are_all_refused_with_their_numbers_and_nothing_is_planned() {
    let bytes = xlsx(&[
        HEADER,
        &[
            "市教育局",
            "教育动态",
            "部门动态/教育动态",
            "信息报送",
            "每个工作日",
            "王晓燕",
            "13800138001",
            "李建国",
        ],
        &[],
        &[
            "市教育局",
            "招生考试",
            "公共服务/招生考试",
            "网上采集",
            "每月",
            "",
            "",
            "",
        ],
        &[
            "市教育局",
            "人事信息",
            "政务公开/人事信息",
            "信息报送",
            "时常更新",
            "",
            "",
            "",
        ],
        &[
            "市教育局",
            "教育要闻",
            "部门动态/教育动态",
            "信息报送",
            "每周",
            "",
            "",
            "",
        ],
    ]);
    let office = Organisation::default();
    let got = refused(import_plan(&bytes, "bad.xlsx", &office));
    assert_eq!(got.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [4, 5, 6]);
    assert_eq!(
        got[0].1,
        "第4行：保障方式「网上采集」无法识别，应为 信息报送、网上抓取、网站链接 或 栏目共建 之一"
    );
    assert!(
        got[1].1.starts_with("第5行：更新要求「时常更新」无法识别"),
        "{}",
        got[1].1
    );
    assert_eq!(got[2].1, "第6行：栏目路径「部门动态/教育动态」与第2行重复");
}

#[test]
fn an_unknown_department_without_its_people_is_refused() {
    let office = Organisation::default().apply(
        &import_plan(
            &fixture_xlsx().expect("fixture"),
            "org.xlsx",
            &Organisation::default(),
        )
        .expect("plan"),
    );
    let text = csv(&[
        HEADER,
        &[
            "市教育局",
            "教育动态",
            "部门动态/教育动态",
            "信息报送",
            "每个工作日",
            "",
            "",
            "",
        ],
        &[
            "市体育局",
            "体育动态",
            "部门动态/体育动态",
            "信息报送",
            "每周",
            "钱多",
            "",
            "",
        ],
        &[
            "市体育局",
            "赛事信息",
            "公共服务/赛事信息",
            "信息报送",
            "每月",
            "",
            "",
            "",
        ],
    ]);
    let got = refused(import_plan(text.as_bytes(), "org.csv", &office));
    assert_eq!(
        got,
        [
            (
                3,
                "第3行：部门「市体育局」不存在，且表中未给出其信息员和责任人".to_string()
            ),
            (
                4,
                "第4行：部门「市体育局」不存在，且表中未给出其信息员和责任人".to_string()
            ),
        ]
    );
}

#[test]
fn a_missing_header_is_named() {
    let bytes = xlsx(&[
        &[],
        &["部门", "栏目", "保障方式", "更新要求"],
        &["市教育局", "教育动态", "信息报送", "每个工作日"],
    ]);
    let err = read_sheet(&bytes, "org.xlsx").expect_err("refused");
    assert_eq!(
        err,
        SheetError::MissingHeaders {
            row: 2,
            missing: vec!["栏目路径"]
        }
    );
    assert_eq!(err.to_string(), "第2行被当作表头，但缺少必需的列：栏目路径");
    let err = read_sheet("栏目,备注\n教育动态,\n".as_bytes(), "org.csv").expect_err("refused");
    assert_eq!(
        err.to_string(),
        "第1行被当作表头，但缺少必需的列：部门、栏目路径、保障方式、更新要求"
    );
}

#[test]
fn files_that_are_not_sheets_are_refused_with_a_clear_error() {
    // Random bytes (a fixed xorshift stream), named as a spreadsheet.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let err = read_sheet(&noise, "org.xlsx").expect_err("refused");
    assert!(matches!(err, SheetError::NotASpreadsheet(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("文件不是有效的 .xlsx 表格"),
        "{err}"
    );
    assert_eq!(read_sheet(&noise, "org.csv"), Err(SheetError::Encoding));
    // A zip that is not a workbook.
    let docx = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "word/document.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .expect("zip");
        std::io::Write::write_all(&mut w, b"<w:document/>").expect("zip");
        w.finish().expect("zip").into_inner()
    };
    assert!(matches!(
        read_sheet(&docx, "org.xlsx"),
        Err(SheetError::NotASpreadsheet(_))
    ));
    assert_eq!(
        read_sheet(b"a,b", "org.xls"),
        Err(SheetError::UnsupportedType("org.xls".into()))
    );
    assert_eq!(read_sheet(b"", "org.csv"), Err(SheetError::Empty));
    assert_eq!(
        read_sheet(" , \n\n".as_bytes(), "org.csv"),
        Err(SheetError::Empty)
    );
    let header_only = csv(&[HEADER]);
    assert_eq!(
        read_sheet(header_only.as_bytes(), "org.csv"),
        Err(SheetError::NoRows)
    );
    let big = vec![b'a'; MAX_BYTES + 1];
    assert!(matches!(
        read_sheet(&big, "org.csv"),
        Err(SheetError::TooLarge { .. })
    ));
}

#[test]
fn a_sheet_over_the_row_limit_is_refused() {
    let mut text = csv(&[HEADER]);
    for i in 0..5_001 {
        text.push_str(&format!(
            "市教育局,栏目{i},政务公开/栏目{i},信息报送,每月,,,\n"
        ));
    }
    assert!(text.len() < MAX_BYTES);
    assert_eq!(
        read_sheet(text.as_bytes(), "org.csv"),
        Err(SheetError::TooManyRows { max: 5_000 })
    );
    // 5,000 rows are fine.
    let at_limit: String = text.lines().take(5_001).map(|l| format!("{l}\n")).collect();
    assert_eq!(
        read_sheet(at_limit.as_bytes(), "org.csv").map(|r| r.len()),
        Ok(5_000)
    );
}

#[test]
fn a_damaged_xlsx_is_refused_or_read_never_a_panic() {
    let good = fixture_xlsx().expect("fixture");
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..300 {
        let mut bytes = good.clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        let cut = if next() % 4 == 0 {
            (next() as usize) % bytes.len()
        } else {
            bytes.len()
        };
        bytes.truncate(cut);
        // Either a clear refusal or rows: what matters is that it answers.
        if let Err(e) = read_sheet(&bytes, "org.xlsx") {
            assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn an_xlsx_that_unpacks_too_large_is_refused_before_it_is_read() {
    let bomb = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file(
            "xl/worksheets/sheet1.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .expect("zip");
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..65 {
            std::io::Write::write_all(&mut w, &zeros).expect("zip");
        }
        w.finish().expect("zip").into_inner()
    };
    assert!(bomb.len() < MAX_BYTES);
    let err = read_sheet(&bomb, "org.xlsx").expect_err("refused");
    assert_eq!(err, SheetError::Unpacked { max_mib: 64 });
    assert_eq!(err.to_string(), "表格解压后超过 64 MiB，不能导入");
}
