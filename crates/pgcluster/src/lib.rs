//! A throwaway PostgreSQL cluster for tests and fault runs: `initdb` and `pg_ctl` from Debian's
//! packages (`scripts/deps.sh` installs them) in a temporary folder, listening on a free loopback
//! port, with no system service. It is stopped and removed when dropped; it can be stopped and
//! started again meanwhile (a database restart in a fault run).
//!
//! [`Cluster::start`] runs with `fsync=off` (fast; fine where a test only needs the database's
//! answers). [`Cluster::start_durable`] keeps PostgreSQL's durable defaults (`fsync=on`,
//! `synchronous_commit=on`), for figures to set beside an SQLite store with `synchronous=FULL`;
//! [`Cluster::start_kept`] keeps its folder between runs (a benchmark's seeded database).
//!
//! PostgreSQL refuses to run as root: when the tests run as root, the cluster's folder belongs to
//! the `postgres` user the packages create, and its programs run as that user (`runuser`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Why a cluster could not be made or moved.
#[derive(Debug)]
pub struct ClusterError(pub String);

impl std::fmt::Display for ClusterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ClusterError {}

/// The superuser every cluster is made with (trusted on loopback only).
pub const SUPERUSER: &str = "liaison";

pub struct Cluster {
    dir: Folder,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    /// `fsync` and `synchronous_commit` on (PostgreSQL's defaults), or both off.
    durable: bool,
}

/// Where a cluster lives: a temporary folder removed with it, or a folder kept between runs.
enum Folder {
    Temporary(tempfile::TempDir),
    Kept(PathBuf),
}

impl Folder {
    fn path(&self) -> &Path {
        match self {
            Folder::Temporary(dir) => dir.path(),
            Folder::Kept(dir) => dir,
        }
    }
}

/// The folder of the newest PostgreSQL's programs Debian installed.
fn bin_dir() -> Result<PathBuf, ClusterError> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| {
            ClusterError(format!(
                "PostgreSQL is not installed (/usr/lib/postgresql: {e}); run scripts/deps.sh"
            ))
        })?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| ClusterError("no PostgreSQL with initdb under /usr/lib/postgresql".into()))
}

fn free_port() -> Result<u16, ClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ClusterError(format!("no free port: {e}")))
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// Makes a cluster in a new temporary folder and starts it, with `fsync=off`.
    pub fn start() -> Result<Cluster, ClusterError> {
        Self::start_temporary(false)
    }

    /// Makes a cluster in a new temporary folder and starts it with PostgreSQL's durable
    /// defaults (`fsync=on`, `synchronous_commit=on`): every commit waits for its WAL to reach
    /// the disk, as an SQLite store with `synchronous=FULL` waits for its own.
    pub fn start_durable() -> Result<Cluster, ClusterError> {
        Self::start_temporary(true)
    }

    fn start_temporary(durable: bool) -> Result<Cluster, ClusterError> {
        let dir = tempfile::Builder::new()
            .prefix("liaison-pg.")
            .tempdir()
            .map_err(|e| ClusterError(format!("temporary folder: {e}")))?;
        let cluster = Self::made(Folder::Temporary(dir), durable)?;
        cluster.init()?;
        cluster.start_again()?;
        Ok(cluster)
    }

    /// Starts the cluster kept in `dir`, making it first if `dir` holds none (`dir` is created;
    /// an interrupted `initdb` is cleared away). The folder stays when the cluster is dropped,
    /// which shuts it down cleanly; a cluster left running by a killed run is shut down first.
    pub fn start_kept(dir: &Path, durable: bool) -> Result<Cluster, ClusterError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ClusterError(format!("{}: {e}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| ClusterError(format!("{}: {e}", dir.display())))?;
        let cluster = Self::made(Folder::Kept(dir), durable)?;
        let data = cluster.data();
        if data.join("PG_VERSION").exists() && data.join("global").exists() {
            if data.join("postmaster.pid").exists() {
                let _ = cluster.stop_with("fast");
            }
        } else {
            if data.exists() {
                std::fs::remove_dir_all(&data)
                    .map_err(|e| ClusterError(format!("{}: {e}", data.display())))?;
            }
            cluster.init()?;
        }
        cluster.start_again()?;
        Ok(cluster)
    }

    /// A cluster in `dir` (given to `postgres` when running as root), not made or started yet.
    fn made(dir: Folder, durable: bool) -> Result<Cluster, ClusterError> {
        let bin = bin_dir()?;
        let as_postgres = running_as_root();
        if as_postgres {
            let done = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| ClusterError(format!("chown: {e}")))?;
            if !done.success() {
                return Err(ClusterError("could not give the folder to postgres".into()));
            }
        }
        Ok(Cluster {
            bin,
            port: free_port()?,
            as_postgres,
            durable,
            dir,
        })
    }

    fn init(&self) -> Result<(), ClusterError> {
        self.run(
            "initdb",
            &[
                "--pgdata",
                &self.data().display().to_string(),
                "--username",
                SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
        )
        .map(|_| ())
    }

    /// Whether commits wait for the disk (`fsync` and `synchronous_commit` on).
    pub fn is_durable(&self) -> bool {
        self.durable
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Where the cluster's log is written.
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| ClusterError(format!("{program}: {e}")))?;
        if !out.status.success() {
            return Err(ClusterError(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(out)
    }

    /// Starts the cluster (again) and waits until it takes connections.
    pub fn start_again(&self) -> Result<(), ClusterError> {
        let durability = if self.durable {
            "-c fsync=on -c synchronous_commit=on"
        } else {
            "-c fsync=off"
        };
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} {durability} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "start",
                "--wait",
                "--pgdata",
                &self.data().display().to_string(),
                "--log",
                &self.log().display().to_string(),
                "-o",
                &options,
            ],
        )?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() > deadline {
                return Err(ClusterError("PostgreSQL did not listen".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Stops the cluster at once (as a crash would), keeping its data.
    pub fn stop(&self) -> Result<(), ClusterError> {
        self.stop_with("immediate")
    }

    fn stop_with(&self, mode: &str) -> Result<(), ClusterError> {
        self.run(
            "pg_ctl",
            &[
                "stop",
                "--wait",
                "-m",
                mode,
                "--pgdata",
                &self.data().display().to_string(),
            ],
        )
        .map(|_| ())
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address of a database of the cluster, as the office takes it.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Makes a new, empty database and returns its address.
    pub fn create_database(&self, name: &str) -> Result<String, ClusterError> {
        self.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                name,
            ],
        )?;
        Ok(self.url(name))
    }

    /// The cluster's folder.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // A kept cluster is shut down cleanly (a checkpoint), so its next start recovers nothing.
        let _ = match self.dir {
            Folder::Temporary(_) => self.stop(),
            Folder::Kept(_) => self.stop_with("fast"),
        };
    }
}
