//! An office from nothing: whether a data folder holds one ([`office_state`]) and `init`
//! ([`init_office`]), which creates the database with its first administrator seat.
//!
//! `serve` starts only on a folder whose state is [`OfficeState::Ready`]; `init` refuses a folder
//! that already holds seats. The new database is built beside its final name and renamed into
//! place once the administrator is in it, so an interrupted `init` leaves no half office behind.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use liaison_domain::Role;
use liaison_domain::handover::{PasswordProblem, check_password};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::store::{SqliteStore, Store, StoreError};

/// The office's database in its data folder.
pub const DATABASE: &str = "office.db";
/// Where `init` builds the database before renaming it to [`DATABASE`].
const BUILDING: &str = "office.db.init";

/// What a data folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficeState {
    /// No database (or no folder at all).
    Missing,
    /// A database without any seat (nothing was ever set up in it).
    Empty,
    /// Seats, but none of them an administrator: nobody could run the office.
    NoAdministrator,
    /// An office with at least one administrator.
    Ready,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read the office database {path}: {source}")]
    Read {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{0} already holds an office: init changes nothing in it")]
    AlreadyAnOffice(PathBuf),
    #[error("the password is not accepted: {0}")]
    Password(#[from] PasswordProblem),
    /// The login or the holder's name breaks the organisation's rules (the domain's).
    #[error("the first administrator's seat is refused")]
    Admin(#[from] liaison_domain::organisation::OrgProblem),
    #[error("cannot create the data folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Open(#[from] liaison_sqlite::OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] crate::auth::HashError),
    #[error("cannot put the new database in place at {path}: {source}")]
    Rename {
        path: String,
        source: std::io::Error,
    },
}

/// What the data folder `data` holds, read without changing anything (no migration, no new file).
pub fn office_state(data: &Path) -> Result<OfficeState, SetupError> {
    let path = data.join(DATABASE);
    if !path.is_file() {
        return Ok(OfficeState::Missing);
    }
    let read = |source| SetupError::Read {
        path: path.display().to_string(),
        source,
    };
    let conn = open_untouched(&path).map_err(read)?;
    let has_seats: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'seats'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(read)?;
    if has_seats.is_none() {
        return Ok(OfficeState::Empty);
    }
    let (seats, admins): (i64, i64) = conn
        .query_row(
            "SELECT count(*), count(*) FILTER (WHERE role = ?1) FROM seats",
            [Role::Admin.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(read)?;
    Ok(match (seats, admins) {
        (0, _) => OfficeState::Empty,
        (_, 0) => OfficeState::NoAdministrator,
        _ => OfficeState::Ready,
    })
}

/// What a store (a PostgreSQL database, which has no folder to look into first) holds.
pub fn store_state(store: &dyn Store) -> Result<OfficeState, SetupError> {
    let seats = store.seats()?;
    Ok(if seats.is_empty() {
        OfficeState::Empty
    } else if seats.iter().any(|s| s.role == Role::Admin) {
        OfficeState::Ready
    } else {
        OfficeState::NoAdministrator
    })
}

/// Creates an office in an opened store (a PostgreSQL database) with `admin` as its first
/// administrator seat, as [`init_office`] does in a data folder; refuses a store that holds
/// seats. Returns the seat id.
pub fn init_office_in(
    store: &dyn Store,
    admin: &FirstAdmin<'_>,
    now: DateTime<Utc>,
) -> Result<i64, SetupError> {
    check_first_admin(admin)?;
    if store_state(store)? != OfficeState::Empty {
        return Err(SetupError::AlreadyAnOffice(PathBuf::from("the database")));
    }
    let password_hash = crate::auth::hash_password(admin.password)?;
    Ok(crate::service::organisation::first_admin(
        store,
        admin.login.trim(),
        admin.holder_name,
        &password_hash,
        "local (liaison-office init)",
        now,
    )?)
}

/// Opens `path` to read it without leaving a file behind. A database with a WAL file (an office
/// serving, or one not closed cleanly) is read through its WAL; one without is fully
/// checkpointed, so it is read as immutable: SQLite then creates no `-wal` and `-shm` files.
fn open_untouched(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        return Connection::open_with_flags(path, flags);
    }
    // A URI's path: '%', '?' and '#' are its own syntax.
    const URI: &percent_encoding::AsciiSet =
        &percent_encoding::CONTROLS.add(b'%').add(b'?').add(b'#');
    let uri = format!(
        "file:{}?immutable=1",
        percent_encoding::utf8_percent_encode(&path.to_string_lossy(), URI)
    );
    Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
}

/// The first administrator `init` creates.
#[derive(Debug, Clone)]
pub struct FirstAdmin<'a> {
    pub login: &'a str,
    pub holder_name: &'a str,
    pub password: &'a str,
}

/// Checks what `init` was given, before anything is touched.
pub fn check_first_admin(admin: &FirstAdmin<'_>) -> Result<(), SetupError> {
    check_login_and_name(admin.login, admin.holder_name)?;
    check_password(admin.login, admin.password)?;
    Ok(())
}

/// The administrator's login and the holder's name, checked by the organisation's rules before a
/// password is asked for.
pub fn check_login_and_name(login: &str, holder_name: &str) -> Result<(), SetupError> {
    liaison_domain::organisation::login(login)?;
    liaison_domain::organisation::holder_name(holder_name)?;
    Ok(())
}

/// Creates an office in `data` (made if missing) with `admin` as its first administrator seat
/// (no department) and the audit entry of its creation. Refuses a folder that holds seats; a
/// folder whose database is missing or holds no seat gets a fresh database. Returns the seat id.
pub fn init_office(
    data: &Path,
    admin: &FirstAdmin<'_>,
    now: DateTime<Utc>,
) -> Result<i64, SetupError> {
    check_first_admin(admin)?;
    match office_state(data)? {
        OfficeState::Missing | OfficeState::Empty => {}
        OfficeState::NoAdministrator | OfficeState::Ready => {
            return Err(SetupError::AlreadyAnOffice(data.to_path_buf()));
        }
    }
    let password_hash = crate::auth::hash_password(admin.password)?;
    std::fs::create_dir_all(data).map_err(|source| SetupError::Folder {
        path: data.display().to_string(),
        source,
    })?;
    let building = data.join(BUILDING);
    remove_database(&building);
    let result = build(&building, admin, &password_hash, now);
    let seat_id = match result {
        Ok(id) => id,
        Err(e) => {
            remove_database(&building);
            return Err(e);
        }
    };
    let target = data.join(DATABASE);
    // An empty database left by an earlier start goes; its WAL must not outlive it.
    remove_database(&target);
    std::fs::rename(&building, &target).map_err(|source| SetupError::Rename {
        path: target.display().to_string(),
        source,
    })?;
    Ok(seat_id)
}

/// The new database at `path`, closed (its WAL checkpointed into it) when this returns.
fn build(
    path: &Path,
    admin: &FirstAdmin<'_>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, SetupError> {
    let store = SqliteStore::open(path)?;
    // The same call the demo city's set-up makes: the seat and its audit entry together.
    let id = crate::service::organisation::first_admin(
        &store,
        admin.login.trim(),
        admin.holder_name,
        password_hash,
        "local (liaison-office init)",
        now,
    )?;
    drop(store);
    Ok(id)
}

/// Removes a database file and its WAL and shared-memory files, if there.
fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewSeat, Store};

    /// A seat written straight into the store (what an administrator's change would leave).
    fn add_seat(store: &SqliteStore, login: &str, role: Role) {
        store
            .organise(&mut |tx| {
                tx.insert_seat(
                    &NewSeat {
                        login: login.into(),
                        role,
                        department_id: None,
                        holder_name: "钱晓东".into(),
                        phone: None,
                        password_hash: Some("x".into()),
                    },
                    Utc::now(),
                )?;
                Ok(())
            })
            .unwrap();
    }

    const GOOD: FirstAdmin<'static> = FirstAdmin {
        login: "city.admin",
        holder_name: "冯雪梅",
        password: "Harbour-Lights-2026",
    };

    #[test]
    fn init_creates_an_office_with_one_administrator_and_its_audit_entry() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("office");
        assert_eq!(office_state(&data).unwrap(), OfficeState::Missing);
        let now = Utc::now();
        let id = init_office(&data, &GOOD, now).unwrap();
        assert_eq!(office_state(&data).unwrap(), OfficeState::Ready);
        assert!(!data.join(BUILDING).exists());

        let store = SqliteStore::open(&data.join(DATABASE)).unwrap();
        let seats = store.seats().unwrap();
        assert_eq!(seats.len(), 1);
        assert_eq!(seats[0].id, id);
        assert_eq!(seats[0].role, Role::Admin);
        assert_eq!(seats[0].holder_name, "冯雪梅");
        let creds = store.seat_credentials("city.admin").unwrap().unwrap();
        assert!(crate::auth::verify_password(
            GOOD.password,
            &creds.password_hash
        ));
        assert_eq!(store.verify_audit().unwrap(), Ok(1));
        let entries = store.audit_entries(10).unwrap();
        assert_eq!(entries[0].action, "seat.created");
    }

    #[test]
    fn reading_the_state_leaves_no_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("a 100% #real? office");
        init_office(&data, &GOOD, Utc::now()).unwrap();
        let files = || {
            let mut f: Vec<_> = std::fs::read_dir(&data)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            f.sort();
            f
        };
        let before = files();
        assert_eq!(before, [DATABASE]);
        assert_eq!(office_state(&data).unwrap(), OfficeState::Ready);
        assert_eq!(files(), before);
        // While an office is open (its WAL there), its state is read through the WAL.
        let store = SqliteStore::open(&data.join(DATABASE)).unwrap();
        add_seat(&store, "second.admin", Role::Admin);
        assert_eq!(office_state(&data).unwrap(), OfficeState::Ready);
    }

    #[test]
    fn init_refuses_an_office_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        init_office(dir.path(), &GOOD, Utc::now()).unwrap();
        let before = std::fs::read(dir.path().join(DATABASE)).unwrap();
        let other = FirstAdmin {
            login: "second.admin",
            ..GOOD
        };
        let err = init_office(dir.path(), &other, Utc::now()).unwrap_err();
        assert!(matches!(err, SetupError::AlreadyAnOffice(_)), "{err}");
        assert_eq!(std::fs::read(dir.path().join(DATABASE)).unwrap(), before);
    }

    #[test]
    fn a_weak_password_or_bad_login_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("office");
        for (admin, expected) in [
            (
                FirstAdmin {
                    password: "short1",
                    ..GOOD
                },
                "at least 10 characters",
            ),
            (
                FirstAdmin {
                    password: "city.admin-2026x",
                    ..GOOD
                },
                "login",
            ),
            (
                FirstAdmin {
                    login: "city admin",
                    ..GOOD
                },
                "login",
            ),
            (
                FirstAdmin {
                    holder_name: " ",
                    ..GOOD
                },
                "name",
            ),
        ] {
            let err = init_office(&data, &admin, Utc::now()).unwrap_err();
            let said = match std::error::Error::source(&err) {
                Some(why) => format!("{err}: {why}"),
                None => err.to_string(),
            };
            assert!(said.contains(expected), "{said}");
            assert!(!data.exists(), "{err}: the folder was created");
        }
    }

    #[test]
    fn a_demo_office_is_ready_and_a_database_without_seats_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::open_store(dir.path()).unwrap();
        assert_eq!(office_state(dir.path()).unwrap(), OfficeState::Empty);
        add_seat(&store, "someone.editor", Role::Editor);
        assert_eq!(
            office_state(dir.path()).unwrap(),
            OfficeState::NoAdministrator
        );
        crate::demo::seed(store.as_ref(), Utc::now()).unwrap();
        assert_eq!(office_state(dir.path()).unwrap(), OfficeState::Ready);
    }
}
