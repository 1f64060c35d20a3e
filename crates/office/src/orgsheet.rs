//! Reading the organisation's spreadsheet (.xlsx or .csv) into [`SheetRow`]s, for the domain's
//! checks ([`liaison_domain::orgsheet::rows`]) and plan ([`liaison_domain::orgsheet::plan`]).
//!
//! The header row is the first non-empty row (a title row above it is passed over); headers are matched by name (with the synonyms
//! offices use), in any order, and other columns are ignored. In an .xlsx the first worksheet is
//! read and a merged region's value fills every cell of the region (部门 merged over its rows).
//! A CSV is UTF-8 (with or without BOM) or GB18030. Every refusal is a [`SheetError`] worded in
//! Chinese for the administrator; nothing here panics on a file's content.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use liaison_domain::orgsheet::{self, OrgPlan, Organisation, RowError, SheetRow};

#[cfg(any(test, feature = "test-support"))]
pub mod fixture;

/// Largest file taken, in bytes.
pub const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Largest total of an .xlsx's unpacked parts, in bytes (a zip bomb stops here).
pub const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
/// Most rows a sheet may have after its header.
pub const MAX_ROWS: usize = 5_000;
/// Columns beyond this one are never read.
const MAX_COLUMNS: usize = 100;

/// Why a file could not be read as the organisation's sheet.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("文件「{0}」不是 .xlsx 或 .csv 表格，请另存为其中一种格式后再导入")]
    UnsupportedType(String),
    #[error("文件过大（{size} 字节），不能超过 {max} 字节")]
    TooLarge { size: usize, max: usize },
    /// The detail (from the zip or xlsx reader, in English) is for the log, not the message.
    #[error("文件不是有效的 .xlsx 表格（可能已损坏，或只是改了扩展名）")]
    NotASpreadsheet(String),
    #[error("表格解压后超过 {max_mib} MiB，不能导入")]
    Unpacked { max_mib: u64 },
    #[error("表格中没有工作表")]
    NoWorksheet,
    #[error("CSV 文件的编码无法识别，请另存为 UTF-8 或 GB18030（GBK）编码")]
    Encoding,
    #[error("CSV 文件无法读取：{0}")]
    Csv(String),
    #[error("表格是空的，找不到表头行")]
    Empty,
    #[error("第{row}行被当作表头，但缺少必需的列：{}", .missing.join("、"))]
    MissingHeaders {
        row: u32,
        missing: Vec<&'static str>,
    },
    #[error("表中除表头外没有数据行")]
    NoRows,
    #[error("数据行过多，不能超过 {max} 行")]
    TooManyRows { max: usize },
}

/// What went wrong with an import, before anything is changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// The file itself.
    #[error(transparent)]
    Sheet(#[from] SheetError),
    /// Rows the domain refused, each with its number and reason.
    #[error("表中有 {} 处错误", .0.len())]
    Rows(Vec<RowError>),
}

/// The file's rows, checked, and the plan that makes `current` match them (a dry run: nothing is
/// changed; the caller applies the plan in one transaction).
pub fn import_plan(
    bytes: &[u8],
    file_name: &str,
    current: &Organisation,
) -> Result<OrgPlan, ImportError> {
    let raw = read_sheet(bytes, file_name)?;
    let rows = orgsheet::rows(&raw).map_err(ImportError::Rows)?;
    orgsheet::plan(current, &rows).map_err(ImportError::Rows)
}

/// The fields of a row, in [`SheetRow`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Department,
    Column,
    Path,
    Feed,
    Duty,
    Level,
    Officer,
    Phone,
    Responsible,
}

/// Each field's header words; the first is its name in messages.
const HEADERS: &[(Field, bool, &[&str])] = &[
    (
        Field::Department,
        true,
        &["部门", "责任单位", "保障部门", "单位", "部门名称"],
    ),
    (Field::Column, true, &["栏目", "栏目名称"]),
    (Field::Path, true, &["栏目路径", "路径", "所在位置"]),
    (Field::Feed, true, &["保障方式"]),
    (Field::Duty, true, &["更新要求", "更新频率", "更新周期"]),
    (Field::Level, false, &["栏目级别", "级别"]),
    (Field::Officer, false, &["信息员", "信息员姓名"]),
    (
        Field::Phone,
        false,
        &["联系电话", "电话", "手机", "信息员电话"],
    ),
    (Field::Responsible, false, &["责任人", "责任人姓名"]),
];

/// Reads the rows of an organisation sheet. `file_name` says the format (.xlsx or .csv).
pub fn read_sheet(bytes: &[u8], file_name: &str) -> Result<Vec<SheetRow>, SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::TooLarge {
            size: bytes.len(),
            max: MAX_BYTES,
        });
    }
    let lower = file_name.trim().to_lowercase();
    let grid = if lower.ends_with(".xlsx") {
        xlsx_grid(bytes)
    } else if lower.ends_with(".csv") {
        csv_grid(bytes)
    } else {
        Err(SheetError::UnsupportedType(file_name.to_string()))
    };
    let rows = grid.and_then(rows_of);
    if let Err(e) = &rows {
        tracing::info!(file = file_name, error = ?e, "organisation sheet refused");
    }
    rows
}

/// A sheet as rows of cell texts, each with the row number a user sees.
type Grid = Vec<(u32, Vec<String>)>;

fn rows_of(grid: Grid) -> Result<Vec<SheetRow>, SheetError> {
    let blank = |cells: &[String]| cells.iter().all(|c| orgsheet::normalise(c).is_empty());
    let lines: Vec<(u32, Vec<String>)> = grid
        .into_iter()
        .filter(|(_, cells)| !blank(cells))
        .collect();
    // The header is the first non-empty row, unless a title above it (市政府网站栏目保障表, merged
    // across the columns) comes first: then the first of the top rows naming two headers.
    let words = |cells: &[String]| {
        cells
            .iter()
            .filter(|c| {
                let word = header_word(c);
                HEADERS
                    .iter()
                    .any(|(_, _, words)| words.contains(&word.as_str()))
            })
            .count()
    };
    let header_at = lines
        .iter()
        .take(10)
        .position(|(_, cells)| words(cells) >= 2)
        .unwrap_or(0);
    let mut lines = lines.into_iter().skip(header_at);
    let (header_row, header) = lines.next().ok_or(SheetError::Empty)?;
    let mut at: Vec<(Field, usize)> = Vec::new();
    let mut missing = Vec::new();
    for (field, required, words) in HEADERS {
        let found = header
            .iter()
            .position(|h| words.contains(&header_word(h).as_str()));
        match found {
            Some(i) => at.push((*field, i)),
            None if *required => missing.push(words[0]),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(SheetError::MissingHeaders {
            row: header_row,
            missing,
        });
    }
    let mut out = Vec::new();
    for (row, cells) in lines {
        if out.len() == MAX_ROWS {
            return Err(SheetError::TooManyRows { max: MAX_ROWS });
        }
        let mut sheet_row = SheetRow {
            row,
            ..SheetRow::default()
        };
        for (field, i) in &at {
            let value = cells.get(*i).cloned().unwrap_or_default();
            let slot = match field {
                Field::Department => &mut sheet_row.department,
                Field::Column => &mut sheet_row.column,
                Field::Path => &mut sheet_row.path,
                Field::Feed => &mut sheet_row.feed,
                Field::Duty => &mut sheet_row.duty,
                Field::Level => &mut sheet_row.level,
                Field::Officer => &mut sheet_row.officer,
                Field::Phone => &mut sheet_row.phone,
                Field::Responsible => &mut sheet_row.responsible,
            };
            *slot = value;
        }
        out.push(sheet_row);
    }
    if out.is_empty() {
        return Err(SheetError::NoRows);
    }
    Ok(out)
}

/// A header cell as a word: no spaces, no required-field marks (部门*, 部门（必填）).
fn header_word(cell: &str) -> String {
    let word: String = orgsheet::normalise(cell)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '＊'))
        .collect();
    for mark in ["（必填）", "(必填)", "（选填）", "(选填)"] {
        if let Some(w) = word.strip_suffix(mark) {
            return w.to_string();
        }
    }
    word
}

fn xlsx_grid(bytes: &[u8]) -> Result<Grid, SheetError> {
    check_unpacked_size(bytes)?;
    let bad = |e: calamine::XlsxError| SheetError::NotASpreadsheet(e.to_string());
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or(SheetError::NoWorksheet)?;
    let range = book.worksheet_range(&name).map_err(bad)?;
    let merged = book.merge_cells_by_sheet_name(&name).map_err(bad)?;
    let Some((first_row, first_col)) = range.start() else {
        return Err(SheetError::Empty);
    };
    // The last row holding a value (formatting alone may reach much further down).
    let Some(last_row) = range
        .used_cells()
        .filter(|(_, _, v)| !cell_text(v).trim().is_empty())
        .map(|(r, _, _)| first_row as usize + r)
        .max()
    else {
        return Err(SheetError::Empty);
    };
    let last_col = range.end().map_or(first_col, |(_, c)| c);
    // The header and the blank rows above it are not data, but a sheet this tall is refused
    // before its cells are copied.
    if last_row > MAX_ROWS + 100 {
        return Err(SheetError::TooManyRows { max: MAX_ROWS });
    }
    let last_row = last_row as u32;
    let width = ((last_col as usize) + 1).min(MAX_COLUMNS);
    let mut grid: Vec<(u32, Vec<String>)> = (0..=last_row)
        .map(|r| (r + 1, vec![String::new(); width]))
        .collect();
    for r in first_row..=last_row {
        for c in first_col..(width as u32) {
            if let Some(value) = range.get_value((r, c)) {
                grid[r as usize].1[c as usize] = cell_text(value);
            }
        }
    }
    for region in merged {
        let (top, left) = region.start;
        let value = grid
            .get(top as usize)
            .and_then(|(_, cells)| cells.get(left as usize))
            .cloned()
            .unwrap_or_default();
        let bottom = region.end.0.min(last_row);
        let right = (region.end.1 as usize).min(width.saturating_sub(1));
        for r in top..=bottom {
            for c in (left as usize)..=right {
                if let Some(cell) = grid
                    .get_mut(r as usize)
                    .and_then(|(_, cells)| cells.get_mut(c))
                {
                    cell.clone_from(&value);
                }
            }
        }
    }
    Ok(grid)
}

/// Refuses an .xlsx whose parts would unpack to more than [`MAX_UNPACKED_BYTES`].
fn check_unpacked_size(bytes: &[u8]) -> Result<(), SheetError> {
    let not_zip = |e: zip::result::ZipError| SheetError::NotASpreadsheet(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_zip)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(not_zip)?;
        total = total.saturating_add(entry.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(SheetError::Unpacked {
                max_mib: MAX_UNPACKED_BYTES / 1024 / 1024,
            });
        }
    }
    Ok(())
}

/// A cell as the text a user sees: a whole number without a decimal point or exponent (a phone
/// typed as a number reads as its digits).
fn cell_text(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::Error(_) => String::new(),
        other => other.to_string(),
    }
}

fn csv_grid(bytes: &[u8]) -> Result<Grid, SheetError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    let mut lines = Lines {
        bytes: text.as_bytes(),
        at: 0,
        feeds: 0,
    };
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Csv(e.to_string()))?;
        if grid.len() > MAX_ROWS + 100 {
            return Err(SheetError::TooManyRows { max: MAX_ROWS });
        }
        let row = record
            .position()
            .map_or(grid.len() + 1, |p| lines.line_at(p.byte()));
        let cells = record
            .iter()
            .take(MAX_COLUMNS)
            .map(str::to_string)
            .collect();
        grid.push((u32::try_from(row).unwrap_or(u32::MAX), cells));
    }
    Ok(grid)
}

/// Counts lines in a CSV's text as its records come, in order. The csv crate's own line count is
/// off after CRLF endings and skipped empty lines, and its offset may point at the line breaks
/// before a record: they are passed over, then the line feeds before the record counted.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    feeds: usize,
}

impl Lines<'_> {
    /// The 1-based line of a record starting at `byte` (at or after the previous one's).
    fn line_at(&mut self, byte: u64) -> usize {
        let bytes = self.bytes;
        let mut to = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while to < bytes.len() && matches!(bytes[to], b'\r' | b'\n') {
            to += 1;
        }
        if to > self.at {
            self.feeds += bytes[self.at..to].iter().filter(|b| **b == b'\n').count();
            self.at = to;
        }
        self.feeds + 1
    }
}

/// A CSV's text: UTF-8 (a BOM dropped), else GB18030 (which GBK files are), else refused. Text
/// holding NUL is not a CSV either way.
fn decode(bytes: &[u8]) -> Result<String, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(SheetError::Encoding)?
            .into_owned(),
    };
    if text.contains('\0') {
        return Err(SheetError::Encoding);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_matched_by_their_words_and_marks() {
        assert_eq!(header_word(" 部门* "), "部门");
        assert_eq!(header_word("栏目 路径（必填）"), "栏目路径");
        assert_eq!(header_word("更新频率"), "更新频率");
    }

    #[test]
    fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
        for (text, want) in [
            ("a,b\r\nc,d\r\n\r\ne,f\r\n", vec![1, 2, 4]),
            ("a,b\nc,d\n\n\ne,f", vec![1, 2, 5]),
            ("\n\"x\",b\n", vec![2]),
        ] {
            let rows: Vec<u32> = csv_grid(text.as_bytes())
                .expect("csv")
                .into_iter()
                .map(|(row, _)| row)
                .collect();
            assert_eq!(rows, want, "{text:?}");
        }
    }

    #[test]
    fn whole_numbers_read_as_their_digits() {
        assert_eq!(cell_text(&Data::Float(13800138000.0)), "13800138000");
        assert_eq!(cell_text(&Data::Int(2)), "2");
        assert_eq!(cell_text(&Data::Float(1.5)), "1.5");
    }
}
