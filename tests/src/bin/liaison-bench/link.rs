//! A network link of a given bandwidth between the desk and an office on this machine: a TCP
//! relay on loopback that lets each direction carry at most so many bits a second, shared by
//! all its connections, as one line to the office would. Loopback alone carries a desk's upload
//! at the speed of memory, which no office link has.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

/// How far behind its schedule a direction may fall and catch up at once: the timer wakes in
/// whole milliseconds, and time lost to a late wake-up is made up rather than given away.
const CATCH_UP: Duration = Duration::from_millis(5);

/// Bytes read and passed on at a time.
const PIECE: usize = 64 * 1024;

pub struct Link {
    /// Where the desk connects instead of the office.
    pub url: String,
    /// Ends the relay's thread when dropped.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Link {
    /// A link to the office at `office_url` (`http://host:port`) carrying `bits_per_second` in
    /// each direction. The relay runs on a thread of its own that gets only the CPU time
    /// nothing else wants (`SCHED_IDLE`): it stands in for the network, whose copying is no work
    /// of the desk's machine.
    pub async fn start(office_url: &str, bits_per_second: f64) -> anyhow::Result<Link> {
        let office = office_url
            .strip_prefix("http://")
            .context("the office's address is http://host:port")?
            .trim_end_matches('/')
            .to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready, started) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("bench-link".into())
            .spawn(move || {
                let runtime = crate::spare_cpu::this_thread().and_then(|()| {
                    Ok(tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?)
                });
                let runtime = match runtime {
                    Ok(runtime) => {
                        let _ = ready.send(Ok(()));
                        runtime
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = stopped => {}
                        () = relay(listener, office, bits_per_second / 8.0) => {}
                    }
                });
            })?;
        started.await.context("the link's thread")??;
        Ok(Link { url, _stop: stop })
    }
}

/// Accepts the desk's connections and carries each to the office and back.
async fn relay(listener: TcpListener, office: String, bytes_per_second: f64) {
    let (up, down) = (Schedule::new(), Schedule::new());
    while let Ok((desk, _)) = listener.accept().await {
        let (office, up, down) = (office.clone(), up.clone(), down.clone());
        tokio::spawn(async move {
            let Ok(office) = TcpStream::connect(&office).await else {
                return;
            };
            let _ = (desk.set_nodelay(true), office.set_nodelay(true));
            let (desk_in, desk_out) = desk.into_split();
            let (office_in, office_out) = office.into_split();
            tokio::join!(
                carry(desk_in, office_out, &up, bytes_per_second),
                carry(office_in, desk_out, &down, bytes_per_second),
            );
        });
    }
}

/// When one direction of the link is next free: every piece sent moves it on by the piece's
/// time on the wire.
#[derive(Clone)]
struct Schedule(Arc<Mutex<Instant>>);

impl Schedule {
    fn new() -> Self {
        Schedule(Arc::new(Mutex::new(Instant::now())))
    }

    /// When a piece of `len` bytes, ready now, has gone through.
    fn book(&self, len: usize, bytes_per_second: f64) -> Instant {
        let mut free = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let behind = now.checked_sub(CATCH_UP).unwrap_or(now);
        if *free < behind {
            *free = behind;
        }
        *free += Duration::from_secs_f64(len as f64 / bytes_per_second);
        *free
    }
}

/// Passes bytes from `from` to `to`, each piece once the link has carried it, until either
/// side closes.
async fn carry(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    schedule: &Schedule,
    bytes_per_second: f64,
) {
    let mut piece = vec![0u8; PIECE];
    loop {
        let len = match from.read(&mut piece).await {
            Ok(0) | Err(_) => break,
            Ok(len) => len,
        };
        tokio::time::sleep_until(schedule.book(len, bytes_per_second)).await;
        if to.write_all(&piece[..len]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 512 KB over a 1 MB/s link take half a second at least, and arrive whole, while the
    /// answer comes back through the other direction.
    #[tokio::test]
    async fn a_link_carries_everything_and_no_faster_than_its_bandwidth() {
        let office = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let office_url = format!("http://{}", office.local_addr().unwrap());
        let received = tokio::spawn(async move {
            let (mut s, _) = office.accept().await.unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).await.unwrap();
            s.write_all(b"ok").await.unwrap();
            got
        });
        let link = Link::start(&office_url, 8e6).await.unwrap();
        let sent: Vec<u8> = (0..512 * 1024).map(|i| (i % 251) as u8).collect();
        let mut desk = TcpStream::connect(link.url.trim_start_matches("http://"))
            .await
            .unwrap();
        let started = Instant::now();
        desk.write_all(&sent).await.unwrap();
        desk.shutdown().await.unwrap();
        let mut answer = Vec::new();
        desk.read_to_end(&mut answer).await.unwrap();
        let took = started.elapsed();
        assert_eq!(answer, b"ok");
        assert!(
            received.await.unwrap() == sent,
            "the bytes changed on the way"
        );
        assert!(
            took >= Duration::from_millis(500) - CATCH_UP,
            "512 KB at 1 MB/s arrived in {took:?}"
        );
    }
}
