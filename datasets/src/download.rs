//! Downloading a file, verified by SHA-256 and written atomically (feature `download`).
//!
//! Like Keras' `get_file(..., file_hash=...)`: the body is streamed into a temporary file in
//! the destination folder while its SHA-256 is computed; only when the digest matches is the
//! temporary file renamed to its final name (a rename within one folder is atomic). A failed
//! request, a cut connection or a wrong digest removes the temporary file, so the destination
//! either holds the complete, verified file or nothing at all.

use crate::DatasetError;
use crate::atomic_write::Replacement;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// No file of these data sets comes near this; a larger body is refused.
const MAX_BYTES: u64 = 512 << 20;

/// Whether the URL's host is this machine (`localhost`, `127.x.x.x`, `[::1]`).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// `base` and `file` joined with exactly one `/`.
pub fn join_url(base: &str, file: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), file)
}

/// The lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Downloads `url` to `dest`, keeping it only if its SHA-256 is `sha256` (lower-case hex).
///
/// Prints `Downloading data from URL` to stderr first, as Keras does. On any failure nothing
/// is left at `dest` nor beside it.
pub fn fetch_verified(url: &str, dest: &Path, sha256: &str) -> Result<(), DatasetError> {
    eprintln!("Downloading data from {url}");
    let fail = |message: String| DatasetError::Download {
        url: url.to_string(),
        message,
    };
    let mut config = ureq::Agent::config_builder();
    if is_loopback(url) {
        // A server on this machine (a local mirror, or a test's) is never reached via a proxy.
        config = config.proxy(None);
    }
    let agent: ureq::Agent = config
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;

    // Streamed into a temporary file beside `dest` (random name, O_EXCL), renamed when verified.
    let mut temp = Replacement::begin(dest)
        .map_err(|e| fail(format!("cannot write beside {}: {e}", dest.display())))?;
    let mut body = response.body_mut().with_config().limit(MAX_BYTES).reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(fail(format!("while receiving: {e}"))),
        };
        hasher.update(&buf[..n]);
        temp.file()
            .write_all(&buf[..n])
            .map_err(|e| fail(format!("cannot write {}: {e}", dest.display())))?;
    }
    let found = hex(&hasher.finalize());
    if !found.eq_ignore_ascii_case(sha256) {
        return Err(DatasetError::ChecksumMismatch {
            url: url.to_string(),
            expected: sha256.to_string(),
            found,
        });
    }
    temp.commit()
        .map_err(|e| fail(format!("cannot write {}: {e}", dest.display())))
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts_are_recognised() {
        for url in [
            "http://127.0.0.1:8080/m/",
            "http://localhost/x",
            "http://[::1]:9/a",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "http://128.0.0.1/",
            "http://localhost.example.com/",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
