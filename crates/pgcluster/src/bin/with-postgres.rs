//! `with-postgres COMMAND [ARGS…]`: runs a command with a throwaway PostgreSQL cluster up, its
//! address in `LIAISON_TEST_POSTGRES` (`postgres://liaison@127.0.0.1:PORT`, no database: each
//! test makes its own), and removes the cluster afterwards. `make test` runs the office's test
//! suite a second time this way, on PostgreSQL.

use std::process::{Command, ExitCode};

use liaison_pgcluster::Cluster;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: with-postgres COMMAND [ARGS…]");
        return ExitCode::from(2);
    };
    let cluster = match Cluster::start() {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("with-postgres: could not start a PostgreSQL cluster: {e}");
            return ExitCode::from(2);
        }
    };
    let server = cluster.url("");
    let server = server.trim_end_matches('/');
    eprintln!("with-postgres: PostgreSQL at {server}");
    let status = Command::new(program)
        .args(args)
        .env("LIAISON_TEST_POSTGRES", server)
        .status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            // The cluster's folder goes with it: show the end of its log now.
            let log = std::fs::read_to_string(cluster.log()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("with-postgres: the command failed ({status}); the end of PostgreSQL's log:");
            for line in tail.iter().rev() {
                eprintln!("  {line}");
            }
            ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1))
        }
        Err(e) => {
            eprintln!("with-postgres: could not run the command: {e}");
            ExitCode::from(2)
        }
    }
}
