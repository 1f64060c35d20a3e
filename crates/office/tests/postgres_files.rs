//! Files in PostgreSQL, as two office processes share them: an upload begun on one process goes
//! on at the other, two pieces of one upload never interleave, what arrived before an
//! interruption is kept, wrong bytes are refused and forgotten, and a blob reads back whole.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use liaison_domain::FileKind;
use liaison_office::FileStore;
use liaison_office::files::FileError;
use liaison_office::store::postgres::files::{CHUNK_BYTES, PgFiles, files_pool};
use liaison_office::store::postgres::{connect, migrate};
use liaison_pgcluster::Cluster;
use sha2::{Digest, Sha256};

/// Bytes that read as a PNG image.
fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend((0..len - v.len()).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)));
    v
}

fn frames(
    bytes: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, String>> + Unpin {
    let frames: Vec<Result<Bytes, String>> = bytes
        .chunks(size)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(frames)
}

async fn two_offices(cluster: &Cluster, name: &str) -> (PgFiles, PgFiles) {
    let url = cluster.create_database(name).unwrap();
    let a = connect(&url, Some(Duration::from_secs(20))).await.unwrap();
    migrate(&a).await.unwrap();
    let b = connect(&url, Some(Duration::from_secs(20))).await.unwrap();
    (PgFiles::new(a), PgFiles::new(b))
}

#[tokio::test]
async fn an_upload_begun_on_one_process_goes_on_at_the_other_and_reads_back_whole() {
    let cluster = Cluster::start().unwrap();
    let (a, b) = two_offices(&cluster, "files").await;
    // Larger than a chunk, so the blob is several rows.
    let bytes = png(CHUNK_BYTES * 2 + 12_345);
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    let half = bytes.len() / 2;

    assert_eq!(a.offset(7, &sha).await.unwrap(), 0);
    let at = a
        .append(7, &sha, size, 0, frames(&bytes[..half], 64 * 1024))
        .await
        .unwrap();
    assert_eq!(at, half as u64);
    assert_eq!(
        b.offset(7, &sha).await.unwrap(),
        half as u64,
        "the other process sees it"
    );
    match a.append(7, &sha, size, 0, frames(&bytes[..10], 10)).await {
        Err(FileError::OffsetMismatch { current, asked: 0 }) => assert_eq!(current, half as u64),
        other => panic!("a piece at the wrong offset was taken: {other:?}"),
    }
    // The rest arrives at the other process, interrupted once, then resumed from what was kept.
    let cut = half + 100_000;
    let mut interrupted: Vec<Result<Bytes, String>> = bytes[half..cut]
        .chunks(50_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    interrupted.push(Err("connection reset".into()));
    match b
        .append(
            7,
            &sha,
            size,
            half as u64,
            futures_util::stream::iter(interrupted),
        )
        .await
    {
        Err(FileError::Interrupted(_)) => {}
        other => panic!("an interruption was not reported: {other:?}"),
    }
    assert_eq!(
        a.offset(7, &sha).await.unwrap(),
        cut as u64,
        "what arrived is kept"
    );
    // A frame past the announced size is refused; what came before it is kept.
    match b
        .append(
            7,
            &sha,
            size,
            cut as u64,
            frames(
                &[bytes[cut..].to_vec(), vec![0u8; 10]].concat(),
                bytes.len(),
            ),
        )
        .await
    {
        Err(FileError::PastEnd) => {}
        other => panic!("bytes past the end were taken: {other:?}"),
    }
    assert_eq!(b.offset(7, &sha).await.unwrap(), cut as u64);
    let at = b
        .append(7, &sha, size, cut as u64, frames(&bytes[cut..], 300_000))
        .await
        .unwrap();
    assert_eq!(at, size);

    assert_eq!(a.finish(7, &sha).await.unwrap(), FileKind::Png);
    assert_eq!(a.offset(7, &sha).await.unwrap(), 0, "the pieces are gone");
    assert_eq!(b.blob_size(&sha).await.unwrap(), Some(size));
    let mut read = Vec::new();
    let mut stream = Box::pin(b.blob(&sha));
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        read.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    assert!(chunks >= 3, "{chunks}");
    assert_eq!(read, bytes);

    // Another seat's copy of the same bytes is the same blob.
    b.append(8, &sha, size, 0, frames(&bytes, CHUNK_BYTES))
        .await
        .unwrap();
    assert_eq!(b.finish(8, &sha).await.unwrap(), FileKind::Png);
    assert_eq!(a.blob_size(&sha).await.unwrap(), Some(size));
}

#[tokio::test]
async fn two_pieces_of_one_upload_never_interleave_and_wrong_bytes_are_forgotten() {
    let cluster = Cluster::start().unwrap();
    let (a, b) = two_offices(&cluster, "busy").await;
    let bytes = png(400_000);
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as u64;

    // A piece still arriving at one process: the other is told the upload is busy.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(4);
    let slow = tokio::spawn({
        let a = a.clone();
        let sha = sha.clone();
        async move { a.append(9, &sha, size, 0, tokio_stream_of(rx)).await }
    });
    tx.send(Ok(Bytes::copy_from_slice(&bytes[..1000])))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    match b.append(9, &sha, size, 0, frames(&bytes, 1000)).await {
        Err(FileError::Busy) => {}
        other => panic!("two pieces interleaved: {other:?}"),
    }
    drop(tx);
    assert_eq!(slow.await.unwrap().unwrap(), 1000);

    // Bytes that are not the announced file are refused and forgotten, so it can start again.
    let mut wrong = bytes.clone();
    wrong[200_000] ^= 0xff;
    b.append(9, &sha, size, 1000, frames(&wrong[1000..], 100_000))
        .await
        .unwrap();
    match a.finish(9, &sha).await {
        Err(FileError::DigestMismatch) => {}
        other => panic!("wrong bytes were kept: {other:?}"),
    }
    assert_eq!(a.offset(9, &sha).await.unwrap(), 0);
    assert_eq!(a.blob_size(&sha).await.unwrap(), None);

    // A file of a type an item may not carry is refused too.
    let text = b"just some text, not an image".to_vec();
    let text_sha = hex::encode(Sha256::digest(&text));
    a.append(9, &text_sha, text.len() as u64, 0, frames(&text, 8))
        .await
        .unwrap();
    match b.finish(9, &text_sha).await {
        Err(FileError::Unsupported) => {}
        other => panic!("an unsupported file was kept: {other:?}"),
    }
    assert!(
        !a.remove_partial(9, &text_sha).await.unwrap(),
        "nothing was left of it"
    );
}

#[tokio::test]
async fn the_offices_files_in_the_database_are_read_deleted_and_swept_at_any_process() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.create_database("store").unwrap();
    let setup = connect(&url, Some(Duration::from_secs(20))).await.unwrap();
    migrate(&setup).await.unwrap();
    // Two office processes, each with its data folder and its own pool for the files.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = FileStore::in_database(files_pool(&url).unwrap(), &dir_a.path().join("files")).unwrap();
    let b = FileStore::in_database(files_pool(&url).unwrap(), &dir_b.path().join("files")).unwrap();
    assert_eq!(a.root(), dir_a.path().join("files"));
    assert!(a.root().is_dir(), "the free space is read there");

    // Uploaded at one, in two pieces, finished at the other, read whole at the first.
    let bytes = png(CHUNK_BYTES + 5_000);
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as u64;
    let half = bytes.len() / 2;
    a.append(7, &sha, size, 0, frames(&bytes[..half], 64 * 1024))
        .await
        .unwrap();
    assert_eq!(b.offset(7, &sha).await.unwrap(), half as u64);
    b.append(
        7,
        &sha,
        size,
        half as u64,
        frames(&bytes[half..], 64 * 1024),
    )
    .await
    .unwrap();
    assert_eq!(b.finish(7, &sha).await.unwrap(), FileKind::Png);
    assert_eq!(a.blob_size(&sha).await.unwrap(), Some(size));
    let mut read = Vec::new();
    let mut stream = a.read(&sha).await.unwrap();
    while let Some(chunk) = stream.next().await {
        read.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(read, bytes);
    assert_eq!(
        std::fs::read_dir(a.root()).unwrap().count() + std::fs::read_dir(b.root()).unwrap().count(),
        0,
        "nothing of it is in a data folder"
    );

    // Deleted at one, gone at both.
    assert!(b.remove_blob(&sha).await.unwrap());
    assert!(!a.remove_blob(&sha).await.unwrap(), "it was deleted once");
    assert_eq!(a.blob_size(&sha).await.unwrap(), None);
    match a.read(&sha).await {
        Err(FileError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("a missing file was not told missing: {e}"),
        Ok(_) => panic!("a deleted file was read"),
    }

    // The sweep at start: the pieces of uploads the store does not hold as unfinished go.
    let client = setup.get().await.unwrap();
    let department: i64 = client
        .query_one(
            "INSERT INTO departments (name) VALUES ('局') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let seat: i64 = client
        .query_one(
            "INSERT INTO seats (login, role, department_id, holder_name, password_hash)
             VALUES ('officer', 'officer', $1, '某人', 'x') RETURNING id",
            &[&department],
        )
        .await
        .unwrap()
        .get(0);
    let (held, forgotten, completed, arriving) = (png(900), png(901), png(902), png(903));
    let digest = |b: &[u8]| hex::encode(Sha256::digest(b));
    for (bytes, mime) in [(&held, None), (&completed, Some("image/png"))] {
        client
            .execute(
                "INSERT INTO uploads (seat_id, sha256, size, name, mime, started_at)
                 VALUES ($1, $2, $3, 'f.png', $4, now())",
                &[&seat, &digest(bytes), &(bytes.len() as i64), &mime],
            )
            .await
            .unwrap();
    }
    for bytes in [&held, &forgotten, &completed, &arriving] {
        a.append(
            seat,
            &digest(bytes),
            bytes.len() as u64,
            0,
            frames(&bytes[..500], 100),
        )
        .await
        .unwrap();
    }
    // A piece of the forgotten upload `arriving` is arriving: it is left alone for now.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(4);
    let slow = tokio::spawn({
        let (b, sha, size) = (b.clone(), digest(&arriving), arriving.len() as u64);
        async move { b.append(seat, &sha, size, 500, tokio_stream_of(rx)).await }
    });
    tx.send(Ok(Bytes::copy_from_slice(&arriving[500..600])))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        a.sweep_partials(Duration::from_secs(7 * 24 * 3600))
            .await
            .unwrap(),
        2,
        "the forgotten and the completed upload's pieces"
    );
    assert_eq!(b.offset(seat, &digest(&held)).await.unwrap(), 500);
    assert_eq!(b.offset(seat, &digest(&forgotten)).await.unwrap(), 0);
    assert_eq!(b.offset(seat, &digest(&completed)).await.unwrap(), 0);
    drop(tx);
    assert_eq!(slow.await.unwrap().unwrap(), 600);
    assert_eq!(a.sweep_partials(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(b.offset(seat, &digest(&arriving)).await.unwrap(), 0);
    assert_eq!(b.offset(seat, &digest(&held)).await.unwrap(), 500);
}

/// A receiver as a stream of frames.
fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
) -> impl futures_util::Stream<Item = Result<Bytes, String>> + Unpin {
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}
