//! A TCP proxy on loopback that misbehaves on purpose, between a desk and an office.
//!
//! Each accepted connection gets one [`Fault`]: from a script (tests that need one exact
//! failure) or drawn from a seeded random generator (the chaos runs; a failing seed replays).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What happens to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways untouched.
    Pass,
    /// Wait before forwarding anything.
    Delay(Duration),
    /// Wait, then forward at most `cut_after` bytes of answers.
    Slow { delay: Duration, cut_after: usize },
    /// Accept, then close at once without forwarding.
    Refuse,
    /// Forward at most this many bytes of the request, then close both sides.
    CutRequest(usize),
    /// Forward the whole request but at most this many bytes of the answer, then close. With 0
    /// the office has done the work (it began to answer) and the desk never hears of it.
    CutResponse(usize),
}

enum Plan {
    Scripted(VecDeque<Fault>),
    Random(Box<StdRng>),
}

impl Plan {
    fn next(&mut self) -> Fault {
        match self {
            Plan::Scripted(faults) => faults.pop_front().unwrap_or(Fault::Pass),
            // No connection lives for ever here: a desk keeps its connection alive, so a
            // healthy one is also cut, after a random number of answer bytes, like a proxy that
            // resets idle or long connections.
            Plan::Random(rng) => match rng.random_range(0..10) {
                0 => Fault::Refuse,
                // Cut in the headers, or somewhere inside a large upload.
                1 => Fault::CutRequest(if rng.random_bool(0.5) {
                    rng.random_range(0..2048)
                } else {
                    rng.random_range(0..6 << 20)
                }),
                2 => Fault::CutResponse(rng.random_range(0..512)),
                3 => Fault::Slow {
                    delay: Duration::from_millis(rng.random_range(10..400)),
                    cut_after: rng.random_range(200..3_000),
                },
                _ => Fault::CutResponse(rng.random_range(200..3_000)),
            },
        }
    }
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    /// What each connection got, in order.
    log: Arc<Mutex<Vec<Fault>>>,
    /// Request bytes passed on to the office, all connections together.
    up: Arc<AtomicU64>,
    /// Closes every open connection, so a new schedule applies to what comes next.
    reset: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Faults in this order, one per connection; then every connection passes.
    pub async fn scripted(upstream: SocketAddr, faults: &[Fault]) -> FaultProxy {
        Self::start(upstream, Plan::Scripted(faults.iter().copied().collect())).await
    }

    async fn start(upstream: SocketAddr, plan: Plan) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let plan = Arc::new(Mutex::new(plan));
        let log = Arc::new(Mutex::new(Vec::new()));
        let reset = Arc::new(tokio::sync::Notify::new());
        let up = Arc::new(AtomicU64::new(0));
        let (p, l, r, u) = (plan.clone(), log.clone(), reset.clone(), up.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fault = p.lock().unwrap_or_else(|e| e.into_inner()).next();
                l.lock().unwrap_or_else(|e| e.into_inner()).push(fault);
                let (r, u) = (r.clone(), u.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        _ = serve(client, upstream, fault, &u) => {}
                        _ = r.notified() => {}
                    }
                });
            }
        });
        FaultProxy {
            addr,
            plan,
            log,
            up,
            reset,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The faults applied so far, one per connection.
    pub fn applied(&self) -> Vec<Fault> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Request bytes passed on to the office so far.
    pub fn bytes_up(&self) -> u64 {
        self.up.load(Ordering::SeqCst)
    }

    /// From now on every connection passes.
    pub fn heal(&self) {
        self.script(&[]);
    }

    /// From now on a fault drawn for every connection from a generator seeded with `seed`.
    pub fn randomize(&self, seed: u64) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) =
            Plan::Random(Box::new(StdRng::seed_from_u64(seed)));
        self.reset.notify_waiters();
    }

    /// From now on: these faults, one per new connection, then every connection passes.
    pub fn script(&self, faults: &[Fault]) {
        *self.plan.lock().unwrap_or_else(|e| e.into_inner()) =
            Plan::Scripted(faults.iter().copied().collect());
        self.reset.notify_waiters();
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, fault: Fault, up: &AtomicU64) {
    if fault == Fault::Refuse {
        return; // dropping the socket closes it
    }
    if let Fault::Delay(delay) | Fault::Slow { delay, .. } = fault {
        tokio::time::sleep(delay).await;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (request_limit, response_limit) = match fault {
        Fault::CutRequest(n) => (Some(n), None),
        Fault::CutResponse(n) | Fault::Slow { cut_after: n, .. } => (None, Some(n)),
        _ => (None, None),
    };
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let down = copy_at_most(&mut sr, &mut cw, response_limit, None);
    let up = copy_at_most(&mut cr, &mut sw, request_limit, Some(up));
    tokio::pin!(up, down);
    let (mut up_open, mut down_open) = (true, true);
    // A cut or an error ends the connection at once; an orderly end of one direction waits for
    // the other (a half-closed request still gets its answer).
    while up_open || down_open {
        tokio::select! {
            ended = &mut up, if up_open => {
                if ended != Ended::Eof { return; }
                up_open = false;
            }
            ended = &mut down, if down_open => {
                if ended != Ended::Eof { return; }
                down_open = false;
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Eof,
    Cut,
    Failed,
}

/// Copies until EOF (then shuts the other side's writing down), an error, or `limit` bytes.
async fn copy_at_most<R, W>(
    from: &mut R,
    to: &mut W,
    limit: Option<usize>,
    counter: Option<&AtomicU64>,
) -> Ended
where
    R: AsyncReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    let mut sent = 0usize;
    loop {
        let Ok(n) = from.read(&mut buf).await else {
            return Ended::Failed;
        };
        if n == 0 {
            let _ = to.shutdown().await;
            return Ended::Eof;
        }
        let take = limit.map_or(n, |l| n.min(l.saturating_sub(sent)));
        if take > 0 && to.write_all(&buf[..take]).await.is_err() {
            return Ended::Failed;
        }
        sent += take;
        if let Some(c) = counter {
            c.fetch_add(take as u64, Ordering::SeqCst);
        }
        if limit.is_some_and(|l| sent >= l) {
            return Ended::Cut;
        }
    }
}
