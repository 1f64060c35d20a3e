//! The importers on files the tests make: structure kept, encodings read, and bad files refused
//! with a reason, quickly, without a panic.

use std::time::{Duration, Instant};

use liaison_import::testing;
use liaison_import::{ImportError, import_bytes};

#[test]
fn a_word_notice_keeps_its_headings_formatting_lists_table_link_and_two_images() {
    let imported = import_bytes("冬季安全检查.docx", &testing::sample_notice()).unwrap();
    assert_eq!(
        imported.title.as_deref(),
        Some("关于开展冬季校园安全检查的通知")
    );
    let html = &imported.body_html;
    for want in [
        "<h2>关于开展冬季校园安全检查的通知</h2>",
        "<strong>冬季安全</strong>",
        "<em><u>现通知如下</u></em>",
        "<a href=\"https://www.moe.gov.cn/\">教育部网站</a>",
        "<h3>一、检查内容</h3>",
        "<ul><li>消防设施</li><li>校舍安全</li></ul>",
        "<ol><li>自查：12月1日前</li><li>抽查：12月15日前</li></ol>",
        "<table><tbody><tr><td><p>学校</p></td><td><p>负责人</p></td></tr>",
        "<p>特此通知。</p>",
    ] {
        assert!(html.contains(want), "{want} not in {html}");
    }
    assert_eq!(imported.files.len(), 2);
    assert_eq!(imported.files[0].bytes, testing::png(1));
    assert_eq!(imported.files[1].bytes, testing::png(2));
    for f in &imported.files {
        let src = liaison_import::placeholder(&f.placeholder);
        assert!(html.contains(&src), "{src} in {html}");
    }
    assert!(
        html.contains("alt=\"检查现场\"") && html.contains("alt=\"消防通道\""),
        "{html}"
    );
}

#[test]
fn text_in_gb18030_and_utf8_reads_in_the_right_characters() {
    let text = "关于做好寒假期间安全工作的通知\r\n\r\n各学校：请做好值班安排，确保𠮷祥平安。\r\n";
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gb).is_err(), "really not UTF-8");
    for bytes in [
        gb.to_vec(),
        text.as_bytes().to_vec(),
        [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
    ] {
        let imported = import_bytes("寒假通知.txt", &bytes).unwrap();
        assert_eq!(
            imported.title.as_deref(),
            Some("关于做好寒假期间安全工作的通知")
        );
        assert_eq!(
            imported.body_html,
            "<p>各学校：请做好值班安排，确保𠮷祥平安。</p>"
        );
    }
}

#[test]
fn markdown_html_and_images_become_drafts_and_html_is_cleaned() {
    let md = import_bytes(
        "说明.md",
        "# 办事指南\n\n1. 提交材料\n2. 等待审核\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(md.title.as_deref(), Some("办事指南"));
    assert!(md.body_html.contains("<ol>"), "{}", md.body_html);
    let html = import_bytes(
        "页面.html",
        "<html><head><title>公告</title></head><body><p onclick=\"x()\">正文<script>alert(1)</script></p></body></html>".as_bytes(),
    )
    .unwrap();
    assert_eq!(html.title.as_deref(), Some("公告"));
    assert!(
        !html.body_html.contains("script") && !html.body_html.contains("onclick"),
        "{}",
        html.body_html
    );
    let img = import_bytes("现场照片.png", &testing::png(3)).unwrap();
    assert_eq!(img.title.as_deref(), Some("现场照片"));
    assert_eq!(img.files.len(), 1);
    assert_eq!(
        import_bytes("表格.xlsx", b"PK\x03\x04junk"),
        Err(ImportError::Unsupported)
    );
}

#[test]
fn malformed_encrypted_truncated_and_bombed_files_fail_with_a_reason_quickly() {
    for (what, bytes) in testing::malformed_corpus() {
        let started = Instant::now();
        let result = std::panic::catch_unwind(|| import_bytes("坏文件.docx", &bytes));
        let took = started.elapsed();
        let result = result.unwrap_or_else(|_| panic!("{what}: the importer panicked"));
        assert!(took < Duration::from_secs(5), "{what} took {took:?}");
        if what.starts_with("flip") {
            continue; // a flipped byte may land somewhere harmless
        }
        let err = result.expect_err(what);
        match what {
            "encrypted (OLE)" => assert_eq!(err, ImportError::Encrypted),
            "zip bomb" => assert_eq!(err, ImportError::TooLarge),
            _ => assert!(matches!(err, ImportError::Malformed(_)), "{what}: {err:?}"),
        }
        assert!(!err.reason_zh().is_empty());
    }
}
