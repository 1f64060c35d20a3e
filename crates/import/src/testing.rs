//! Word files made by tests (and the fuzz corpus): real .docx packages written with the zip
//! crate, from WordprocessingML the tests spell out.

use std::io::Write;

/// One part of a package: its path and bytes, and whether it is stored compressed.
pub struct Part<'a> {
    pub path: &'a str,
    pub bytes: Vec<u8>,
}

/// A .docx package of these parts (plus the content types every package has).
pub fn package(parts: &[Part<'_>]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let types = br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/></Types>"#;
    let mut all = vec![Part {
        path: "[Content_Types].xml",
        bytes: types.to_vec(),
    }];
    all.extend(parts.iter().map(|p| Part {
        path: p.path,
        bytes: p.bytes.clone(),
    }));
    for part in &all {
        zip.start_file(part.path, options).expect("zip entry");
        zip.write_all(&part.bytes).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture""#;

/// A document.xml around body XML.
pub fn document(body: &str) -> Vec<u8> {
    format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {W}><w:body>{body}</w:body></w:document>"#).into_bytes()
}

pub fn paragraph(text: &str) -> String {
    format!("<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
}

pub fn heading(level: u8, text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"Heading{level}\"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"
    )
}

pub fn list_item(num_id: u32, text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{num_id}\"/></w:numPr></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"
    )
}

pub fn image(rel_id: &str, alt: &str) -> String {
    format!(
        "<w:p><w:r><w:drawing><wp:inline><wp:docPr id=\"1\" name=\"图片\" descr=\"{alt}\"/><a:graphic><a:graphicData><pic:pic><pic:blipFill><a:blip r:embed=\"{rel_id}\"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
    )
}

pub fn table(rows: &[&[&str]]) -> String {
    let mut t = String::from("<w:tbl>");
    for row in rows {
        t.push_str("<w:tr>");
        for cell in *row {
            t.push_str(&format!(
                "<w:tc><w:p><w:r><w:t>{cell}</w:t></w:r></w:p></w:tc>"
            ));
        }
        t.push_str("</w:tr>");
    }
    t.push_str("</w:tbl>");
    t
}

/// document.xml.rels with these (id, type suffix, target, external?) relationships.
pub fn relationships(rels: &[(&str, &str, &str, bool)]) -> Vec<u8> {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (id, kind, target, external) in rels {
        let mode = if *external {
            r#" TargetMode="External""#
        } else {
            ""
        };
        x.push_str(&format!(
            r#"<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" Target="{target}"{mode}/>"#
        ));
    }
    x.push_str("</Relationships>");
    x.into_bytes()
}

/// numbering.xml where numId 1 is a bullet list and numId 2 a numbered one.
pub fn numbering() -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:numbering {W}><w:abstractNum w:abstractNumId="10"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="20"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="20"/></w:num></w:numbering>"#
    )
    .into_bytes()
}

pub fn core_title(title: &str) -> Vec<u8> {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></cp:coreProperties>"#).into_bytes()
}

/// A small PNG-looking image, different for each `seed`.
pub fn png(seed: u8) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend((0..200u32).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)));
    v
}

/// A notice with a title, headings, formatting, a link, both kinds of list, a table and two
/// images: what an officer's Word file typically holds.
pub fn sample_notice() -> Vec<u8> {
    let body = [
        heading(1, "关于开展冬季校园安全检查的通知"),
        "<w:p><w:r><w:t xml:space=\"preserve\">各区教育局：为做好</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>冬季安全</w:t></w:r><w:r><w:t xml:space=\"preserve\">工作，</w:t></w:r><w:r><w:rPr><w:i/><w:u w:val=\"single\"/></w:rPr><w:t>现通知如下</w:t></w:r><w:r><w:t>。详见</w:t></w:r><w:hyperlink r:id=\"rIdLink\"><w:r><w:t>教育部网站</w:t></w:r></w:hyperlink></w:p>".to_owned(),
        heading(2, "一、检查内容"),
        list_item(1, "消防设施"),
        list_item(1, "校舍安全"),
        heading(2, "二、时间安排"),
        list_item(2, "自查：12月1日前"),
        list_item(2, "抽查：12月15日前"),
        table(&[&["学校", "负责人"], &["第一中学", "王老师"]]),
        image("rIdImg1", "检查现场"),
        image("rIdImg2", "消防通道"),
        paragraph("特此通知。"),
    ]
    .concat();
    package(&[
        Part {
            path: "word/document.xml",
            bytes: document(&body),
        },
        Part {
            path: "word/_rels/document.xml.rels",
            bytes: relationships(&[
                ("rIdLink", "hyperlink", "https://www.moe.gov.cn/", true),
                ("rIdImg1", "image", "media/image1.png", false),
                ("rIdImg2", "image", "media/image2.png", false),
            ]),
        },
        Part {
            path: "word/numbering.xml",
            bytes: numbering(),
        },
        Part {
            path: "docProps/core.xml",
            bytes: core_title("关于开展冬季校园安全检查的通知"),
        },
        Part {
            path: "word/media/image1.png",
            bytes: png(1),
        },
        Part {
            path: "word/media/image2.png",
            bytes: png(2),
        },
    ])
}

/// Malformed Word files of every kind the tests can make.
pub fn malformed_corpus() -> Vec<(&'static str, Vec<u8>)> {
    let good = sample_notice();
    let mut out: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("not a zip", b"hello, this is not a document".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("truncated tail", good[..good.len() - 30].to_vec()),
        (
            "encrypted (OLE)",
            [
                &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
                &[0u8; 512][..],
            ]
            .concat(),
        ),
        (
            "no document part",
            package(&[Part {
                path: "word/other.xml",
                bytes: b"<x/>".to_vec(),
            }]),
        ),
        (
            "broken XML",
            package(&[Part {
                path: "word/document.xml",
                bytes: b"<w:document><w:body><w:p></w:r>".to_vec(),
            }]),
        ),
        (
            "image without target",
            package(&[Part {
                path: "word/document.xml",
                bytes: document(&image("rIdNone", "x")),
            }]),
        ),
        (
            // A zip bomb: one entry unpacking to far more than the limit.
            "zip bomb",
            package(&[Part {
                path: "word/document.xml",
                bytes: vec![b' '; (crate::docx::MAX_ENTRY_BYTES + 1024) as usize],
            }]),
        ),
    ];
    for (name, at) in [
        ("flip 1", good.len() / 3),
        ("flip 2", good.len() / 2),
        ("flip 3", good.len() * 2 / 3),
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0xFF;
        out.push((name, bad));
    }
    out
}
