//! Tiny MNIST-shaped files written by the tests into temporary folders.
#![allow(dead_code)] // each test binary uses a different part

use datasets::idx;
use ndarray::{Array1, Array3};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// `n` deterministic 28x28 images whose pixels differ per image, and labels cycling 0..10.
pub fn tiny_split(n: usize, seed: u8) -> datasets::Split {
    let images = Array3::from_shape_fn((n, 28, 28), |(i, r, c)| {
        (i * 31 + r * 7 + c * 3 + usize::from(seed)) as u8
    });
    let labels = Array1::from_shape_fn(n, |i| ((i + usize::from(seed)) % 10) as u8);
    (images, labels)
}

/// Writes the four files into `dir` (`NAME.gz` gzip-compressed when `gzip`, else plain `NAME`)
/// and returns what they hold: 5 training and 3 test examples.
pub fn write_tiny_dataset(dir: &Path, gzip: bool) -> datasets::TrainTest {
    std::fs::create_dir_all(dir).unwrap();
    let train = tiny_split(5, 1);
    let test = tiny_split(3, 2);
    let name = |n: &str| {
        if gzip {
            dir.join(format!("{n}.gz"))
        } else {
            dir.join(n)
        }
    };
    idx::write(name("train-images-idx3-ubyte"), &train.0, gzip).unwrap();
    idx::write(name("train-labels-idx1-ubyte"), &train.1, gzip).unwrap();
    idx::write(name("t10k-images-idx3-ubyte"), &test.0, gzip).unwrap();
    idx::write(name("t10k-labels-idx1-ubyte"), &test.1, gzip).unwrap();
    (train, test)
}

/// Gzip-compresses bytes in memory.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// The names of the entries of a folder, sorted (to check nothing was left behind).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// What the server answers for a path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// 200 declaring `Content-Length: declared`, but closing after these bytes.
    Cut(Vec<u8>, usize),
    /// 200 declaring `Content-Length: declared`, then these bytes, then nothing until the
    /// server stops (a download stalled half-way).
    Stall(Vec<u8>, usize),
}

/// A one-thread HTTP/1.1 server on 127.0.0.1 that stops when dropped or after 60 s.
pub struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        h.fetch_add(1, Ordering::SeqCst);
                        serve(stream, &routes, &s);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            base,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, routes: &HashMap<String, Reply>, stop: &AtomicBool) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body, declared) = match routes.get(&path) {
        Some(Reply::Body(b)) => ("200 OK", b.clone(), b.len()),
        Some(Reply::Cut(b, declared) | Reply::Stall(b, declared)) => {
            ("200 OK", b.clone(), *declared)
        }
        None => ("404 Not Found", b"not found".to_vec(), 9),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    if let Some(Reply::Stall(..)) = routes.get(&path) {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
