//! The cheap half of `make package`, run by `make test`: the systemd unit starts the built binary
//! with arguments it accepts over the packaged `office.toml`, `systemd-analyze verify` has nothing
//! to say about the unit (where systemd-analyze exists), and every file the .deb names exists.

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_liaison-office");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn unit() -> String {
    std::fs::read_to_string(repo().join("packaging/liaison-office.service")).unwrap()
}

/// The value of `key=` in the unit (the first, if repeated).
fn setting<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn the_unit_runs_the_office_as_its_own_user_in_a_sandbox() {
    let unit = unit();
    assert_eq!(
        setting(&unit, "ExecStart"),
        Some("/usr/bin/liaison-office serve --config /etc/liaison-office/office.toml")
    );
    for (key, value) in [
        ("User", "liaison-office"),
        ("StateDirectory", "liaison-office"),
        ("NoNewPrivileges", "true"),
        ("ProtectSystem", "strict"),
        ("PrivateTmp", "true"),
        ("Restart", "on-failure"),
        ("RestartPreventExitStatus", "78"),
        ("ReadWritePaths", "-/var/backups/liaison-office"),
    ] {
        assert_eq!(setting(&unit, key), Some(value), "{key}");
    }
}

#[test]
fn the_units_command_reads_the_packaged_configuration() {
    // ExecStart's arguments over the packaged office.toml, on a folder without an office: the
    // configuration reads, and the start is refused for the folder (78, which is not restarted).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = Command::new(BINARY)
        .args(["serve", "--config"])
        .arg(repo().join("packaging/office.toml"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{stderr}");
    assert!(stderr.contains("holds no office yet"), "{stderr}");
    assert!(!data.exists());
}

#[test]
fn systemd_analyze_verify_has_nothing_to_say_about_the_unit() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no systemd-analyze here: the unit is checked by make package elsewhere");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The unit as installed, its binary where this check can see it.
    let path = dir.path().join("liaison-office.service");
    std::fs::write(&path, unit().replace("/usr/bin/liaison-office", BINARY)).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    // verify only warns about an unknown key.
    assert!(said.trim().is_empty(), "{said}");
}

#[test]
fn every_file_the_package_names_exists() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deb = manifest
        .split("[package.metadata.deb]")
        .nth(1)
        .expect("[package.metadata.deb] in crates/office/Cargo.toml");
    let mut named = 0;
    for source in deb
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[\"../../"))
        .filter_map(|l| l.split('"').next())
    {
        assert!(repo().join(source).is_file(), "{source}");
        named += 1;
    }
    assert!(named >= 3, "the unit, office.toml and the README");
    for script in ["postinst", "prerm", "postrm"] {
        let path = repo().join("packaging/debian").join(script);
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(out.status.success(), "{script}: {out:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert!(mode & 0o111 != 0, "{script} is not executable");
        }
    }
}
