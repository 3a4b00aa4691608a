//! tough's `Transport` over one shared `reqwest` client.
//!
//! tough's own HTTP transport builds a client per request and gives each
//! request 30 s in total, which breaks large archives on slow links. Here:
//! one connection pool, a connect timeout, an *idle* timeout between bytes
//! instead of a total one, extra headers for authenticated servers, a
//! proxy, and transparent resumption (HTTP Range) when a connection drops
//! mid-download. tough still checks the length and hash of everything.
//!
//! An idle timeout alone lets a server that drips one byte every few
//! seconds hold a client forever (TUF's "slow retrieval" attack), so each
//! metadata file also has a deadline and each target a minimum average
//! speed over a sliding window ([`SlowRetrieval`]). Extra headers are sent
//! to the origin that was asked only: redirects are followed here, not by
//! reqwest, and a hop to another origin (or from https to http) goes
//! without them.

use bytes::Bytes;
use futures_util::StreamExt;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tough::{Transport, TransportError, TransportErrorKind, TransportStream};
use url::Url;

/// Redirects followed for one request before giving up.
const MAX_REDIRECTS: usize = 10;

/// HTTP settings of the updater.
#[derive(Clone)]
pub struct HttpOptions {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Longest silence between two reads before the connection counts as
    /// dropped (and is resumed).
    pub idle_timeout: Duration,
    /// How often one download may be resumed after a dropped connection.
    pub max_resumes: u32,
    /// Proxy URL for all requests (`None`: the system's proxy settings).
    pub proxy: Option<String>,
    /// Extra headers sent with every request (e.g. `Authorization`) to
    /// the origin of the configured URLs; never to another origin a
    /// redirect leads to.
    pub headers: Vec<(String, String)>,
    /// User agent.
    pub user_agent: String,
    /// Longest time one metadata file may take, from the request to its
    /// last byte, resumptions included.
    pub metadata_timeout: Duration,
    /// Minimum average speed of a target download, in bytes per second,
    /// measured over [`speed_window`](Self::speed_window).
    pub min_speed: u64,
    /// Window of the minimum speed: a download must have received
    /// `min_speed × speed_window` bytes in every such window (and the
    /// first window starts with the request).
    pub speed_window: Duration,
    /// The app's own HTTP client, to share its connection pool, TLS
    /// roots, proxy and timeouts. `connect_timeout`, `idle_timeout`,
    /// `proxy` and `user_agent` are then the client's business and
    /// ignored here; the limits above and the extra headers still apply.
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: Tufa
    /// follows redirects itself so that `headers` never reach another
    /// origin, which a client that follows them on its own defeats.
    ///
    /// ```
    /// let client = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()
    ///     .expect("an HTTP client");
    /// let http = tufa::client::HttpOptions {
    ///     client: Some(client),
    ///     ..Default::default()
    /// };
    /// # let _ = http;
    /// ```
    pub client: Option<reqwest::Client>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(30),
            max_resumes: 5,
            proxy: None,
            headers: Vec::new(),
            user_agent: format!("tufa/{}", env!("CARGO_PKG_VERSION")),
            // Metadata files are a few KiB (tough caps them at a few MiB):
            // a minute is ample on any working link, GPRS included.
            metadata_timeout: Duration::from_secs(60),
            // 1 KiB/s is below any link an update is plausible on, yet
            // turns a dripping server's hours into one minute; a minute's
            // window rides out a stalled TCP retransmission or a Wi-Fi
            // hand-over.
            min_speed: 1024,
            speed_window: Duration::from_secs(60),
            client: None,
        }
    }
}

impl std::fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values are often credentials: show their names only.
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("HttpOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_resumes", &self.max_resumes)
            .field("proxy", &self.proxy.as_ref().map(|_| "<set>"))
            .field("headers", &names)
            .field("user_agent", &self.user_agent)
            .field("metadata_timeout", &self.metadata_timeout)
            .field("min_speed", &self.min_speed)
            .field("speed_window", &self.speed_window)
            .field("client", &self.client.as_ref().map(|_| "<the app's>"))
            .finish()
    }
}

/// `text` with the user name and password taken out of every URL in it
/// (`http://user:pw@host/x` → `http://host/x`): URLs reach error
/// messages, reports and logs, and credentials must not. Works on whole
/// messages, so that URLs quoted by tough or reqwest are covered too.
///
/// ```
/// use tufa::client::transport::redact_urls;
/// assert_eq!(
///     redact_urls("fetching 'https://me:s3cret@example.com/m/1.json': refused"),
///     "fetching 'https://example.com/m/1.json': refused"
/// );
/// ```
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends where the path, query or fragment starts, or
        // where the text around the URL resumes.
        let end = tail
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '/' | '?' | '#' | '\'' | '"' | '(' | ')' | '<' | '>' | '`' | ','
                    )
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => out.push_str(&authority[at + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The server did not deliver in time: a file took longer than allowed
/// or a download fell below the minimum speed. Never retried silently.
#[derive(Debug, thiserror::Error)]
pub enum SlowRetrieval {
    /// A metadata file was not complete within the metadata timeout.
    #[error("too slow: not complete within the {} allowed for a metadata file", secs(*.0))]
    MetadataTimeout(Duration),
    /// A target download fell below the minimum average speed.
    #[error("too slow: {received} bytes in the last {}, below the minimum of {min_speed} bytes/s", secs(*.window))]
    BelowMinimumSpeed {
        /// Bytes received in the window.
        received: u64,
        /// The window.
        window: Duration,
        /// The minimum speed, in bytes per second.
        min_speed: u64,
    },
}

fn secs(d: Duration) -> String {
    format!("{} s", (d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// What a URL holds, which decides its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Metadata,
    Target,
}

/// The limit of one download, checked while waiting for every answer and
/// every chunk, across resumptions.
enum Limit {
    /// The whole file by this time.
    Deadline { at: Instant, allowed: Duration },
    /// At least `min_speed × window` bytes in every window since `start`.
    Floor {
        start: Instant,
        min_speed: u64,
        window: Duration,
        /// (time, bytes received before it), oldest first; exact points,
        /// so the count at `now - window` is known to within one tick.
        samples: VecDeque<(Instant, u64)>,
    },
}

impl Limit {
    fn new(kind: Kind, options: &HttpOptions, now: Instant) -> Limit {
        match kind {
            Kind::Metadata => Limit::Deadline {
                at: now + options.metadata_timeout,
                allowed: options.metadata_timeout,
            },
            Kind::Target => Limit::Floor {
                start: now,
                min_speed: options.min_speed,
                window: options.speed_window,
                samples: VecDeque::from([(now, 0)]),
            },
        }
    }

    /// How long to wait at most before checking again.
    fn next_check(&self, now: Instant) -> Instant {
        match self {
            Limit::Deadline { at, .. } => *at,
            Limit::Floor { window, .. } => now + tick(*window),
        }
    }

    /// Notes that `received` bytes had arrived just before `now`.
    fn record(&mut self, now: Instant, received: u64) {
        if let Limit::Floor {
            window, samples, ..
        } = self
        {
            let last = samples.back().map(|(t, _)| *t);
            if last.is_none_or(|t| now.duration_since(t) >= tick(*window)) {
                samples.push_back((now, received));
            }
            // Keep the newest sample at or before `now - window`, drop older.
            while samples.len() > 1
                && samples
                    .get(1)
                    .is_some_and(|(t, _)| now.duration_since(*t) >= *window)
            {
                samples.pop_front();
            }
        }
    }

    fn check(&mut self, now: Instant, received: u64) -> Result<(), SlowRetrieval> {
        match self {
            Limit::Deadline { at, allowed } => {
                if now >= *at {
                    return Err(SlowRetrieval::MetadataTimeout(*allowed));
                }
            }
            Limit::Floor {
                start,
                min_speed,
                window,
                ..
            } => {
                if now.duration_since(*start) < *window {
                    return Ok(());
                }
                let (window, min_speed) = (*window, *min_speed);
                self.record(now, received);
                let Limit::Floor { samples, .. } = self else {
                    return Ok(());
                };
                let before = samples
                    .iter()
                    .rev()
                    .find(|(t, _)| now.duration_since(*t) >= window)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                let got = received.saturating_sub(before);
                let needed = (min_speed as f64 * window.as_secs_f64()) as u64;
                if got < needed {
                    return Err(SlowRetrieval::BelowMinimumSpeed {
                        received: got,
                        window,
                        min_speed,
                    });
                }
            }
        }
        Ok(())
    }

    /// Awaits `fut`, checking the limit at least every tick meanwhile.
    async fn bounded<F: Future>(
        &mut self,
        received: u64,
        fut: F,
    ) -> Result<F::Output, SlowRetrieval> {
        let mut fut = std::pin::pin!(fut);
        loop {
            let now = Instant::now();
            self.check(now, received)?;
            let until = tokio::time::Instant::from_std(self.next_check(now));
            if let Ok(out) = tokio::time::timeout_at(until, &mut fut).await {
                return Ok(out);
            }
        }
    }
}

/// Granularity of the speed floor: fine enough to judge a window, coarse
/// enough to keep few samples and wake up rarely.
fn tick(window: Duration) -> Duration {
    (window / 32).max(Duration::from_millis(10))
}

/// The transport. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    options: Arc<HttpOptions>,
    /// The extra headers, marked sensitive (kept out of reqwest's logs).
    headers: Arc<reqwest::header::HeaderMap>,
    /// Where metadata lives ([`HttpTransport::for_repository`]).
    metadata_base: Option<Url>,
    /// Where targets live.
    targets_base: Option<Url>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("options", &self.options)
            .finish()
    }
}

impl HttpTransport {
    /// Builds the shared client.
    pub fn new(options: HttpOptions) -> Result<Self, String> {
        // reqwest with rustls needs a process-wide crypto provider; an
        // error only means another part of the program installed one.
        let _ = rustls_provider();
        let mut headers = reqwest::header::HeaderMap::new();
        for (k, v) in &options.headers {
            let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("invalid HTTP header name '{k}'"))?;
            let mut value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| format!("invalid value for HTTP header '{k}'"))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if options.metadata_timeout.is_zero() || options.speed_window.is_zero() {
            return Err(
                "the metadata timeout and the speed window must be longer than zero".into(),
            );
        }
        if let Some(client) = &options.client {
            return Ok(HttpTransport {
                client: client.clone(),
                options: Arc::new(options),
                headers: Arc::new(headers),
                metadata_base: None,
                targets_base: None,
            });
        }
        // Redirects are followed in `get`, which decides per hop whether
        // the extra headers go along (reqwest would forward them all).
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.idle_timeout)
            .user_agent(options.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none());
        if let Some(proxy) = &options.proxy {
            builder = builder.proxy(
                reqwest::Proxy::all(proxy)
                    .map_err(|e| redact_urls(&format!("invalid proxy '{proxy}': {e}")))?,
            );
        }
        let client = builder
            .build()
            .map_err(|e| redact_urls(&format!("cannot set up HTTP: {e}")))?;
        Ok(HttpTransport {
            client,
            options: Arc::new(options),
            headers: Arc::new(headers),
            metadata_base: None,
            targets_base: None,
        })
    }

    /// Tells the transport where metadata and targets live: files below
    /// `metadata_base` get the metadata timeout, everything else the
    /// minimum speed (a target's size has no bound a deadline could
    /// follow). When one base lies inside the other, the longer decides;
    /// when both are the same, files count as targets. Without this call,
    /// every file counts as a target.
    pub fn for_repository(mut self, metadata_base: &Url, targets_base: &Url) -> Self {
        self.metadata_base = Some(metadata_base.clone());
        self.targets_base = Some(targets_base.clone());
        self
    }

    fn kind_of(&self, url: &Url) -> Kind {
        let depth = |base: &Option<Url>| {
            base.as_ref()
                .filter(|b| url.as_str().starts_with(b.as_str()))
                .map(|b| b.as_str().len())
        };
        match (depth(&self.metadata_base), depth(&self.targets_base)) {
            (Some(m), Some(t)) if m > t => Kind::Metadata,
            (Some(_), None) => Kind::Metadata,
            _ => Kind::Target,
        }
    }

    /// GETs `url` from byte `from`, following up to [`MAX_REDIRECTS`]
    /// redirects itself: the extra headers (credentials, typically) go
    /// only to the origin of `url`, never to another host, port or scheme
    /// a redirect points to (so not from https to http either).
    async fn get(&self, url: &Url, from: u64) -> Result<reqwest::Response, TransportError> {
        let origin = url.origin();
        let mut at = url.clone();
        let mut hops = 0;
        let resp = loop {
            let mut hop = at.clone();
            let same_origin = hop.origin() == origin;
            if same_origin && hop.username().is_empty() && hop.password().is_none() {
                // Credentials in the configured URL stay with its origin
                // too (reqwest turns them into basic auth).
                let _ = hop.set_username(url.username());
                let _ = hop.set_password(url.password());
            }
            let mut req = self.client.get(hop);
            if same_origin {
                req = req.headers((*self.headers).clone());
            }
            if from > 0 {
                req = req.header(reqwest::header::RANGE, format!("bytes={from}-"));
            }
            let resp = req.send().await.map_err(|e| {
                TransportError::new_with_cause(TransportErrorKind::Other, url.as_str(), e)
            })?;
            let status = resp.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break resp;
            }
            let failure = |why: String| {
                TransportError::new_with_cause(
                    TransportErrorKind::Other,
                    url.as_str(),
                    HttpFailure(redact_urls(&why)),
                )
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(failure(format!("more than {MAX_REDIRECTS} redirects")));
            }
            let next = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| at.join(v).ok())
                .ok_or_else(|| failure(format!("redirect {status} without a valid Location")))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(failure(format!("redirect to an unsupported URL {next}")));
            }
            at = next;
        };
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::FORBIDDEN {
            // S3-style servers answer 403 for missing keys without list rights.
            return Err(TransportError::new(
                TransportErrorKind::FileNotFound,
                url.as_str(),
            ));
        }
        if from > 0 {
            if status != reqwest::StatusCode::PARTIAL_CONTENT
                || !content_range_starts_at(&resp, from)
            {
                return Err(TransportError::new_with_cause(
                    TransportErrorKind::Other,
                    url.as_str(),
                    HttpFailure(format!(
                        "server did not resume at byte {from} (status {status})"
                    )),
                ));
            }
        } else if !status.is_success() {
            return Err(TransportError::new_with_cause(
                TransportErrorKind::Other,
                url.as_str(),
                HttpFailure(format!("HTTP status {status}")),
            ));
        }
        Ok(resp)
    }
}

fn rustls_provider() -> Result<(), Arc<rustls::crypto::CryptoProvider>> {
    rustls::crypto::aws_lc_rs::default_provider().install_default()
}

fn content_range_starts_at(resp: &reqwest::Response, from: u64) -> bool {
    resp.headers()
        .get(reqwest::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split('-').next())
        .and_then(|start| start.trim().parse::<u64>().ok())
        == Some(from)
}

/// An HTTP-level failure (bad status, failed resume).
#[derive(Debug)]
pub struct HttpFailure(String);

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpFailure {}

type BodyStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

struct Download {
    transport: HttpTransport,
    url: Url,
    body: Option<BodyStream>,
    received: u64,
    resumes_left: u32,
    done: bool,
    limit: Limit,
}

impl Download {
    fn slow(&mut self, why: SlowRetrieval) -> TransportError {
        self.done = true;
        TransportError::new_with_cause(TransportErrorKind::Other, self.url.as_str(), why)
    }
}

#[async_trait::async_trait]
impl Transport for HttpTransport {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        let mut limit = Limit::new(self.kind_of(&url), &self.options, Instant::now());
        // Waiting for the answer counts: a server can drip headers too.
        let resp = match limit.bounded(0, self.get(&url, 0)).await {
            Ok(r) => r?,
            Err(why) => {
                return Err(TransportError::new_with_cause(
                    TransportErrorKind::Other,
                    url.as_str(),
                    why,
                ))
            }
        };
        let state = Download {
            transport: self.clone(),
            url,
            body: Some(Box::pin(resp.bytes_stream())),
            received: 0,
            resumes_left: self.options.max_resumes,
            done: false,
            limit,
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            if st.done {
                return None;
            }
            loop {
                let received = st.received;
                let body = match st.body.as_mut() {
                    Some(b) => b,
                    None => {
                        // Reconnect and continue where the data stopped.
                        let get = st.transport.get(&st.url, received);
                        match st.limit.bounded(received, get).await {
                            Ok(Ok(resp)) => {
                                st.body = Some(Box::pin(resp.bytes_stream()));
                                continue;
                            }
                            Ok(Err(e)) => {
                                st.done = true;
                                return Some((Err(e), st));
                            }
                            Err(why) => {
                                let e = st.slow(why);
                                return Some((Err(e), st));
                            }
                        }
                    }
                };
                let next = match st.limit.bounded(received, body.next()).await {
                    Ok(next) => next,
                    Err(why) => {
                        let e = st.slow(why);
                        return Some((Err(e), st));
                    }
                };
                match next {
                    Some(Ok(chunk)) => {
                        st.limit.record(Instant::now(), st.received);
                        st.received += chunk.len() as u64;
                        return Some((Ok(chunk), st));
                    }
                    None => return None,
                    Some(Err(e)) if st.resumes_left > 0 => {
                        st.resumes_left -= 1;
                        st.body = None;
                        tracing::info!(
                            url = %redact_urls(st.url.as_str()),
                            at_byte = st.received,
                            resumes_left = st.resumes_left,
                            "connection dropped, resuming: {}",
                            redact_urls(&e.to_string())
                        );
                    }
                    Some(Err(e)) => {
                        st.done = true;
                        let err = TransportError::new_with_cause(
                            TransportErrorKind::Other,
                            st.url.as_str(),
                            e,
                        );
                        return Some((Err(err), st));
                    }
                }
            }
        });
        Ok(Box::pin(stream))
    }
}

/// Keeps the bytes of every response, as the server sent them (up to a
/// cap per URL), while passing them on unchanged. TUF conformance tests
/// compare a client's trusted metadata byte for byte with what the
/// repository served; tough only keeps its re-serialised copies.
#[derive(Debug, Clone)]
pub struct RecordingTransport {
    inner: HttpTransport,
    records: Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    cap: usize,
}

impl RecordingTransport {
    /// Wraps `inner`, keeping at most `cap` bytes per URL.
    pub fn new(inner: HttpTransport, cap: usize) -> Self {
        RecordingTransport {
            inner,
            records: Arc::default(),
            cap,
        }
    }

    /// The bytes received from `url`, if it was fetched.
    pub fn bytes_of(&self, url: &Url) -> Option<Vec<u8>> {
        self.records.lock().ok()?.get(url.as_str()).cloned()
    }
}

#[async_trait::async_trait]
impl Transport for RecordingTransport {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        let stream = self.inner.fetch(url.clone()).await?;
        let records = self.records.clone();
        let cap = self.cap;
        let key = url.to_string();
        if let Ok(mut r) = records.lock() {
            r.insert(key.clone(), Vec::new());
        }
        Ok(Box::pin(stream.inspect(move |chunk| {
            if let (Ok(bytes), Ok(mut r)) = (chunk, records.lock()) {
                if let Some(buf) = r.get_mut(&key) {
                    if buf.len() + bytes.len() <= cap {
                        buf.extend_from_slice(bytes);
                    }
                }
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_leaves_every_url_in_a_text() {
        assert_eq!(
            redact_urls("a http://u:p@h:1/x and https://tok@h2?q, 'ftp://a:b@c'"),
            "a http://h:1/x and https://h2?q, 'ftp://c'"
        );
        assert_eq!(redact_urls("http://h/p@x"), "http://h/p@x");
        assert_eq!(redact_urls("no url: a@b"), "no url: a@b");
        assert_eq!(redact_urls("http://u:p@"), "http://");
    }

    fn transport() -> HttpTransport {
        HttpTransport::new(HttpOptions::default()).expect("transport")
    }

    #[test]
    fn metadata_and_targets_are_told_apart_by_their_bases() {
        let url = |s: &str| Url::parse(s).expect("url");
        let t = transport().for_repository(&url("http://h/m/"), &url("http://h/t/"));
        assert_eq!(t.kind_of(&url("http://h/m/timestamp.json")), Kind::Metadata);
        assert_eq!(t.kind_of(&url("http://h/t/a.tar.gz")), Kind::Target);
        assert_eq!(t.kind_of(&url("http://other/m/x.json")), Kind::Target);
        // Nested bases: the longer one decides.
        let t = transport().for_repository(&url("http://h/"), &url("http://h/targets/"));
        assert_eq!(t.kind_of(&url("http://h/1.root.json")), Kind::Metadata);
        assert_eq!(t.kind_of(&url("http://h/targets/x.json")), Kind::Target);
        // Unknown bases: everything gets the speed floor.
        assert_eq!(transport().kind_of(&url("http://h/m/x.json")), Kind::Target);
    }

    #[test]
    fn an_updater_in_a_log_shows_no_credentials() {
        let mut http = HttpOptions::default();
        http.headers.push(("X-Api-Key".into(), "hunter2".into()));
        let builder = crate::client::Updater::builder("demo", "1.0")
            .install_dir("/tmp/i")
            .metadata_dir("/tmp/m")
            .cache_dir("/tmp/c")
            .metadata_url("https://u:secretpw@h/metadata")
            .targets_url("https://u:secretpw@h/targets")
            .http(http);
        let shown = format!("{builder:?} {:?}", builder.clone().build().expect("build"));
        assert!(!shown.contains("secretpw"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("https://h/metadata"), "{shown}");
    }

    #[test]
    fn https_to_http_is_another_origin() {
        let a = Url::parse("https://h/x").expect("url");
        let b = Url::parse("http://h/x").expect("url");
        assert_ne!(a.origin(), b.origin());
    }

    #[test]
    fn the_speed_floor_judges_a_sliding_window() {
        let opts = HttpOptions {
            min_speed: 100,
            speed_window: Duration::from_secs(10),
            ..HttpOptions::default()
        };
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut limit = Limit::new(Kind::Target, &opts, t0);
        // Nothing is judged during the first window.
        assert!(limit.check(at(9), 0).is_ok());
        // 1000 bytes in the first 10 s: just enough.
        limit.record(at(5), 0);
        assert!(limit.check(at(10), 1000).is_ok());
        // Then a stall: the window from 5 s to 15 s saw 1000 bytes, the
        // one from 11 s to 21 s none.
        assert!(limit.check(at(15), 1000).is_ok());
        match limit.check(at(21), 1000) {
            Err(SlowRetrieval::BelowMinimumSpeed { received, .. }) => assert_eq!(received, 0),
            other => panic!("{other:?}"),
        }
        // A deadline is a deadline, however fast the bytes come.
        let mut limit = Limit::new(Kind::Metadata, &opts, t0);
        assert!(limit.check(at(59), 10_000_000).is_ok());
        assert!(matches!(
            limit.check(at(60), 10_000_000),
            Err(SlowRetrieval::MetadataTimeout(_))
        ));
    }
}
