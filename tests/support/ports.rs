//! Loopback ports for the servers a test starts. Tests in one binary run in
//! parallel, and a port the kernel handed out and took back can be handed
//! out again at once: two tests given the same port start two servers, one
//! fails to bind, and its test talks to the other's server until that one
//! stops. So a port is never handed out twice in one test process.

use std::collections::HashSet;
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A loopback port nothing listens on, not given before in this process.
pub(crate) fn free_port() -> u16 {
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let given = given.get_or_insert_with(HashSet::new);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if given.insert(port) {
            return port;
        }
    }
}

/// Waits (up to a minute) until something accepts connections on `port`.
pub(crate) fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_mins(1);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
