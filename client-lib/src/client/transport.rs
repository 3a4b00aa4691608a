//! tough's `Transport` over one shared `reqwest` client.
//!
//! tough's own HTTP transport builds a client per request and gives each
//! request 30 s in total, which breaks large archives on slow links. Here:
//! one connection pool, a connect timeout, an *idle* timeout between bytes
//! instead of a total one, extra headers for authenticated servers, a
//! proxy, and transparent resumption (HTTP Range) when a connection drops
//! mid-download. tough still checks the length and hash of everything.

use bytes::Bytes;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tough::{Transport, TransportError, TransportErrorKind, TransportStream};
use url::Url;

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
    /// Extra headers sent with every request (e.g. `Authorization`).
    pub headers: Vec<(String, String)>,
    /// User agent.
    pub user_agent: String,
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
            .finish()
    }
}

/// The transport. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    options: Arc<HttpOptions>,
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
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.idle_timeout)
            .user_agent(options.user_agent.clone())
            .default_headers(headers);
        if let Some(proxy) = &options.proxy {
            builder = builder.proxy(
                reqwest::Proxy::all(proxy).map_err(|e| format!("invalid proxy '{proxy}': {e}"))?,
            );
        }
        let client = builder
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        Ok(HttpTransport {
            client,
            options: Arc::new(options),
        })
    }

    async fn get(&self, url: &Url, from: u64) -> Result<reqwest::Response, TransportError> {
        let mut req = self.client.get(url.clone());
        if from > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={from}-"));
        }
        let resp = req.send().await.map_err(|e| {
            TransportError::new_with_cause(TransportErrorKind::Other, url.as_str(), e)
        })?;
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
}

#[async_trait::async_trait]
impl Transport for HttpTransport {
    async fn fetch(&self, url: Url) -> Result<TransportStream, TransportError> {
        let resp = self.get(&url, 0).await?;
        let state = Download {
            transport: self.clone(),
            url,
            body: Some(Box::pin(resp.bytes_stream())),
            received: 0,
            resumes_left: self.options.max_resumes,
            done: false,
        };
        let stream = futures_util::stream::unfold(state, |mut st| async move {
            if st.done {
                return None;
            }
            loop {
                let body = match st.body.as_mut() {
                    Some(b) => b,
                    None => {
                        // Reconnect and continue where the data stopped.
                        match st.transport.get(&st.url, st.received).await {
                            Ok(resp) => {
                                st.body = Some(Box::pin(resp.bytes_stream()));
                                continue;
                            }
                            Err(e) => {
                                st.done = true;
                                return Some((Err(e), st));
                            }
                        }
                    }
                };
                match body.next().await {
                    Some(Ok(chunk)) => {
                        st.received += chunk.len() as u64;
                        return Some((Ok(chunk), st));
                    }
                    None => return None,
                    Some(Err(e)) if st.resumes_left > 0 => {
                        st.resumes_left -= 1;
                        st.body = None;
                        let _ = e;
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
