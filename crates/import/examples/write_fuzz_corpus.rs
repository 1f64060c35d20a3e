//! Writes the fuzz target's seed corpus into the folder given: a good notice and every
//! malformed file the tests make (`scripts/fuzz.sh` runs it).

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: write_fuzz_corpus <dir>");
    std::fs::create_dir_all(&dir).expect("create the corpus folder");
    let write = |name: String, bytes: &[u8]| {
        std::fs::write(format!("{dir}/{name}"), bytes).expect("write a corpus file")
    };
    write(
        "sample-notice.docx".into(),
        &liaison_import::testing::sample_notice(),
    );
    for (n, (_, bytes)) in liaison_import::testing::malformed_corpus()
        .into_iter()
        .enumerate()
    {
        // The zip bomb is large; its first 64 KB are still a malformed file.
        write(
            format!("malformed-{n}.docx"),
            &bytes[..bytes.len().min(64 * 1024)],
        );
    }
}
