//! The desk's window against a bare Tauri window: time from start to the first paint of the
//! draft list, and the memory of all its processes (the app and WebKit's), as PSS, after 10 s of
//! idling: once with a officer's usual store, once with 10,000 drafts. The desk draws without
//! hardware acceleration; for reference, the bare window is also measured drawing that way
//! (`BARE_WINDOW_NO_GPU`), so the table shows what the setting alone does.
//!
//! Both report their first paint the same way (a `painted` call after the page's first frame,
//! logged as "first paint"); the time is read here, from just before the process is started to
//! the moment that line arrives. Turns interleave the three programs so a slow moment of the
//! machine falls on all of them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use liaison_tests::OfficeProcess;

use crate::table::{Measured, Row, Stats, Target};
use crate::{sibling_binary, signed_in_desk};

const IDLE: Duration = Duration::from_secs(10);

/// One program to start: its binary, environment, and the word its first-paint line carries.
struct Program<'a> {
    binary: &'a Path,
    env: Vec<(&'static str, String)>,
    painted: &'static str,
}

struct Launch {
    paint_secs: f64,
    pss_mib: f64,
}

pub async fn rows(
    office: &OfficeProcess,
    turns: usize,
    list_drafts: usize,
) -> anyhow::Result<Vec<Row>> {
    let desk_binary = sibling_binary("liaison-desk")?;
    let bare_binary = sibling_binary("bare_window")?;
    let usual = tempfile::tempdir()?;
    let long = tempfile::tempdir()?;
    let usual_service = prepare(office, usual.path(), "市教育局", 40).await?;
    let long_service = prepare(office, long.path(), "市财政局", list_drafts).await?;

    let bare = Program {
        binary: &bare_binary,
        env: Vec::new(),
        painted: "bare",
    };
    let desk = |dir: &Path, service: &str| Program {
        binary: &desk_binary,
        env: vec![
            ("LIAISON_DESK_DATA", dir.display().to_string()),
            ("LIAISON_KEYRING_SERVICE", service.to_owned()),
        ],
        painted: "drafts",
    };
    let bare_without_gpu = Program {
        binary: &bare_binary,
        env: vec![("BARE_WINDOW_NO_GPU", "1".to_owned())],
        painted: "bare",
    };
    let programs = [
        bare,
        desk(usual.path(), &usual_service),
        desk(long.path(), &long_service),
        bare_without_gpu,
    ];
    let mut results: [Vec<Launch>; 4] = Default::default();
    for turn in 0..=turns {
        for (p, program) in programs.iter().enumerate() {
            let launch = launch(program)?;
            println!(
                "window turn {turn} ({}): first paint {:.2} s, PSS {:.0} MiB",
                ["bare", "desk", "desk 10k", "bare without GPU"][p],
                launch.paint_secs,
                launch.pss_mib
            );
            // The first turn warms the page cache and is not counted.
            if turn > 0 {
                results[p].push(launch);
            }
        }
    }
    let paint = |p: usize| Stats::of(&results[p].iter().map(|l| l.paint_secs).collect::<Vec<_>>());
    let pss = |p: usize| Stats::of(&results[p].iter().map(|l| l.pss_mib).collect::<Vec<_>>());
    let (desk_paint, desk_pss) = (paint(1), pss(1));
    let (long_paint, long_pss) = (paint(2), pss(2));
    let (bare_paint, bare_pss) = (paint(0), pss(0));
    let (plain_paint, plain_pss) = (paint(3), pss(3));
    let secs = |stats| Measured {
        stats,
        decimals: 2,
        unit: "s",
    };
    let mib = |stats| Measured {
        stats,
        decimals: 0,
        unit: "MiB",
    };
    const BARE: &str = "bare Tauri window";
    const PLAIN: &str = "bare window without the GPU";
    Ok(vec![
        Row::medians(
            "desk start to first paint of the draft list (40 drafts, Xvfb)",
            secs(&desk_paint),
            BARE,
            &bare_paint,
            Target::RatioAtMost(1.3),
        ),
        Row::medians(
            "desk memory after start, idle 10 s, app + WebKit processes, PSS",
            mib(&desk_pss),
            BARE,
            &bare_pss,
            Target::RatioAtMost(1.3),
        ),
        Row::medians(
            format!("desk memory with {list_drafts} drafts, list open, PSS"),
            mib(&long_pss),
            BARE,
            &bare_pss,
            Target::RatioAtMost(1.6),
        ),
        Row::medians(
            format!("desk start to first paint with {list_drafts} drafts (for reference)"),
            secs(&long_paint),
            BARE,
            &bare_paint,
            Target::RatioAtMost(1.6),
        ),
        Row::medians(
            "for reference: desk start to first paint (40 drafts) against a bare window also drawn without the GPU",
            secs(&desk_paint),
            PLAIN,
            &plain_paint,
            Target::RatioAtMost(1.3),
        ),
        Row::medians(
            "for reference: desk memory, idle, against a bare window also drawn without the GPU",
            mib(&desk_pss),
            PLAIN,
            &plain_pss,
            Target::RatioAtMost(1.3),
        ),
    ])
}

/// A desk store in `dir`, signed in as the officer of `department`, holding `drafts` sample
/// drafts already backed up to the office (so the window's start does no first-time work).
/// Returns the keyring service holding its token.
async fn prepare(
    office: &OfficeProcess,
    dir: &Path,
    department: &str,
    drafts: usize,
) -> anyhow::Result<String> {
    let seat = office.seat("officer", Some(department));
    let service = format!("liaison-bench-{}", uuid::Uuid::new_v4());
    let desk = signed_in_desk(dir, &service, &office.url, &seat.login, &seat.password).await?;
    desk.seed_drafts(drafts, 2048, 7)?;
    desk.sync_once(0).await?;
    Ok(service)
}

/// Starts `program`, waits for its first paint, lets it idle, measures it, and stops it.
fn launch(program: &Program<'_>) -> anyhow::Result<Launch> {
    let started = Instant::now();
    let mut child = Command::new(program.binary)
        .envs(program.env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", program.binary.display()))?;
    let stderr = child.stderr.take().context("piped stderr")?;
    let (tx, rx) = mpsc::channel();
    let painted = program.painted;
    // Reads to the end, so the program never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("first paint") && line.contains(painted) {
                let _ = tx.send(Instant::now());
            }
            if line.contains("first paint") || line.contains("set up") {
                println!("    {}", strip_ansi(&line));
            }
        }
    });
    let result = (|| {
        let at = rx
            .recv_timeout(Duration::from_secs(60))
            .context("no first paint within 60 s")?;
        let paint_secs = at.duration_since(started).as_secs_f64();
        std::thread::sleep(IDLE);
        let pss = tree_pss(child.id() as i32, true)?;
        Ok(Launch {
            paint_secs,
            pss_mib: pss as f64 / (1024.0 * 1024.0),
        })
    })();
    stop_tree(&mut child);
    result
}

/// The process and all its descendants.
fn tree(root: i32) -> anyhow::Result<Vec<i32>> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procfs::process::all_processes()?.flatten() {
        if let Ok(stat) = p.stat() {
            children.entry(stat.ppid).or_default().push(stat.pid);
        }
    }
    let mut all = vec![root];
    let mut i = 0;
    while i < all.len() {
        if let Some(c) = children.get(&all[i]) {
            all.extend(c);
        }
        i += 1;
    }
    Ok(all)
}

/// The proportional set size of a process tree, in bytes: each shared page counted once across
/// all processes, as the system's own accounting (`/proc/<pid>/smaps_rollup`) gives it.
/// With `show`, prints each process's share.
fn tree_pss(root: i32, show: bool) -> anyhow::Result<u64> {
    let mut total = 0;
    let pids = tree(root)?;
    if pids.len() < 2 {
        bail!("the window's WebKit processes are missing");
    }
    for pid in pids {
        let Ok(process) = procfs::process::Process::new(pid) else {
            continue; // gone meanwhile
        };
        let Ok(rollup) = process.smaps_rollup() else {
            continue;
        };
        let pss = rollup
            .memory_map_rollup
            .0
            .iter()
            .filter_map(|m| m.extension.map.get("Pss"))
            .sum::<u64>();
        if show {
            let name = process.stat().map(|s| s.comm).unwrap_or_default();
            println!("    {name:<24} {:>6.1} MiB", pss as f64 / (1024.0 * 1024.0));
        }
        total += pss;
    }
    Ok(total)
}

/// Stops the program and whatever it started.
fn stop_tree(child: &mut Child) {
    let pids = tree(child.id() as i32).unwrap_or_default();
    for pid in pids.iter().rev() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let _ = child.wait();
}

/// A log line without its colour codes.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
