//! Shared set-up of the library tests: a tiny HTTP file server on
//! 127.0.0.1 (the client speaks HTTP only) and a published repository.

#![allow(dead_code)] // each test file uses a part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Serves the files below a folder over HTTP/1.1 (one request per
/// connection) and records the paths asked for; stops when dropped.
pub struct Server {
    /// Base URL, e.g. `http://127.0.0.1:34567`.
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl Server {
    /// Serves `root` on a free port.
    pub fn start(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, log, halt) = (root.to_path_buf(), requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (root, log) = (root.clone(), log.clone());
                std::thread::spawn(move || serve(conn, &root, &log));
            }
        });
        Server {
            url: format!("http://{addr}"),
            requests,
            stop,
            addr,
        }
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(mut conn: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    // Headers are read and ignored: the tests need neither ranges nor
    // conditional requests.
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    log.lock().expect("request log").push(path.clone());
    let rel = path.trim_start_matches('/');
    let file = (!rel.split('/').any(|c| c == ".."))
        .then(|| root.join(rel))
        .filter(|p| p.is_file());
    let (status, body) = match file.and_then(|p| std::fs::read(p).ok()) {
        Some(b) => ("200 OK", b),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(&body);
}

/// `n` bytes that do not compress (a seeded LCG, the same on every run): a
/// patch only pays off when the archive is not tiny (clients take it when
/// at most 0.8 × the archive).
pub fn noise(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect()
}

/// Writes `files` (relative path, content) below `dir`.
pub fn write_bundle(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, content) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
}

/// The files below `dir` with their contents, to compare installs.
pub fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// Unpacks a release archive (.tar.gz) into `dest` the way a first install
/// does; returns the uncompressed tar, what a client caches to patch from.
pub fn unpack_release(archive: &Path, dest: &Path) -> Vec<u8> {
    let mut tar = Vec::new();
    let gz = std::fs::File::open(archive).expect("open archive");
    flate2::read::MultiGzDecoder::new(gz)
        .read_to_end(&mut tar)
        .expect("gunzip");
    std::fs::create_dir_all(dest).expect("mkdir");
    tar::Archive::new(tar.as_slice())
        .unpack(dest)
        .expect("unpack");
    tar
}

/// An installed app's folders: install, trusted metadata, cache.
pub struct Client {
    pub install: PathBuf,
    pub meta: PathBuf,
    pub cache: PathBuf,
}

impl Client {
    /// Installs release `version` of app `demo` from `repo` below `base`,
    /// trusting the repository's first root, with the release's tar cached
    /// (what patching needs) when `cache_tar`.
    pub fn install(base: &Path, repo: &Path, version: &str, cache_tar: bool) -> Client {
        let c = Client {
            install: base.join("install"),
            meta: base.join("meta"),
            cache: base.join("cache"),
        };
        for d in [&c.install, &c.meta, &c.cache] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::copy(repo.join("metadata/1.root.json"), c.meta.join("root.json"))
            .expect("trusted root");
        let tar = unpack_release(
            &repo.join(format!("targets/demo-{version}.tar.gz")),
            &c.install,
        );
        if cache_tar {
            std::fs::write(c.cache.join(format!("demo-{version}.tar")), tar).expect("cache tar");
        }
        c
    }

    /// An updater of this install at `version`, from `server`.
    pub fn updater(&self, version: &str, server: &Server) -> tufa::client::UpdaterBuilder {
        tufa::client::Updater::builder("demo", version)
            .install_dir(&self.install)
            .metadata_dir(&self.meta)
            .cache_dir(&self.cache)
            .metadata_url(&format!("{}/metadata", server.url))
            .targets_url(&format!("{}/targets", server.url))
    }
}

/// A project `demo` in `dir/proj` with releases 1.0 and 1.1 (1.1 changes
/// a file, adds one and drops one, and carries release notes); returns
/// the publisher and the bundle of 1.1.
pub fn publish_two(dir: &Path) -> (tufa::publisher::Publisher, PathBuf) {
    use tufa::progress::NoProgress;
    use tufa::publisher::{AddRequest, InitOptions, Publisher};
    let (publisher, _) =
        Publisher::init(&dir.join("proj"), &InitOptions::new("demo")).expect("init");
    let b10 = dir.join("b10");
    let app = noise(200_000, 1);
    write_bundle(
        &b10,
        &[
            ("app.bin", &app),
            ("data/old.txt", b"only in 1.0"),
            ("VERSION", b"1.0"),
        ],
    );
    let b11 = dir.join("b11");
    let mut changed = app.clone();
    changed[100..200].fill(9);
    write_bundle(
        &b11,
        &[
            ("app.bin", &changed),
            ("data/new.txt", b"new in 1.1"),
            ("VERSION", b"1.1"),
        ],
    );
    publisher
        .add(&AddRequest::new(&b10, "1.0"), &mut NoProgress)
        .expect("add 1.0");
    let mut req = AddRequest::new(&b11, "1.1");
    req.user = Some(serde_json::json!({"notes": "faster"}));
    let (plan, outcome) = publisher.add(&req, &mut NoProgress).expect("add 1.1");
    assert!(outcome.published, "{outcome:?}");
    assert_eq!(
        plan.patch.as_ref().map(|p| p.name.as_str()),
        Some("demo-1.1.patch")
    );
    (publisher, b11)
}
