//! The desk's command surface is written in five places that must agree: the commands
//! themselves (`src/commands.rs`), the handler list (`generate_handler!` in `src/lib.rs`), the
//! permissions `build.rs` makes (`COMMANDS`), the grants of `capabilities/main.json`, and the
//! window's calls (`ui/src/api/desk.ts`). A command missing from one of them is a window that
//! cannot call it, or a permission granted for nothing. This test reads the five as text and
//! names every disagreement.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn app() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text between `start` and the first `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &text[from..from + len]
}

/// The names of `#[tauri::command]` functions.
fn commands(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if !line.trim_start().starts_with("#[tauri::command") {
            continue;
        }
        let signature = lines
            .by_ref()
            .map(str::trim_start)
            .find(|l| l.starts_with("pub"))
            .expect("a function after #[tauri::command]");
        let rest = signature
            .trim_start_matches("pub ")
            .trim_start_matches("async ")
            .trim_start_matches("fn ");
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        names.push(name);
    }
    names
}

/// The names in `generate_handler![commands::a, commands::b, …]`.
fn handlers(lib: &str) -> Vec<String> {
    between(lib, "generate_handler![", "]")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches("commands::").to_owned())
        .collect()
}

/// The quoted names of `const COMMANDS: &[&str] = &[…];`.
fn build_list(build: &str) -> Vec<String> {
    between(build, "const COMMANDS", "];")
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The app's own `allow-…` grants, as command names.
fn grants(capabilities: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(capabilities).expect("capabilities JSON");
    json["permissions"]
        .as_array()
        .expect("a permissions list")
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| !p.contains(':'))
        .map(|p| {
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("a grant that is not allow-…: {p}"))
                .replace('-', "_")
        })
        .collect()
}

/// The commands the window calls: `call("name"…` or `call<T>("name"…`.
fn calls(desk_ts: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in desk_ts.match_indices("call") {
        let part_of_a_word = desk_ts[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        if part_of_a_word {
            continue;
        }
        let after = &desk_ts[at + "call".len()..];
        let args = if let Some(generic) = after.strip_prefix('<') {
            match generic.find(">(") {
                Some(end) => &generic[end + 2..],
                None => continue,
            }
        } else if let Some(args) = after.strip_prefix('(') {
            args
        } else {
            continue;
        };
        let args = args.trim_start();
        let Some(quote) = args.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        names.push(args[1..].chars().take_while(|c| *c != quote).collect());
    }
    names
}

#[test]
fn the_commands_their_handlers_permissions_grants_and_the_windows_calls_agree() {
    let lists = [
        (
            "src/commands.rs",
            commands(&read(&app().join("src/commands.rs"))),
        ),
        (
            "generate_handler! in src/lib.rs",
            handlers(&read(&app().join("src/lib.rs"))),
        ),
        (
            "COMMANDS in build.rs",
            build_list(&read(&app().join("build.rs"))),
        ),
        (
            "capabilities/main.json",
            grants(&read(&app().join("capabilities/main.json"))),
        ),
        (
            "ui/src/api/desk.ts",
            calls(&read(&app().join("../ui/src/api/desk.ts"))),
        ),
    ];
    let mut problems = Vec::new();
    for (place, names) in &lists {
        // A parser that found nothing would make every list agree.
        assert!(names.len() >= 40, "{place}: only {names:?}");
        let set: BTreeSet<&String> = names.iter().collect();
        if set.len() != names.len() {
            problems.push(format!("{place} names a command twice"));
        }
    }
    let (reference, commands) = &lists[0];
    let commands: BTreeSet<&String> = commands.iter().collect();
    for (place, names) in &lists[1..] {
        let names: BTreeSet<&String> = names.iter().collect();
        for missing in commands.difference(&names) {
            problems.push(format!("{missing}: in {reference}, missing from {place}"));
        }
        for extra in names.difference(&commands) {
            problems.push(format!(
                "{extra}: in {place}, but no such command in {reference}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the command surface disagrees:\n{}",
        problems.join("\n")
    );
}

#[test]
fn each_list_is_read_as_it_is_written() {
    let source =
        "#[tauri::command]\npub async fn save_draft(\n#[tauri::command]\npub fn painted() {}";
    assert_eq!(commands(source), ["save_draft", "painted"]);
    let lib = "generate_handler![\n commands::a,\n commands::b,\n]";
    assert_eq!(handlers(lib), ["a", "b"]);
    assert_eq!(
        build_list("const COMMANDS: &[&str] = &[\"a\", \"b_c\"];"),
        ["a", "b_c"]
    );
    let json = r#"{"permissions": ["core:event:allow-listen", "allow-sign-in"]}"#;
    assert_eq!(grants(json), ["sign_in"]);
    let ts = r#"async function call<T>(command: string) {}
        return call("session");
        return call<ArrayBuffer | null>("read_file", { id });
        return recall("not_this");"#;
    assert_eq!(calls(ts), ["session", "read_file"]);
}
