//! Attachments and inline images: what may be attached, how large, and how a file is named on the
//! wire (by the SHA-256 of its bytes). Both the desk and the office apply these rules.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Largest single file.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Largest total of the files of one item.
pub const MAX_ITEM_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// Most files on one item.
pub const MAX_FILES_PER_ITEM: usize = 50;
/// Longest file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// Bytes of a file the type check looks at.
pub const SNIFF_BYTES: usize = 8192;
/// Largest image shown inline in a body: what the editor takes in, and what a desk fetches from
/// the office to show one.
pub const MAX_INLINE_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// Largest piece of an upload the desk sends in one request (the office accepts up to twice this).
pub const UPLOAD_CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// How an item's body refers to one of its files shown inline (an image): `src="liaison-file:<sha256>"`.
/// The office lists such files among the item's attachments; a console shows them from there.
pub const INLINE_FILE_SCHEME: &str = "liaison-file:";

/// The files a body shows inline, in order of first appearance, each once.
pub fn inline_files(body_html: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    let mut rest = body_html;
    while let Some(at) = rest.find(INLINE_FILE_SCHEME) {
        rest = &rest[at + INLINE_FILE_SCHEME.len()..];
        if let Some(digest) = rest.get(..64).filter(|d| is_sha256_hex(d))
            && !found.contains(&digest)
        {
            found.push(digest);
        }
    }
    found
}

/// A file attached to an item, named by its content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct AttachmentRef {
    /// SHA-256 of the bytes, 64 lowercase hex digits.
    pub sha256: String,
    /// The name the officer gave it (shown, never used as a path).
    pub name: String,
    #[ts(type = "number")]
    pub size: u64,
    /// The type found in the bytes, one of [`FileKind::mime`].
    pub mime: String,
}

/// The file types an item may carry, recognised by their first bytes and never by their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    /// Word, Excel and PowerPoint 2007+ and OFD: ZIP containers.
    Zip,
    /// Word, Excel and PowerPoint 97-2003: OLE compound files.
    Ole,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::Pdf,
        FileKind::Zip,
        FileKind::Ole,
    ];

    /// The type a file of this kind is served with; none is executable in a browser.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::Zip => "application/zip",
            FileKind::Ole => "application/x-ole-storage",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.mime() == mime)
    }

    /// The kind of a file from its first bytes (up to [`SNIFF_BYTES`]), or `None` when the type
    /// is not one an item may carry (executables, scripts, HTML, unknown data).
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        let found = infer::get(head)?;
        match found.mime_type() {
            "image/png" => Some(FileKind::Png),
            "image/jpeg" => Some(FileKind::Jpeg),
            "image/gif" => Some(FileKind::Gif),
            "image/webp" => Some(FileKind::Webp),
            "application/pdf" => Some(FileKind::Pdf),
            "application/zip"
            | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
                Some(FileKind::Zip)
            }
            "application/x-ole-storage"
            | "application/msword"
            | "application/vnd.ms-excel"
            | "application/vnd.ms-powerpoint" => Some(FileKind::Ole),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentProblem {
    #[error("{name}: the file is empty")]
    Empty { name: String },
    #[error("{name}: the file is larger than {} MB", MAX_FILE_BYTES / 1024 / 1024)]
    FileTooLarge { name: String },
    #[error("the files of one item are larger than {} MB together", MAX_ITEM_FILE_BYTES / 1024 / 1024)]
    ItemTooLarge,
    #[error("an item carries at most {MAX_FILES_PER_ITEM} files")]
    TooManyFiles,
    #[error("{name}: this type of file cannot be attached (images, PDF and office documents can)")]
    TypeNotAllowed { name: String },
    #[error("a file name must be 1-{MAX_FILE_NAME_CHARS} characters without path separators")]
    BadName,
    #[error("not a SHA-256 digest")]
    BadDigest,
    #[error(
        "the body shows an image that is not among the item's files ({sha256:.12}…); insert it again"
    )]
    InlineFileMissing { sha256: String },
}

/// True for 64 lowercase hexadecimal digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A file name as shown: no path, no control characters, not too long.
pub fn check_name(name: &str) -> Result<(), AttachmentProblem> {
    let n = name.trim();
    if n.is_empty()
        || n.chars().count() > MAX_FILE_NAME_CHARS
        || n.chars().any(|c| c == '/' || c == '\\' || c.is_control())
        || n == "."
        || n == ".."
    {
        return Err(AttachmentProblem::BadName);
    }
    Ok(())
}

/// One file on its own: size and name (its type is checked from its bytes by [`FileKind::sniff`]).
pub fn check_file(name: &str, size: u64) -> Result<(), AttachmentProblem> {
    check_name(name)?;
    if size == 0 {
        return Err(AttachmentProblem::Empty { name: name.into() });
    }
    if size > MAX_FILE_BYTES {
        return Err(AttachmentProblem::FileTooLarge { name: name.into() });
    }
    Ok(())
}

/// The files of one item together.
pub fn check_attachments(files: &[AttachmentRef]) -> Result<(), AttachmentProblem> {
    if files.len() > MAX_FILES_PER_ITEM {
        return Err(AttachmentProblem::TooManyFiles);
    }
    let mut total: u64 = 0;
    for f in files {
        if !is_sha256_hex(&f.sha256) {
            return Err(AttachmentProblem::BadDigest);
        }
        check_file(&f.name, f.size)?;
        if FileKind::from_mime(&f.mime).is_none() {
            return Err(AttachmentProblem::TypeNotAllowed {
                name: f.name.clone(),
            });
        }
        total = total.saturating_add(f.size);
    }
    if total > MAX_ITEM_FILE_BYTES {
        return Err(AttachmentProblem::ItemTooLarge);
    }
    Ok(())
}

/// Every image the body shows inline must travel with the item.
pub fn check_inline_files(
    body_html: &str,
    files: &[AttachmentRef],
) -> Result<(), AttachmentProblem> {
    match inline_files(body_html)
        .into_iter()
        .find(|sha| !files.iter().any(|f| f.sha256 == *sha))
    {
        Some(sha) => Err(AttachmentProblem::InlineFileMissing { sha256: sha.into() }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn padded(head: &[u8]) -> Vec<u8> {
        let mut v = head.to_vec();
        v.resize(64, 0);
        v
    }

    #[test]
    fn types_are_known_by_their_bytes_not_their_names() {
        let cases: &[(&[u8], Option<FileKind>)] = &[
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(FileKind::Png)),
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0", Some(FileKind::Jpeg)),
            (b"GIF89a", Some(FileKind::Gif)),
            (b"RIFF\0\0\0\0WEBPVP8 ", Some(FileKind::Webp)),
            (b"%PDF-1.7\n", Some(FileKind::Pdf)),
            (b"PK\x03\x04\x14\0\0\0", Some(FileKind::Zip)),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Some(FileKind::Ole)),
            // Executables and scripts, whatever they are called.
            (b"MZ\x90\0\x03\0\0\0\x04\0", None),
            (b"\x7fELF\x02\x01\x01\0", None),
            (b"#!/bin/sh\nrm -rf /\n", None),
            (b"<html><script>alert(1)</script>", None),
            (b"just some text", None),
        ];
        for (head, want) in cases {
            assert_eq!(FileKind::sniff(&padded(head)), *want, "{head:?}");
        }
    }

    #[test]
    fn inline_images_are_found_once_and_must_be_attached() {
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let body = format!(
            r#"<p><img src="liaison-file:{a}" alt="x"><img src="liaison-file:{b}"><img src="liaison-file:{a}"></p><p>liaison-file:short</p>"#
        );
        assert_eq!(inline_files(&body), vec![a.as_str(), b.as_str()]);
        assert_eq!(inline_files("<p>no images</p>"), Vec::<&str>::new());
        let only_a = vec![AttachmentRef {
            sha256: a.clone(),
            name: "a.png".into(),
            size: 1,
            mime: "image/png".into(),
        }];
        assert_eq!(
            check_inline_files(&body, &only_a),
            Err(AttachmentProblem::InlineFileMissing { sha256: b.clone() })
        );
        let mut both = only_a.clone();
        both.push(AttachmentRef {
            sha256: b,
            ..only_a[0].clone()
        });
        assert_eq!(check_inline_files(&body, &both), Ok(()));
    }

    #[test]
    fn every_kind_round_trips_through_its_mime() {
        for k in FileKind::ALL {
            assert_eq!(FileKind::from_mime(k.mime()), Some(k));
        }
        assert_eq!(FileKind::from_mime("application/x-msdownload"), None);
    }

    fn file(name: &str, size: u64) -> AttachmentRef {
        AttachmentRef {
            sha256: "a".repeat(64),
            name: name.into(),
            size,
            mime: "image/png".into(),
        }
    }

    #[test]
    fn limits_per_file_and_per_item() {
        use AttachmentProblem as P;
        assert_eq!(check_attachments(&[file("图.png", 10)]), Ok(()));
        assert_eq!(
            check_attachments(&[file("图.png", 0)]),
            Err(P::Empty {
                name: "图.png".into()
            })
        );
        assert_eq!(
            check_attachments(&[file("大.png", MAX_FILE_BYTES + 1)]),
            Err(P::FileTooLarge {
                name: "大.png".into()
            })
        );
        assert_eq!(check_attachments(&[file("ok.png", MAX_FILE_BYTES)]), Ok(()));
        let three = vec![file("a.png", MAX_FILE_BYTES); 3];
        assert_eq!(check_attachments(&three), Err(P::ItemTooLarge));
        let many = vec![file("a.png", 1); MAX_FILES_PER_ITEM + 1];
        assert_eq!(check_attachments(&many), Err(P::TooManyFiles));
        assert_eq!(check_attachments(&[file("../x.png", 1)]), Err(P::BadName));
        assert_eq!(check_attachments(&[file("a\\b.png", 1)]), Err(P::BadName));
        let mut bad = file("a.png", 1);
        bad.sha256 = "A".repeat(64);
        assert_eq!(check_attachments(&[bad]), Err(P::BadDigest));
        let mut exe = file("a.png", 1);
        exe.mime = "application/x-msdownload".into();
        assert!(matches!(
            check_attachments(&[exe]),
            Err(P::TypeNotAllowed { .. })
        ));
    }
}
