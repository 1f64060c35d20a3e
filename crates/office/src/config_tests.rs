use super::*;

fn parsed(text: &str) -> Result<Config, ConfigError> {
    parse(text, "office.toml", Path::new("/etc/liaison-office"))
}

/// The `file:line:column: message` of a refused configuration.
fn refusal(text: &str) -> String {
    match parsed(text) {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_full_configuration_reads_every_value() {
    let config = parsed(
        r#"
data = "/var/lib/liaison-office"
database = "postgres://liaison@10.0.0.9:5432/office"
listen = "0.0.0.0:8443"
trusted_proxies = ["10.0.0.5", "::1"]

[tls]
cert = "tls/office.crt"
key = "/etc/liaison-office/tls/office.key"

[limits]
min_free_mib = 512
pending_upload_mib = 100
unused_upload_mib = 200
upload_idle_hours = 48
sweep_every_minutes = 30
[limits.writes_per_minute]
send = 10
review = 600

[backup]
dir = "/var/backups/liaison-office"
at = "02:30"
keep = 7
name = "city-office"
"#,
    )
    .unwrap();
    assert_eq!(config.data, Some(PathBuf::from("/var/lib/liaison-office")));
    assert_eq!(
        config.database.as_deref(),
        Some("postgres://liaison@10.0.0.9:5432/office")
    );
    assert_eq!(config.listen, Some("0.0.0.0:8443".parse().unwrap()));
    assert_eq!(
        config.trusted_proxies,
        vec![
            "10.0.0.5".parse::<IpAddr>().unwrap(),
            "::1".parse().unwrap()
        ]
    );
    assert_eq!(
        config.tls,
        Some(TlsFiles {
            // Relative to the file's folder.
            cert: PathBuf::from("/etc/liaison-office/tls/office.crt"),
            key: PathBuf::from("/etc/liaison-office/tls/office.key"),
        })
    );
    let l = &config.limits;
    assert_eq!(l.min_free_bytes, 512 * MIB);
    assert_eq!(l.pending_upload_bytes, 100 * MIB);
    assert_eq!(l.unused_upload_bytes, 200 * MIB);
    assert_eq!(l.upload_idle, chrono::Duration::hours(48));
    assert_eq!(l.sweep_every, Duration::from_secs(1800));
    assert_eq!(l.writes.send, Rate::per_minute(10));
    assert_eq!(l.writes.review, Rate::per_minute(600));
    // What the file leaves out keeps its default.
    assert_eq!(l.writes.comment, WriteRates::default().comment);
    assert_eq!(
        config.backup,
        Some(BackupSchedule {
            dir: PathBuf::from("/var/backups/liaison-office"),
            at: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            keep: 7,
            name: "city-office".into(),
        })
    );
}

#[test]
fn an_empty_file_is_todays_defaults() {
    let config = parsed("# nothing set\n").unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.limits, Limits::default());
    let settings = ServeFlags {
        data: Some("/srv/office".into()),
        ..Default::default()
    }
    .over(config)
    .unwrap();
    assert_eq!(settings.listen, DEFAULT_LISTEN.parse().unwrap());
    assert_eq!(settings.backup, None);
}

#[test]
fn a_backup_section_with_only_a_folder_runs_at_half_past_two_and_keeps_fourteen() {
    let config = parsed("[backup]\ndir = \"/backups\"\n").unwrap();
    let b = config.backup.unwrap();
    assert_eq!(b.at, NaiveTime::from_hms_opt(2, 30, 0).unwrap());
    assert_eq!(b.keep, 14);
    assert_eq!(b.name, "liaison-office");
}

#[test]
fn an_unknown_key_is_refused_at_its_line() {
    let message = refusal("listen = \"127.0.0.1:8480\"\n\n[backup]\ndir = \"/b\"\nkeeep = 3\n");
    assert!(message.starts_with("office.toml:5:1: "), "{message}");
    assert!(message.contains("unknown field `keeep`"), "{message}");
}

#[test]
fn an_unknown_section_is_refused_at_its_line() {
    let message = refusal("data = \"/d\"\n[tsl]\ncert = \"a\"\n");
    assert!(message.starts_with("office.toml:2:"), "{message}");
    assert!(message.contains("tsl"), "{message}");
}

#[test]
fn a_value_of_the_wrong_type_is_refused_at_its_line() {
    let message =
        refusal("[limits]\nmin_free_mib = 10\n\n[limits.writes_per_minute]\nsend = \"thirty\"\n");
    assert!(message.starts_with("office.toml:5:8: "), "{message}");
    let message = refusal("[backup]\ndir = \"/b\"\nkeep = -1\n");
    assert!(message.starts_with("office.toml:3:8: "), "{message}");
}

#[test]
fn bad_values_are_refused_with_their_line_column_and_key() {
    let cases = [
        (
            "# the office\n\n\n\n\n\nlisten = \"0.0.0.0\"\n",
            "office.toml:7:10: listen: invalid socket address \"0.0.0.0\"",
        ),
        (
            "trusted_proxies = [\"10.0.0.5\", \"proxy.local\"]\n",
            "office.toml:1:32: trusted_proxies: invalid IP address \"proxy.local\"",
        ),
        (
            "[limits.writes_per_minute]\nsend = 0\n",
            "office.toml:2:8: limits.writes_per_minute.send: must be 1 to 60000, not 0",
        ),
        (
            "[limits]\nupload_idle_hours = 0\n",
            "office.toml:2:21: limits.upload_idle_hours: must be at least 1",
        ),
        (
            "[backup]\ndir = \"/b\"\nat = \"25:00\"\n",
            "office.toml:3:6: backup.at: not a time of day \"25:00\" (HH:MM, 00:00 to 23:59)",
        ),
        (
            "[backup]\ndir = \"/b\"\nat = \"half past two\"\n",
            "office.toml:3:6: backup.at: not a time of day \"half past two\" (HH:MM, 00:00 to 23:59)",
        ),
        (
            "[backup]\ndir = \"/b\"\nkeep = 0\n",
            "office.toml:3:8: backup.keep: must be at least 1 (the archive just taken)",
        ),
        (
            "[backup]\ndir = \"/b\"\nname = \"../x\"\n",
            "office.toml:3:8: backup.name: \"../x\" must be letters, digits, '-', '_' or '.'",
        ),
        (
            "data = \"\"\n",
            "office.toml:1:8: data: a path must not be empty",
        ),
        (
            "database = \"mysql://office@db/liaison\"\n",
            "office.toml:1:12: database: \"mysql://office@db/liaison\" is not a PostgreSQL address (postgres://user@host:port/database)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(refusal(text), expected, "for {text:?}");
    }
}

#[test]
fn a_missing_file_names_itself() {
    let err = load(Path::new("/nonexistent/office.toml")).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(
        err.to_string().contains("/nonexistent/office.toml"),
        "{err}"
    );
}

#[test]
fn flags_override_the_file() {
    let config = parsed(
        "data = \"/var/lib/liaison-office\"\nlisten = \"0.0.0.0:8480\"\n\
         trusted_proxies = [\"10.0.0.5\"]\n[limits]\nmin_free_mib = 4096\n",
    )
    .unwrap();
    let from_file = ServeFlags::default().over(config.clone()).unwrap();
    assert_eq!(from_file.data, PathBuf::from("/var/lib/liaison-office"));
    assert_eq!(from_file.database, None);
    assert_eq!(from_file.listen, "0.0.0.0:8480".parse().unwrap());
    assert_eq!(from_file.limits.min_free_bytes, 4096 * MIB);

    let flags = ServeFlags {
        data: Some("/tmp/office".into()),
        database: Some("postgres://office@db.local/liaison".into()),
        listen: Some("127.0.0.1:9000".parse().unwrap()),
        trusted_proxies: vec!["192.168.1.1".parse().unwrap()],
        min_free_mib: Some(16),
        tls: None,
    };
    let settings = flags.over(config).unwrap();
    assert_eq!(settings.data, PathBuf::from("/tmp/office"));
    assert_eq!(
        settings.database.as_deref(),
        Some("postgres://office@db.local/liaison")
    );
    assert_eq!(settings.listen, "127.0.0.1:9000".parse().unwrap());
    assert_eq!(
        settings.trusted_proxies,
        vec!["192.168.1.1".parse::<IpAddr>().unwrap()]
    );
    assert_eq!(settings.limits.min_free_bytes, 16 * MIB);
}

#[test]
fn without_a_data_folder_anywhere_serve_is_told_how_to_give_one() {
    let err = ServeFlags::default().over(Config::default()).unwrap_err();
    assert!(err.to_string().contains("--data"), "{err}");
}

/// The template the package installs as /etc/liaison-office/office.toml reads as it stands.
#[test]
fn the_packaged_configuration_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../packaging/office.toml");
    let config = load(&path).unwrap();
    assert_eq!(config.data, Some(PathBuf::from("/var/lib/liaison-office")));
    assert!(config.listen.is_some());
    let backup = config.backup.expect("the template backs up nightly");
    assert_eq!(backup.dir, PathBuf::from("/var/backups/liaison-office"));
    assert_eq!(backup.keep, DEFAULT_KEEP);
}
