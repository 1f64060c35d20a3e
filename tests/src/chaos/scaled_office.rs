//! The office at scale, for the chaos run on PostgreSQL: a throwaway cluster, N processes of
//! `liaison-office serve --database URL --data <own folder>` sharing its one database, and HAProxy
//! in front of them (round robin, health checks, retries with redispatch). The run kills one
//! office process at a time and starts it again on the same address, restarts PostgreSQL, and
//! cuts the offices' database connections; at the end every process must answer by itself.
//!
//! Each process's log (RUST_LOG=info, every start appended) and HAProxy's request log stay in a
//! folder that is kept when the run is not clean, so what went wrong can be read afterwards.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use liaison_pgcluster::Cluster;

use crate::{DemoSeat, built_binary};

/// The database every office process of the run shares.
const DATABASE: &str = "chaos";

/// One office process and what it keeps between its starts.
struct Node {
    /// Its address, fixed after the first start: HAProxy knows it by this one.
    addr: SocketAddr,
    data: tempfile::TempDir,
    database_url: String,
    child: Option<Child>,
    /// Tells the address once the current start listens.
    listening: Option<mpsc::Receiver<String>>,
    /// Since when the current start listens.
    up_since: Option<Instant>,
    starts: usize,
}

impl Node {
    fn log_path(&self) -> PathBuf {
        self.data.path().join("office.log")
    }

    /// Starts the process on `listen` (port 0 the first time); does not wait for it to listen:
    /// with the database down it waits for the database first.
    fn spawn(&mut self, listen: &str) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("office log: {e}"))?;
        let mut child = Command::new(built_binary("liaison-office"))
            .args([
                "serve",
                "--demo",
                "--min-free-mib",
                "16",
                "--listen",
                listen,
            ])
            .arg("--database")
            .arg(&self.database_url)
            .arg("--data")
            .arg(self.data.path())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("start liaison-office: {e}"))?;
        let stdout = child.stdout.take().ok_or("the office's stdout")?;
        let (tell, listening) = mpsc::channel();
        // Reads all of its output, so the process never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("liaison-office listening on http://") {
                    let _ = tell.send(address.trim().to_owned());
                }
            }
        });
        self.child = Some(child);
        self.listening = Some(listening);
        self.up_since = None;
        self.starts += 1;
        Ok(())
    }

    /// Whether the current start listens (it said so), noticing it if it just did.
    fn is_up(&mut self) -> bool {
        self.up_for().is_some()
    }

    /// How long the current start has been listening, if it does.
    fn up_for(&mut self) -> Option<Duration> {
        if self.up_since.is_none()
            && let Some(address) = self.listening.as_ref().and_then(|l| l.try_recv().ok())
        {
            if let Ok(addr) = address.parse() {
                self.addr = addr;
            }
            self.up_since = Some(Instant::now());
        }
        self.up_since.map(|t| t.elapsed())
    }

    /// Whether the process ended by itself (it was not killed by the run): how it ended.
    fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }

    fn kill(&mut self) -> bool {
        self.up_since = None;
        self.listening = None;
        match self.child.take() {
            Some(mut child) => {
                let _ = child.kill(); // SIGKILL
                let _ = child.wait();
                true
            }
            None => false,
        }
    }

    /// The last lines of its log.
    fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// When dropped: HAProxy is killed, then the office processes, then the cluster is stopped.
pub struct ScaledOffice {
    nodes: Vec<Node>,
    cluster: Cluster,
    database_url: String,
    haproxy: Child,
    haproxy_port: u16,
    /// HAProxy's configuration and request log.
    dir: tempfile::TempDir,
    pub seats: Vec<DemoSeat>,
}

/// How long an office process listens before HAProxy counts it up again (its checks every
/// 500 ms, two good ones in a row), with a margin.
const SETTLED: Duration = Duration::from_millis(1_500);

/// How long one office process may take to listen once the database answers.
const START_WITHIN: Duration = Duration::from_secs(90);

impl ScaledOffice {
    /// The cluster, `offices` processes (the first seeds the demo city alone, the others find it
    /// seeded), and HAProxy in front once they all listen.
    pub async fn start(offices: usize) -> Result<ScaledOffice, String> {
        if offices == 0 {
            return Err("at least one office process".into());
        }
        let cluster = tokio::task::block_in_place(Cluster::start)
            .map_err(|e| format!("PostgreSQL cluster: {e}"))?;
        let database_url = tokio::task::block_in_place(|| cluster.create_database(DATABASE))
            .map_err(|e| format!("the chaos database: {e}"))?;
        let mut nodes = Vec::new();
        for i in 0..offices {
            let data = tempfile::Builder::new()
                .prefix(&format!("liaison-chaos-office{i}."))
                .tempdir()
                .map_err(|e| e.to_string())?;
            let mut node = Node {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                data,
                database_url: database_url.clone(),
                child: None,
                listening: None,
                up_since: None,
                starts: 0,
            };
            node.spawn("127.0.0.1:0")?;
            // The first seeds alone; then the others start on the seeded city.
            wait_up(&mut node, i, START_WITHIN).await?;
            nodes.push(node);
        }
        let seats_file = nodes[0].data.path().join("demo-seats.json");
        let seats =
            std::fs::read(&seats_file).map_err(|e| format!("{}: {e}", seats_file.display()))?;
        let seats: Vec<DemoSeat> =
            serde_json::from_slice(&seats).map_err(|e| format!("demo seats: {e}"))?;
        let dir = tempfile::Builder::new()
            .prefix("liaison-chaos-haproxy.")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
        let (haproxy, haproxy_port) = start_haproxy(dir.path(), &addrs).await?;
        Ok(ScaledOffice {
            cluster,
            database_url,
            nodes,
            haproxy,
            haproxy_port,
            dir,
            seats,
        })
    }

    /// HAProxy's address: the fault proxy forwards to it.
    pub fn front(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.haproxy_port))
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// SIGKILLs office `i`, unless another one is not back yet: every other process must have
    /// listened for [`SETTLED`], so HAProxy's health checks saw it up, and never are all of them
    /// down at once (with one process, it is killed as the single office is). Whether it was.
    pub fn kill(&mut self, i: usize) -> bool {
        let others_up = (0..self.nodes.len())
            .filter(|&j| j != i)
            .all(|j| self.nodes[j].up_for().is_some_and(|d| d >= SETTLED));
        if !others_up {
            return false;
        }
        self.nodes[i].kill()
    }

    /// Starts office `i` again on its address if it is not running; does not wait for it.
    pub fn restart(&mut self, i: usize) -> Result<(), String> {
        let node = &mut self.nodes[i];
        if node.child.is_none() {
            let listen = node.addr.to_string();
            node.spawn(&listen)?;
        }
        Ok(())
    }

    /// How many times office processes were started, all together.
    pub fn starts(&self) -> usize {
        self.nodes.iter().map(|n| n.starts).sum()
    }

    /// Stops PostgreSQL at once (as a crash would).
    pub fn stop_database(&self) -> Result<(), String> {
        tokio::task::block_in_place(|| self.cluster.stop()).map_err(|e| e.to_string())
    }

    pub fn start_database(&self) -> Result<(), String> {
        tokio::task::block_in_place(|| self.cluster.start_again()).map_err(|e| e.to_string())
    }

    /// Cuts every connection the offices hold to the database (a superuser terminates them);
    /// how many were cut.
    pub async fn cut_connections(&self) -> Result<i64, String> {
        let cut = async {
            let (client, connection) =
                tokio_postgres::connect(&self.cluster.url("postgres"), tokio_postgres::NoTls)
                    .await?;
            let connection = tokio::spawn(connection);
            let row = client
                .query_one(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) \
                     FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    &[&DATABASE],
                )
                .await?;
            drop(client);
            let _ = connection.await;
            Ok::<i64, tokio_postgres::Error>(row.get(0))
        };
        match tokio::time::timeout(Duration::from_secs(10), cut).await {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(e)) => Err(format!("terminating the offices' connections: {e}")),
            Err(_) => Err("terminating the offices' connections took over 10 s".into()),
        }
    }

    /// An office process that ended without being killed: which, how, and its log's end.
    pub fn crashed(&mut self) -> Option<String> {
        self.nodes.iter_mut().enumerate().find_map(|(i, n)| {
            n.exited().map(|how| {
                format!(
                    "office {i} ({}) ended by itself ({how}); its log ends:\n{}",
                    n.addr,
                    n.log_tail(40)
                )
            })
        })
    }

    /// Every office process running and listening again, each answering a sign-in on its own
    /// address (not through HAProxy): none was left broken by the kills, the database's restart
    /// or the cut connections.
    pub async fn all_recovered(&mut self, seat: &DemoSeat) -> Result<(), String> {
        for i in 0..self.nodes.len() {
            self.restart(i)?;
        }
        let http = reqwest::Client::new();
        for i in 0..self.nodes.len() {
            wait_up(&mut self.nodes[i], i, START_WITHIN).await?;
            let url = format!("http://{}/api/v1/sessions", self.nodes[i].addr);
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let answer = http
                    .post(&url)
                    .json(&serde_json::json!({"login": seat.login, "password": seat.password}))
                    .send()
                    .await;
                let last = match answer {
                    Ok(r) if r.status().as_u16() == 201 => break,
                    Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
                    Err(e) => e.to_string(),
                };
                if Instant::now() > deadline {
                    return Err(format!(
                        "office {i} ({}) does not answer a sign-in 30 s after the faults \
                         ended: {last}; its log ends:\n{}",
                        self.nodes[i].addr,
                        self.nodes[i].log_tail(40)
                    ));
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        Ok(())
    }

    /// HAProxy's request log so far, in short: how many requests each office process took,
    /// how many were answered 503 (the database did not answer), how many ended without an answer
    /// from an office (killed mid-request: HAProxy's 502, or the connection closed), and how many
    /// found no office up.
    pub fn request_counts(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default();
        let mut per_office = vec![0usize; self.nodes.len()];
        let (mut unavailable, mut unanswered, mut no_office) = (0usize, 0usize, 0usize);
        for line in log.lines() {
            // client [date] frontend backend/server timers status bytes ...
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(server), Some(status)) = (fields.get(3), fields.get(5)) else {
                continue;
            };
            match server.strip_prefix("offices/") {
                // HAProxy's own 503; a request the fault proxy cut short is <NOSRV> too.
                Some("<NOSRV>") if *status == "503" => no_office += 1,
                Some("<NOSRV>") => {}
                Some(name) => {
                    if let Some(n) = name
                        .strip_prefix("office")
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| per_office.get_mut(i))
                    {
                        *n += 1;
                    }
                    match *status {
                        "503" => unavailable += 1,
                        "502" | "504" | "-1" => unanswered += 1,
                        _ => {}
                    }
                }
                None => {}
            }
        }
        let served: Vec<String> = per_office
            .iter()
            .enumerate()
            .map(|(i, n)| format!("office {i} {n}"))
            .collect();
        format!(
            "{}; 503 {unavailable}, unanswered {unanswered}, no office up {no_office}",
            served.join(", ")
        )
    }

    /// Ends everything but keeps the logs (the offices' folders with their logs, HAProxy's
    /// folder with its request log and a copy of PostgreSQL's); where they are.
    pub fn keep_logs(&mut self) -> Vec<PathBuf> {
        // Ended first, so the logs are whole.
        for node in &mut self.nodes {
            node.kill();
        }
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
        let _ = std::fs::copy(self.cluster.log(), self.dir.path().join("postgres.log"));
        let mut kept = Vec::new();
        for node in &mut self.nodes {
            node.data.disable_cleanup(true);
            kept.push(node.data.path().to_path_buf());
        }
        self.dir.disable_cleanup(true);
        kept.push(self.dir.path().to_path_buf());
        kept
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Drop for ScaledOffice {
    fn drop(&mut self) {
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
    }
}

/// Waits until office `i`'s current start listens; a process that ends meanwhile is an error.
async fn wait_up(node: &mut Node, i: usize, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    while !node.is_up() {
        if let Some(how) = node.exited() {
            return Err(format!(
                "office {i} ended before listening ({how}); its log ends:\n{}",
                node.log_tail(40)
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "office {i} did not listen within {within:?}; its log ends:\n{}",
                node.log_tail(40)
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// HAProxy in front of the offices, plain HTTP on a free loopback port; its request log goes to
/// `haproxy.log` in `dir`.
async fn start_haproxy(dir: &Path, offices: &[SocketAddr]) -> Result<(Child, u16), String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("a free port: {e}"))?;
    let servers: String = offices
        .iter()
        .enumerate()
        .map(|(i, addr)| format!("    server office{i} {addr} check inter 500ms\n"))
        .collect();
    // Long polls last 25 s: the server timeout is well above.
    let config = format!(
        "global
    maxconn 1000
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    retries 3
    option redispatch
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend desks
    bind 127.0.0.1:{port}
    default_backend offices
backend offices
    balance roundrobin
{servers}"
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("haproxy.log")).map_err(|e| e.to_string())?;
    let errors = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(errors)
        .spawn()
        .map_err(|e| format!("haproxy (scripts/deps.sh installs it): {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("haproxy.log")).unwrap_or_default();
            return Err(format!("haproxy ended ({status}): {log}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("haproxy did not listen within 20 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((child, port))
}
