//! A real S3-compatible server for the tests: moto in server mode (from
//! PyPI, installed into the venv by scripts/setup.sh) on 127.0.0.1, with a
//! bucket whose policy lets anyone read objects, as an operator serving
//! updates would set it.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Credentials the tests give tufa (moto accepts any).
pub const ENV: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "tufa-test"),
    ("AWS_SECRET_ACCESS_KEY", "tufa-test-secret"),
    ("AWS_REGION", "us-east-1"),
];

/// A running moto server; stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto and creates a publicly readable `bucket`.
    pub fn start(bucket: &str) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let bin = crate::workspace().join(".venv/bin/moto_server");
        assert!(
            bin.exists(),
            "{} missing: run scripts/setup.sh (installs moto[server])",
            bin.display()
        );
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let end = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "moto did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let policy = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        );
        let script = "import sys, boto3\n\
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='tufa-test', aws_secret_access_key='tufa-test-secret', region_name='us-east-1')\n\
s3.create_bucket(Bucket=sys.argv[2])\n\
s3.put_bucket_policy(Bucket=sys.argv[2], Policy=sys.argv[3])\n";
        let out = Command::new(crate::python())
            .args(["-c", script, &moto.endpoint, bucket, &policy])
            .output()
            .expect("boto3");
        assert!(
            out.status.success(),
            "bucket setup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The response headers of an anonymous GET, lower-cased (moto's bucket
/// policy check does not let anonymous HEAD through).
pub fn head(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("path");
    let mut conn = std::net::TcpStream::connect(host).expect("connect");
    write!(
        conn,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = Vec::new();
    conn.read_to_end(&mut out).expect("read");
    let text = String::from_utf8_lossy(&out).to_ascii_lowercase();
    text.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_string()
}
