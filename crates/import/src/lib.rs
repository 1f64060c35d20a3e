//! Turning a file an officer saved into a draft: Word (.docx), text (.txt, UTF-8 or GB18030),
//! Markdown (.md), HTML (.html, cleaned) and images. Bytes in, HTML and files out: the desk's
//! watch folder decides when a file is complete and moves it aside; nothing here touches a file.

pub mod docx;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// Largest file the importer reads.
pub const MAX_IMPORT_BYTES: u64 = 100 * 1024 * 1024;

/// A file read as a draft: its title if it has one, its body, and files it carries (images);
/// the body refers to each file by [`placeholder`] until the desk stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub title: Option<String>,
    pub body_html: String,
    pub files: Vec<ImportedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    /// What the body's `src` says until the file is stored (see [`placeholder`]).
    pub placeholder: String,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a file could not be imported; each says what the officer can do (in their language, by
/// the window from `code`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("this kind of file cannot become a draft (.docx, .txt, .md, .html and images can)")]
    Unsupported,
    #[error(
        "the document is password-protected (or an old .doc file): save it as .docx without a password"
    )]
    Encrypted,
    #[error("the file is damaged or incomplete: {0}")]
    Malformed(String),
    #[error("the file is too large, or unpacks to too much, to import")]
    TooLarge,
    #[error("the text is neither UTF-8 nor GB18030")]
    UnknownEncoding,
    #[error("the file has no text to import")]
    Empty,
}

impl ImportError {
    /// A stable name for the window and the reason file.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Unsupported => "unsupported",
            ImportError::Encrypted => "encrypted",
            ImportError::Malformed(_) => "malformed",
            ImportError::TooLarge => "too_large",
            ImportError::UnknownEncoding => "unknown_encoding",
            ImportError::Empty => "empty",
        }
    }

    /// The reason in Chinese, for `<name>.原因.txt` beside a failed file.
    pub fn reason_zh(&self) -> String {
        match self {
            ImportError::Unsupported => {
                "不支持的文件类型。可导入：.docx、.txt、.md、.html 和图片。".to_owned()
            }
            ImportError::Encrypted => {
                "文档设有密码或为旧版 .doc 格式。请在 Word/WPS 中取消密码并另存为 .docx 后重新放入。".to_owned()
            }
            ImportError::Malformed(detail) => {
                format!("文件已损坏或未保存完整，无法读取。请重新保存后再放入。（{detail}）")
            }
            ImportError::TooLarge => "文件过大（或解压后内容过多），无法导入。".to_owned(),
            ImportError::UnknownEncoding => {
                "无法识别文本编码（应为 UTF-8 或 GB18030/GBK）。".to_owned()
            }
            ImportError::Empty => "文件中没有可导入的内容。".to_owned(),
        }
    }
}

/// The `src` an imported image has until it is stored.
pub fn placeholder(id: &str) -> String {
    format!("liaison-import:{id}")
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Reads a file's bytes as a draft, by its name's extension (and, for images, its bytes).
pub fn import_bytes(name: &str, bytes: &[u8]) -> Result<Imported, ImportError> {
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let stem = name
        .rsplit_once('.')
        .map_or(name, |(s, _)| s)
        .trim()
        .to_owned();
    let mut imported = match ext.as_str() {
        "docx" => docx::import(bytes)?,
        "txt" => text(bytes)?,
        "md" | "markdown" => markdown(bytes)?,
        "html" | "htm" => html(bytes)?,
        _ => match liaison_domain::FileKind::sniff(bytes) {
            Some(kind) if kind.mime().starts_with("image/") => Imported {
                title: None,
                body_html: format!(
                    "<p><img src=\"{}\" alt=\"{}\"></p>",
                    placeholder("image"),
                    escape(&stem)
                ),
                files: vec![ImportedFile {
                    placeholder: "image".into(),
                    name: name.to_owned(),
                    bytes: bytes.to_vec(),
                }],
            },
            _ => return Err(ImportError::Unsupported),
        },
    };
    if imported
        .title
        .as_deref()
        .is_none_or(|t| t.trim().is_empty())
    {
        imported.title = Some(stem);
    }
    Ok(imported)
}

/// UTF-8 (with or without BOM) when the bytes are valid UTF-8, else GB18030 (a superset of
/// GBK and GB2312, what Chinese Windows Notepad writes as "ANSI").
pub fn decode_text(bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if had_errors {
        return Err(ImportError::UnknownEncoding);
    }
    Ok(text.into_owned())
}

fn text(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = decode_text(bytes)?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let Some((first, rest)) = lines.split_first() else {
        return Err(ImportError::Empty);
    };
    let body = rest
        .iter()
        .map(|l| format!("<p>{}</p>", escape(l)))
        .collect::<String>();
    // The first line of an officer's text is its title.
    Ok(Imported {
        title: Some((*first).to_owned()),
        body_html: if body.is_empty() {
            format!("<p>{}</p>", escape(first))
        } else {
            body
        },
        files: Vec::new(),
    })
}

fn markdown(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = decode_text(bytes)?;
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.trim().to_owned());
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&text));
    cleaned(title, &html)
}

fn html(bytes: &[u8]) -> Result<Imported, ImportError> {
    let text = decode_text(bytes)?;
    let title = text
        .find("<title>")
        .and_then(|s| {
            text[s + 7..]
                .find("</title>")
                .map(|e| text[s + 7..s + 7 + e].trim().to_owned())
        })
        .filter(|t| !t.is_empty());
    cleaned(title, &text)
}

/// A draft of HTML from outside, cleaned as every body is; nothing left is no draft.
fn cleaned(title: Option<String>, html: &str) -> Result<Imported, ImportError> {
    let body = liaison_domain::sanitize::body_html(html);
    if body.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Imported {
        title,
        body_html: body,
        files: Vec::new(),
    })
}
