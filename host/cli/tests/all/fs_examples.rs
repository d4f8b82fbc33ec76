//! The bundled bucket examples end to end: real files in, real objects out, through the real
//! `fnhost up` — s3-logger, thumbnail (and its denied-access hint), word-filter and a
//! scheduled cleanup.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::up::{Server, function};

fn wait_file(path: &Path, server: &Server, within: Duration) -> Vec<u8> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(bytes) = std::fs::read(path)
            && !bytes.is_empty()
        {
            return bytes;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared\nstdout:\n{}\nstderr:\n{}",
            path.display(),
            server.stdout(),
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A `width` x `height` RGB PNG with a gradient and some noise (compresses, but not to nothing).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    let mut seed = 12345u32;
    for y in 0..height {
        for x in 0..width {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = (seed >> 24) as u8 & 0x1f;
            data.extend_from_slice(&[
                (x * 255 / width) as u8 ^ noise,
                (y * 255 / height) as u8,
                ((x + y) % 256) as u8,
            ]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&data)
        .unwrap();
    out
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).expect("PNG pixels decode");
    (info.width, info.height)
}

const PHOTO_BUCKETS: &str = "[bucket.photos]\npath = \"photos\"\n\n[bucket.thumbnails]\npath = \"thumbnails\"\n\n[events]\nretry_delay_ms = 50\n\n";

fn thumbnail(grants: &str) -> String {
    function(
        "thumbnail",
        "thumbnail",
        &format!(
            "memory_mb = 256\n{grants}\n[[function.thumbnail.s3]]\nbucket = \"photos\"\nevents = [\"s3:ObjectCreated:*\"]\nsuffix = \".png\"\n"
        ),
    )
}

#[test]
fn thumbnail_turns_a_png_into_a_smaller_png() {
    let server = Server::start_with_dirs(
        &format!(
            "{PHOTO_BUCKETS}{}",
            thumbnail("objects = { read = [\"photos\"], write = [\"thumbnails\"] }")
        ),
        &["photos/2026"],
        &[],
    );
    let original = png(640, 480);
    let dir = server.dir.path();
    std::fs::write(dir.join("photos/2026/red flower.png"), &original).unwrap();
    let thumb = wait_file(
        &dir.join("thumbnails/2026/red flower.png"),
        &server,
        Duration::from_secs(30),
    );
    assert_eq!(png_size(&thumb), (128, 96), "fits 128x128, aspect kept");
    assert!(
        thumb.len() < original.len(),
        "{} >= {}",
        thumb.len(),
        original.len()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .stdout()
        .contains("Resized 2026/red flower.png: 640x480 -> 128x96")
    {
        assert!(Instant::now() < deadline, "{}", server.stdout());
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn thumbnail_without_a_write_grant_gets_the_hint() {
    let server = Server::start(
        &format!(
            "{PHOTO_BUCKETS}{}",
            thumbnail("objects = { read = [\"photos\"] }\nasync = { retries = 0 }")
        ),
        &[],
    );
    std::fs::write(server.dir.path().join("photos/cat.png"), png(64, 64)).unwrap();
    assert!(
        server.await_stderr("dead letter #", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );
    let stderr = server.stderr();
    assert!(
        stderr.contains(
            "function `thumbnail` has no write access to bucket `thumbnails`: add \"thumbnails\" to `objects = { write = [...] }` in [function.thumbnail]"
        ),
        "{stderr}"
    );
    assert!(!server.dir.path().join("thumbnails/cat.png").exists());
}

#[test]
fn s3_logger_logs_the_tutorial_line_in_korean() {
    let server = Server::start(
        &format!(
            "[bucket.uploads]\npath = \"uploads\"\n\n{}",
            function(
                "s3-logger",
                "s3-logger",
                "[[function.s3-logger.s3]]\nbucket = \"uploads\"\n"
            )
        ),
        &[],
    );
    std::fs::write(server.dir.path().join("uploads/새 파일.txt"), "안녕").unwrap();
    let line = "새로운 파일이 감지되었습니다! 버킷: uploads, 파일명: 새 파일.txt";
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.stdout().contains(line) {
        assert!(Instant::now() < deadline, "{}", server.stdout());
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn word_filter_writes_a_report() {
    let server = Server::start(
        &format!(
            "[bucket.documents]\npath = \"documents\"\n\n[bucket.reports]\npath = \"reports\"\n\n{}",
            function(
                "word-filter",
                "word-filter",
                "objects = { read = [\"documents\"], write = [\"reports\"] }\n\
                 [[function.word-filter.s3]]\nbucket = \"documents\"\nsuffix = \".txt\"\n"
            )
        ),
        &[],
    );
    let dir = server.dir.path();
    std::fs::write(
        dir.join("documents/memo.txt"),
        "Quarterly numbers attached.\nThis offer is a SCAM, pure spam.\n",
    )
    .unwrap();
    std::fs::write(dir.join("documents/clean.txt"), "Nothing to see here.\n").unwrap();
    let report: Value = serde_json::from_slice(&wait_file(
        &dir.join("reports/memo.txt.report.json"),
        &server,
        Duration::from_secs(20),
    ))
    .unwrap();
    assert_eq!(report["flagged"], true);
    assert_eq!(report["source"]["bucket"], "documents");
    assert_eq!(report["source"]["key"], "memo.txt");
    let words: Vec<(&str, u64)> = report["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["word"].as_str().unwrap(), m["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(words, [("scam", 2), ("spam", 2)]);
    let clean: Value = serde_json::from_slice(&wait_file(
        &dir.join("reports/clean.txt.report.json"),
        &server,
        Duration::from_secs(20),
    ))
    .unwrap();
    assert_eq!(clean["flagged"], false);
}

#[test]
fn scheduled_cleanup_deletes_old_objects() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(reports.join("old.json"), "{}").unwrap();
    std::fs::write(reports.join("new.json"), "{}").unwrap();
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(reports.join("old.json"))
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!(
            "manifest_version = 1\n\n[bucket.reports]\npath = \"reports\"\n\n{}",
            function(
                "cleanup",
                "cleanup",
                "objects = { read = [\"reports\"], write = [\"reports\"] }\n\
                 env = { CLEANUP_BUCKET = \"reports\", CLEANUP_MAX_AGE_S = \"86400\" }\n\
                 [[function.cleanup.schedule]]\nexpression = \"rate(1 second)\"\n"
            )
        ),
    )
    .unwrap();
    crate::built();
    let server = Server::start_in(dir, &[]);
    let reports = server.dir.path().join("reports");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reports.join("old.json").exists() {
        assert!(
            Instant::now() < deadline,
            "{}\n{}",
            server.stdout(),
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(reports.join("new.json").exists());
    assert!(
        server
            .stdout()
            .contains("schedule `cleanup-1` rate(1 second) -> cleanup")
    );
}
