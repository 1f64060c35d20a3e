//! The nightly backup over a real office: a round due now takes an archive into the backup
//! folder that restores, and retention then removes this office's oldest archives beyond `keep`
//! (and nothing else); a round not yet due does nothing.

use chrono::{DateTime, NaiveTime, Utc};
use liaison_office::config::BackupSchedule;
use liaison_office::nightly::{Nightly, archive_name};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_due_backup_lands_in_its_folder_and_retention_removes_the_oldest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    let store = liaison_office::open_store(&data).unwrap();
    liaison_office::demo::seed(store.as_ref(), at("2026-11-27T02:00:00Z")).unwrap();
    drop(store);

    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    // Three older nights of this office, another office's archive and a person's own copy.
    let older = [
        archive_name("liaison-office", at("2026-11-27T18:30:00Z")),
        archive_name("liaison-office", at("2026-11-28T18:30:00Z")),
        archive_name("liaison-office", at("2026-11-29T18:30:00Z")),
    ];
    for name in &older {
        std::fs::write(backups.join(name), b"an older archive").unwrap();
    }
    let other = archive_name("other-office", at("2026-11-01T18:30:00Z"));
    std::fs::write(backups.join(&other), b"not ours").unwrap();
    std::fs::write(backups.join("before-upgrade.zip"), b"kept by hand").unwrap();

    let schedule = BackupSchedule {
        dir: backups.clone(),
        at: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        keep: 3,
        name: "liaison-office".into(),
    };
    // 21:00 UTC: in UTC the next round is 02:30 tomorrow.
    let evening = at("2026-11-30T21:00:00Z");
    let mut nightly = Nightly::new(data.clone(), schedule, Utc, evening);
    assert_eq!(nightly.next, at("2026-12-01T02:30:00Z"));
    assert!(nightly.run_due(evening).is_none(), "not due yet");
    assert_eq!(names(&backups).len(), 5);

    let due = at("2026-12-01T02:30:00Z");
    let round = nightly
        .run_due(due)
        .expect("due now")
        .expect("the backup succeeds");
    let taken = archive_name("liaison-office", due);
    assert_eq!(round.archive, backups.join(&taken));
    assert!(round.manifest.audit_entries > 0);
    assert_eq!(round.removed, vec![backups.join(&older[0])]);
    let mut expected = vec![
        taken.clone(),
        older[1].clone(),
        older[2].clone(),
        other,
        "before-upgrade.zip".to_owned(),
    ];
    expected.sort();
    assert_eq!(names(&backups), expected);
    assert_eq!(nightly.next, at("2026-12-02T02:30:00Z"));

    // The archive is a real backup: it restores into a working office.
    let restored = dir.path().join("restored");
    liaison_office::backup::restore(&backups.join(&taken), &restored, &mut |_| {}).unwrap();
    assert_eq!(
        liaison_office::setup::office_state(&restored).unwrap(),
        liaison_office::setup::OfficeState::Ready
    );
}
