//! A real HTTP/1.1 file server on 127.0.0.1 for the client tests, with
//! faults on demand: a connection dropped halfway, a body that never ends,
//! files swapped by other content, a body dripped byte by byte, an error
//! status, a redirect. Every request is logged, with its headers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fault to inject for one path.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Close the connection after this many body bytes, the first time only.
    DropOnceAfter(u64),
    /// Send data forever (well: until the client gives up, or 4 GiB).
    Endless,
    /// Serve these bytes instead of the file.
    Replace(Vec<u8>),
    /// Send the headers at once, then one body byte per interval: never
    /// idle long enough for an idle timeout, yet practically never done.
    Drip(Duration),
    /// Answer with this status (e.g. 503) the first time only.
    StatusOnce(u16),
    /// Answer `302 Found` with this `Location` (absolute URL).
    Redirect(String),
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path.
    pub path: String,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
}

impl Received {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    faults: HashMap<String, Fault>,
    log: Vec<String>,
    received: Vec<Received>,
}

/// A running server; stops when dropped.
pub struct Server {
    /// Base URL, e.g. `http://127.0.0.1:34567`.
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Server {
    /// Serves `root` on a free port.
    pub fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            while !sp.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (root, st) = (root.clone(), st.clone());
                        std::thread::spawn(move || {
                            let _ = handle(conn, &root, &st);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, state, stop }
    }

    /// Injects a fault for `path` (e.g. `/targets/demo-1.1.patch`).
    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .expect("lock")
            .faults
            .insert(path.into(), fault);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.state.lock().expect("lock").faults.clear();
    }

    /// Requests so far, as "GET /path" plus " range=…" when asked.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().expect("lock").log.clone()
    }

    /// Requests so far with their headers (to prove what reached which
    /// server).
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("lock").received.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn handle(conn: TcpStream, root: &std::path::Path, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range_from = 0u64;
    let mut range_text = String::new();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range_text = v.trim().to_string();
            range_from = v
                .trim()
                .trim_end_matches('-')
                .split('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        }
    }
    let fault = {
        let mut st = state.lock().expect("lock");
        let entry = if range_text.is_empty() {
            format!("GET {path}")
        } else {
            format!("GET {path} range={range_text}")
        };
        st.log.push(entry);
        st.received.push(Received {
            path: path.clone(),
            headers,
        });
        let f = st.faults.get(&path).cloned();
        if let Some(Fault::DropOnceAfter(_) | Fault::StatusOnce(_)) = f {
            st.faults.remove(&path);
        }
        f
    };
    let mut out = conn;
    if let Some(Fault::StatusOnce(code)) = fault {
        let head =
            format!("HTTP/1.1 {code} Injected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        out.write_all(head.as_bytes())?;
        return out.flush();
    }
    if let Some(Fault::Redirect(ref to)) = fault {
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        out.write_all(head.as_bytes())?;
        return out.flush();
    }
    if let Some(Fault::Endless) = fault {
        out.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\nConnection: close\r\n\r\n",
        )?;
        let chunk = vec![b'A'; 64 * 1024];
        for _ in 0..65_536 {
            out.write_all(&chunk)?;
        }
        return Ok(());
    }
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|c| c == "..") {
        out.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let body = match fault {
        Some(Fault::Replace(ref bytes)) => Some(bytes.clone()),
        _ => std::fs::read(root.join(rel)).ok(),
    };
    let Some(body) = body else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    };
    let total = body.len() as u64;
    let from = range_from.min(total);
    let part = &body[from as usize..];
    let head = if range_text.is_empty() {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n")
    } else {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{total}\r\nConnection: close\r\n\r\n",
            part.len(),
            total.saturating_sub(1)
        )
    };
    out.write_all(head.as_bytes())?;
    if let Some(Fault::DropOnceAfter(n)) = fault {
        let n = (n as usize).min(part.len());
        out.write_all(&part[..n])?;
        out.flush()?;
        // An abrupt end: reset instead of an orderly close.
        let _ = out.shutdown(std::net::Shutdown::Both);
        return Ok(());
    }
    if let Some(Fault::Drip(interval)) = fault {
        // Ends when the client hangs up (the write fails) or, in theory,
        // when the whole file has been dripped.
        for byte in part {
            out.write_all(std::slice::from_ref(byte))?;
            out.flush()?;
            std::thread::sleep(interval);
        }
        return Ok(());
    }
    out.write_all(part)?;
    out.flush()
}
