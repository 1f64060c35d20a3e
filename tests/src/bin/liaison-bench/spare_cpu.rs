//! Threads that get only the CPU time nothing else wants (Linux's `SCHED_IDLE`): any other
//! thread that wakes takes the core from them at once. The typing benchmark gives the office and
//! the line between it and the desk this policy, so that their work stands in for work done on
//! another machine. Set through `chrt` (util-linux), read back through `/proc`.

use anyhow::{Context, bail};

/// `SCHED_IDLE`'s number, as `/proc/<pid>/task/<tid>/stat` shows the policy.
const SCHED_IDLE: u32 = 5;

/// Puts thread `tid` under `SCHED_IDLE`.
fn thread(tid: i32) -> anyhow::Result<()> {
    let status = std::process::Command::new("chrt")
        .args(["--idle", "--pid", "0", &tid.to_string()])
        .status()
        .context("chrt (util-linux)")?;
    if !status.success() {
        bail!("chrt could not put thread {tid} under SCHED_IDLE: {status}");
    }
    Ok(())
}

/// Puts the calling thread under `SCHED_IDLE`; threads it starts inherit the policy.
pub fn this_thread() -> anyhow::Result<()> {
    thread(this_thread_id()?)
}

/// The calling thread's id: "/proc/thread-self" links to "<pid>/task/<tid>".
fn this_thread_id() -> anyhow::Result<i32> {
    let link = std::fs::read_link("/proc/thread-self")?;
    link.file_name()
        .and_then(|t| t.to_str())
        .and_then(|t| t.parse().ok())
        .with_context(|| format!("a thread id in {}", link.display()))
}

/// Puts every thread of process `pid` under `SCHED_IDLE`; threads it starts later inherit the
/// policy. Goes over the threads again until none is left out, since one may start while the
/// others are being changed.
pub fn process(pid: u32) -> anyhow::Result<()> {
    for _ in 0..10 {
        let left_out = threads_not_idle(pid)?;
        if left_out.is_empty() {
            return Ok(());
        }
        for tid in left_out {
            thread(tid)?;
        }
    }
    check_process(pid)
}

/// Fails unless every thread of process `pid` runs under `SCHED_IDLE`.
pub fn check_process(pid: u32) -> anyhow::Result<()> {
    match threads_not_idle(pid)?.first() {
        Some(tid) => bail!("thread {tid} of process {pid} is not under SCHED_IDLE"),
        None => Ok(()),
    }
}

/// The threads of process `pid` under another policy than `SCHED_IDLE`.
fn threads_not_idle(pid: u32) -> anyhow::Result<Vec<i32>> {
    let mut left_out = Vec::new();
    for task in procfs::process::Process::new(i32::try_from(pid)?)?.tasks()? {
        let task = task?;
        if task.stat()?.policy != Some(SCHED_IDLE) {
            left_out.push(task.tid);
        }
    }
    Ok(left_out)
}

#[cfg(test)]
mod tests {
    /// A process's threads put under the policy are under it as the check reads them, and the
    /// check refuses a process they are not; the calling thread can be put under it alone.
    #[test]
    fn a_thread_put_under_sched_idle_reads_back_so() {
        let mut sleeper = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = sleeper.id();
        assert!(super::check_process(pid).is_err());
        super::process(pid).unwrap();
        super::check_process(pid).unwrap();
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();

        let (before, after) = std::thread::spawn(|| {
            let me = super::this_thread_id().unwrap();
            let not_idle = || super::threads_not_idle(std::process::id()).unwrap();
            let before = not_idle().contains(&me);
            super::this_thread().unwrap();
            (before, not_idle().contains(&me))
        })
        .join()
        .unwrap();
        assert!(
            before && !after,
            "the calling thread was not put under SCHED_IDLE"
        );
        // The test's own thread, which never asked, is not.
        let me = super::this_thread_id().unwrap();
        assert!(
            super::threads_not_idle(std::process::id())
                .unwrap()
                .contains(&me)
        );
    }
}
