//! Word (.docx) to item HTML: headings, paragraphs, bold/italic/underline, lists, tables,
//! hyperlinks and embedded images (which become the draft's files), and the document's title.
//! A .docx is a zip of XML parts; every read is bounded (entry count, each entry's and the total
//! uncompressed size), so a zip bomb or a malformed file fails with a reason, quickly.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{ImportError, Imported, ImportedFile, escape};

/// At most this many entries in the zip.
pub const MAX_ENTRIES: usize = 2000;
/// At most this many bytes in one entry, uncompressed.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// At most this many bytes in all entries read, uncompressed.
pub const MAX_TOTAL_BYTES: u64 = 200 * 1024 * 1024;

const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

struct Package<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
    read_total: u64,
}

impl Package<'_> {
    /// One part, read within the limits; `None` if the package has no such part.
    fn part(&mut self, name: &str) -> Result<Option<Vec<u8>>, ImportError> {
        let mut entry = match self.zip.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(ImportError::Malformed(format!("{name}: {e}"))),
        };
        if entry.encrypted() {
            return Err(ImportError::Encrypted);
        }
        let budget = MAX_ENTRY_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(self.read_total));
        let mut out = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| ImportError::Malformed(format!("{name}: {e}")))?;
        if out.len() as u64 > budget {
            return Err(ImportError::TooLarge);
        }
        self.read_total += out.len() as u64;
        Ok(Some(out))
    }
}

/// Converts a .docx file's bytes.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.starts_with(&OLE_MAGIC) {
        // Password-protected .docx files (and old .doc files) are OLE compound files.
        return Err(ImportError::Encrypted);
    }
    let zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::Malformed(format!("not a complete .docx: {e}")))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ImportError::TooLarge);
    }
    let mut pkg = Package { zip, read_total: 0 };
    let document = pkg
        .part("word/document.xml")?
        .ok_or_else(|| ImportError::Malformed("no word/document.xml".into()))?;
    let rels = match pkg.part("word/_rels/document.xml.rels")? {
        Some(r) => relationships(&r)?,
        None => HashMap::new(),
    };
    let numbering = match pkg.part("word/numbering.xml")? {
        Some(n) => ordered_lists(&n)?,
        None => HashMap::new(),
    };
    let title = match pkg.part("docProps/core.xml")? {
        Some(core) => core_title(&core)?,
        None => None,
    };
    let mut body = Converter::new(&rels, &numbering);
    body.run(&document)?;
    let mut files = Vec::new();
    for (rid, name) in body.images.clone() {
        let target = rels
            .get(&rid)
            .ok_or_else(|| ImportError::Malformed(format!("image {rid} has no target")))?;
        let path = format!(
            "word/{}",
            target.trim_start_matches('/').trim_start_matches("word/")
        );
        let bytes = pkg
            .part(&path)?
            .ok_or_else(|| ImportError::Malformed(format!("missing image {path}")))?;
        files.push(ImportedFile {
            placeholder: rid.clone(),
            name,
            bytes,
        });
    }
    let html = body.finish();
    let title = title
        .filter(|t| !t.trim().is_empty())
        .or_else(|| body_first_heading(&html));
    Ok(Imported {
        title,
        body_html: html,
        files,
    })
}

fn xml_err(e: impl std::fmt::Display) -> ImportError {
    ImportError::Malformed(format!("XML: {e}"))
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name || a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Relationship id -> target (hyperlinks' addresses, images' parts).
fn relationships(xml: &[u8]) -> Result<HashMap<String, String>, ImportError> {
    let mut reader = Reader::from_reader(xml);
    let mut out = HashMap::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(xml_err)? {
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == b"Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, b"Id"), attr(&e, b"Target")) {
                    out.insert(id, target);
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
        buf.clear();
    }
}

/// numId -> whether level 0 is numbered (decimal etc.) rather than bullets.
fn ordered_lists(xml: &[u8]) -> Result<HashMap<String, bool>, ImportError> {
    let mut reader = Reader::from_reader(xml);
    let mut abstract_ordered: HashMap<String, bool> = HashMap::new();
    let mut num_to_abstract: HashMap<String, String> = HashMap::new();
    let (mut current_abstract, mut current_num, mut level) = (None, None, None::<String>);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(xml_err)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"abstractNum" => current_abstract = attr(&e, b"abstractNumId"),
                b"lvl" => level = attr(&e, b"ilvl"),
                b"numFmt" if level.as_deref() == Some("0") => {
                    if let (Some(a), Some(fmt)) = (&current_abstract, attr(&e, b"val")) {
                        abstract_ordered.insert(a.clone(), fmt != "bullet");
                    }
                }
                b"num" => current_num = attr(&e, b"numId"),
                b"abstractNumId" => {
                    if let (Some(n), Some(a)) = (&current_num, attr(&e, b"val")) {
                        num_to_abstract.insert(n.clone(), a);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(num_to_abstract
        .into_iter()
        .map(|(n, a)| {
            let ordered = abstract_ordered.get(&a).copied().unwrap_or(false);
            (n, ordered)
        })
        .collect())
}

fn core_title(xml: &[u8]) -> Result<Option<String>, ImportError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut in_title = false;
    let mut title = String::new();
    loop {
        match reader.read_event_into(&mut buf).map_err(xml_err)? {
            Event::Start(e) if e.local_name().as_ref() == b"title" => in_title = true,
            Event::End(e) if e.local_name().as_ref() == b"title" => in_title = false,
            Event::Text(t) if in_title => title.push_str(&t.unescape().map_err(xml_err)?),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(Some(title.trim().to_owned()).filter(|t| !t.is_empty()))
}

fn body_first_heading(html: &str) -> Option<String> {
    let start = html.find("<h2>")? + 4;
    let end = html[start..].find("</h2>")? + start;
    let text = html[start..end]
        .replace("<strong>", "")
        .replace("</strong>", "")
        .replace("<em>", "")
        .replace("</em>", "")
        .replace("<u>", "")
        .replace("</u>", "");
    Some(text).filter(|t| !t.trim().is_empty() && !t.contains('<'))
}

#[derive(Default, Clone, Copy)]
struct RunStyle {
    bold: bool,
    italic: bool,
    underline: bool,
}

/// Walks document.xml and writes HTML.
struct Converter<'a> {
    rels: &'a HashMap<String, String>,
    numbering: &'a HashMap<String, bool>,
    out: String,
    /// The open list, if the last paragraph was a list item: ordered?
    list: Option<bool>,
    paragraph: String,
    heading: Option<u8>,
    list_item: Option<bool>,
    run: RunStyle,
    in_run_props: bool,
    hyperlink: Option<String>,
    table_depth: usize,
    /// Images in order: relationship id, file name.
    images: Vec<(String, String)>,
    image_alt: String,
}

impl<'a> Converter<'a> {
    fn new(rels: &'a HashMap<String, String>, numbering: &'a HashMap<String, bool>) -> Self {
        Converter {
            rels,
            numbering,
            out: String::new(),
            list: None,
            paragraph: String::new(),
            heading: None,
            list_item: None,
            run: RunStyle::default(),
            in_run_props: false,
            hyperlink: None,
            table_depth: 0,
            images: Vec::new(),
            image_alt: String::new(),
        }
    }

    fn close_list(&mut self) {
        if let Some(ordered) = self.list.take() {
            self.out.push_str(if ordered { "</ol>" } else { "</ul>" });
        }
    }

    fn end_paragraph(&mut self) {
        let text = std::mem::take(&mut self.paragraph);
        let in_table = self.table_depth > 0;
        if let (Some(ordered), false) = (self.list_item.take(), in_table) {
            if self.list != Some(ordered) {
                self.close_list();
                self.out.push_str(if ordered { "<ol>" } else { "<ul>" });
                self.list = Some(ordered);
            }
            self.out.push_str(&format!("<li>{text}</li>"));
            self.heading = None;
            return;
        }
        if !in_table {
            self.close_list();
        }
        match self.heading.take() {
            Some(level) if !in_table => {
                let tag = format!("h{}", (level + 1).clamp(2, 4));
                self.out.push_str(&format!("<{tag}>{text}</{tag}>"));
            }
            _ if text.trim().is_empty() && !text.contains("<img") => {
                if in_table {
                    self.out.push_str("<br>");
                }
            }
            _ => self.out.push_str(&format!("<p>{text}</p>")),
        }
    }

    fn run(&mut self, xml: &[u8]) -> Result<(), ImportError> {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut in_text = false;
        loop {
            let event = reader.read_event_into(&mut buf).map_err(xml_err)?;
            match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    match e.local_name().as_ref() {
                        b"p" if !empty => {
                            self.paragraph.clear();
                            self.heading = None;
                            self.list_item = None;
                        }
                        b"pStyle" => {
                            let style = attr(e, b"val").unwrap_or_default().to_lowercase();
                            let digits: String =
                                style.chars().filter(char::is_ascii_digit).collect();
                            if style.starts_with("heading")
                                || style.starts_with("标题")
                                || style == "title"
                            {
                                self.heading = Some(digits.parse().unwrap_or(1));
                            }
                        }
                        b"numId" => {
                            let id = attr(e, b"val").unwrap_or_default();
                            if id != "0" {
                                self.list_item =
                                    Some(self.numbering.get(&id).copied().unwrap_or(false));
                            }
                        }
                        b"r" if !empty => self.run = RunStyle::default(),
                        b"rPr" if !empty => self.in_run_props = true,
                        b"b" if self.in_run_props => {
                            self.run.bold = attr(e, b"val").is_none_or(|v| v != "0" && v != "false")
                        }
                        b"i" if self.in_run_props => {
                            self.run.italic =
                                attr(e, b"val").is_none_or(|v| v != "0" && v != "false")
                        }
                        b"u" if self.in_run_props => {
                            self.run.underline = attr(e, b"val").is_none_or(|v| v != "none")
                        }
                        b"t" if !empty => in_text = true,
                        b"tab" => self.paragraph.push(' '),
                        b"br" => self.paragraph.push_str("<br>"),
                        b"hyperlink" if !empty => {
                            let href = attr(e, b"id").and_then(|id| self.rels.get(&id).cloned());
                            if let Some(href) = &href {
                                self.paragraph
                                    .push_str(&format!("<a href=\"{}\">", escape(href)));
                            }
                            self.hyperlink = href;
                        }
                        b"docPr" => {
                            self.image_alt = attr(e, b"descr")
                                .or_else(|| attr(e, b"title"))
                                .unwrap_or_default();
                        }
                        b"blip" => {
                            if let Some(rid) = attr(e, b"embed") {
                                let n = self.images.len() + 1;
                                let ext = self
                                    .rels
                                    .get(&rid)
                                    .and_then(|t| t.rsplit('.').next())
                                    .unwrap_or("png")
                                    .to_ascii_lowercase();
                                self.images.push((rid.clone(), format!("图{n}.{ext}")));
                                self.paragraph.push_str(&format!(
                                    "<img src=\"{}\" alt=\"{}\">",
                                    super::placeholder(&rid),
                                    escape(&self.image_alt)
                                ));
                            }
                        }
                        b"tbl" if !empty => {
                            if self.table_depth == 0 {
                                self.close_list();
                            }
                            self.table_depth += 1;
                            self.out.push_str("<table><tbody>");
                        }
                        b"tr" if !empty => self.out.push_str("<tr>"),
                        b"tc" if !empty => self.out.push_str("<td>"),
                        _ => {}
                    }
                }
                Event::End(ref e) => match e.local_name().as_ref() {
                    b"t" => in_text = false,
                    b"rPr" => self.in_run_props = false,
                    b"p" => self.end_paragraph(),
                    b"hyperlink" if self.hyperlink.take().is_some() => {
                        self.paragraph.push_str("</a>");
                    }
                    b"tc" => self.out.push_str("</td>"),
                    b"tr" => self.out.push_str("</tr>"),
                    b"tbl" => {
                        self.table_depth = self.table_depth.saturating_sub(1);
                        self.out.push_str("</tbody></table>");
                    }
                    _ => {}
                },
                Event::Text(ref t) if in_text => {
                    let text = t.unescape().map_err(xml_err)?;
                    let mut piece = escape(&text);
                    let RunStyle {
                        bold,
                        italic,
                        underline,
                    } = self.run;
                    if underline {
                        piece = format!("<u>{piece}</u>");
                    }
                    if italic {
                        piece = format!("<em>{piece}</em>");
                    }
                    if bold {
                        piece = format!("<strong>{piece}</strong>");
                    }
                    self.paragraph.push_str(&piece);
                }
                Event::Eof => return Ok(()),
                _ => {}
            }
            buf.clear();
        }
    }

    fn finish(mut self) -> String {
        self.close_list();
        self.out
    }
}
