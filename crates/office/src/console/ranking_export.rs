//! The ranking for the monthly report, as CSV and as an .xlsx workbook: the same rows and numbers
//! the ranking page's table shows (place, department, the count of each rule the scheme uses,
//! the total), headed in the page's language.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use super::ranking::{counts, period_words, rule_words, rules_of};
use super::render::{self, Lang};
use crate::service::scores::Ranking;

/// The header row.
fn header_row(lang: Lang, ranking: &Ranking) -> Vec<String> {
    let mut row = vec![
        lang.word("ranking.table.place"),
        lang.word("ranking.table.department"),
    ];
    row.extend(
        rules_of(&ranking.scheme)
            .into_iter()
            .map(|r| rule_words(lang, r)),
    );
    row.push(lang.word("ranking.table.total"));
    row
}

/// A download named for the period, e.g. `评比-2026-11.xlsx`.
fn download(
    lang: Lang,
    ranking: &Ranking,
    extension: &str,
    mime: &'static str,
    bytes: Vec<u8>,
) -> Response {
    let name = format!(
        "{}-{}.{extension}",
        lang.word("ranking.file_name"),
        ranking.period.key()
    );
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let mut response = Body::from(bytes).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"ranking-{}.{extension}\"; filename*=UTF-8''{encoded}",
        ranking.period.key()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The ranking as CSV, UTF-8 with a byte-order mark.
pub fn csv(lang: Lang, ranking: &Ranking) -> Response {
    let rules = rules_of(&ranking.scheme);
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let mut write = || -> Result<Vec<u8>, csv::Error> {
        out.write_record(header_row(lang, ranking))?;
        for row in &ranking.rows {
            let mut record = vec![row.place.to_string(), row.department_name.clone()];
            record.extend(counts(row, &rules).into_iter().map(|c| c.to_string()));
            record.push(row.breakdown.total.to_string());
            out.write_record(record)?;
        }
        out.flush()?;
        Ok(out.get_ref().clone())
    };
    match write() {
        Ok(bytes) => download(lang, ranking, "csv", "text/csv; charset=utf-8", bytes),
        Err(e) => render::server_error_page(lang, &format!("ranking CSV: {e}")),
    }
}

/// The ranking as an .xlsx workbook: one sheet named for the period, numbers as numbers.
pub fn xlsx(lang: Lang, ranking: &Ranking) -> Response {
    match workbook(lang, ranking) {
        Ok(bytes) => download(
            lang,
            ranking,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(e) => render::server_error_page(lang, &format!("ranking workbook: {e}")),
    }
}

fn workbook(lang: Lang, ranking: &Ranking) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rules = rules_of(&ranking.scheme);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(ranking.period.key())?;
    let bold = Format::new().set_bold();
    sheet.write_string_with_format(0, 0, period_words(lang, ranking.period), &bold)?;
    for (c, title) in header_row(lang, ranking).iter().enumerate() {
        sheet.write_string_with_format(2, c as u16, title, &bold)?;
    }
    for (i, row) in ranking.rows.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number(r, 0, row.place)?;
        sheet.write_string(r, 1, &row.department_name)?;
        for (j, count) in counts(row, &rules).into_iter().enumerate() {
            sheet.write_number(r, 2 + j as u16, count)?;
        }
        sheet.write_number(r, 2 + rules.len() as u16, row.breakdown.total as f64)?;
    }
    sheet.set_column_width(1, 24)?;
    book.save_to_buffer()
}
