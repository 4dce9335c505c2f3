//! A loopback HTTP server for documents the authorizer refreshes (a JWKS,
//! a permissions document): bodies and ETags the test changes while it
//! runs, `304 Not Modified` for a matching `If-None-Match`, a count of
//! requests per path, and a hold that keeps the next request in flight
//! until the test releases it (so a test can act while a refresh or an
//! export is provably in progress, with no timing guess).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    /// path → (status, body, etag)
    documents: HashMap<String, (u16, String, Option<String>)>,
    requests: HashMap<String, usize>,
    conditional: usize,
    /// When set, the next request signals `arrived` and waits on `release`.
    hold: Option<(Sender<()>, Receiver<()>)>,
}

/// The running server; it stops with the test process.
pub(crate) struct DocServer {
    port: u16,
    state: Arc<Mutex<State>>,
}

/// A request held in flight.
pub(crate) struct Held {
    arrived: Receiver<()>,
    release: Sender<()>,
}

impl Held {
    /// Blocks until the held request has reached the server.
    pub(crate) fn wait_until_in_flight(&self) {
        self.arrived
            .recv_timeout(Duration::from_mins(1))
            .expect("the refresh reached the server");
    }

    /// Lets the held request be answered.
    pub(crate) fn release(self) {
        let _ = self.release.send(());
    }
}

impl DocServer {
    pub(crate) fn start() -> DocServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        DocServer { port, state }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Serves `body` (200) at `path`, with `etag` if given.
    pub(crate) fn set(&self, path: &str, body: &str, etag: Option<&str>) {
        self.set_status(path, 200, body, etag);
    }

    /// Serves `status` and `body` at `path`.
    pub(crate) fn set_status(&self, path: &str, status: u16, body: &str, etag: Option<&str>) {
        self.state.lock().unwrap().documents.insert(
            path.to_string(),
            (status, body.to_string(), etag.map(str::to_string)),
        );
    }

    /// Requests received for `path`.
    pub(crate) fn requests(&self, path: &str) -> usize {
        *self.state.lock().unwrap().requests.get(path).unwrap_or(&0)
    }

    /// Requests answered 304 because their `If-None-Match` matched.
    pub(crate) fn not_modified(&self) -> usize {
        self.state.lock().unwrap().conditional
    }

    /// Holds the next request until [`Held::release`].
    pub(crate) fn hold_next(&self) -> Held {
        let (arrived_tx, arrived_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel();
        self.state.lock().unwrap().hold = Some((arrived_tx, release_rx));
        Held {
            arrived: arrived_rx,
            release: release_tx,
        }
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut if_none_match = None;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("if-none-match") {
                if_none_match = Some(value.trim().to_string());
            } else if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    // Read a request body (an OTLP export) so closing does not reset the connection.
    let mut body = vec![0; content_length];
    if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
        return;
    }
    let hold = {
        let mut st = state.lock().unwrap();
        *st.requests.entry(path.clone()).or_default() += 1;
        st.hold.take()
    };
    if let Some((arrived, release)) = hold {
        let _ = arrived.send(());
        let _ = release.recv();
    }
    let (status, body, etag) = {
        let mut st = state.lock().unwrap();
        let found = st.documents.get(&path).cloned();
        match found {
            Some((200, _, Some(tag))) if if_none_match.as_deref() == Some(tag.as_str()) => {
                st.conditional += 1;
                (304, String::new(), Some(tag))
            }
            Some(doc) => doc,
            None => (404, "not found".to_string(), None),
        }
    };
    let etag = etag.map(|t| format!("ETag: {t}\r\n")).unwrap_or_default();
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n{etag}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}
