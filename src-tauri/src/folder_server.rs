//! A read-only HTTP server on 127.0.0.1 for one folder, so that a copy
//! uploaded to a folder is checked exactly as a client reads it (over
//! HTTP, with the client's own code). It lives as long as the value:
//! dropping it stops it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct FolderServer {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
}

impl FolderServer {
    pub fn start(root: PathBuf) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = conn {
                    let root = root.clone();
                    std::thread::spawn(move || {
                        let _ = serve(&root, stream);
                    });
                }
            }
        });
        Ok(FolderServer { addr, stop })
    }

    /// The folder's address (ends with `/`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for FolderServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// The file a request path names inside `root`; none for anything that
/// would leave it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let path = url_path.split(['?', '#']).next().unwrap_or("");
    let mut out = root.to_path_buf();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let decoded = percent_decode(part)?;
        let mut comps = Path::new(&decoded).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn serve(root: &Path, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Headers are read and ignored: every answer is the whole file.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("/");
    let mut out = stream;
    let file = resolve(root, path).filter(|p| p.is_file());
    match (method, file) {
        ("GET" | "HEAD", Some(file)) => {
            let body = std::fs::read(&file)?;
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method == "GET" {
                out.write_all(&body)?;
            }
        }
        ("GET" | "HEAD", None) => out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
        _ => out.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let root = Path::new("/srv/www");
        assert_eq!(
            resolve(root, "/metadata/1.root.json"),
            Some(PathBuf::from("/srv/www/metadata/1.root.json"))
        );
        assert_eq!(
            resolve(root, "/targets/a%20b.tar.gz?x=1"),
            Some(PathBuf::from("/srv/www/targets/a b.tar.gz"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/targets/%2e%2e/x"), None);
        assert_eq!(resolve(root, "/a%2Fb"), None);
    }
}
