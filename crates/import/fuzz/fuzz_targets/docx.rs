//! Any bytes as a .docx: the importer answers with a draft or a reason, within its limits, and
//! never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = liaison_import::docx::import(bytes);
    let _ = liaison_import::import_bytes("fuzz.txt", bytes);
});
