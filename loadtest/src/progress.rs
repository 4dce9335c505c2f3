//! A progress bar on stderr while the simulator runs: redrawn in place on a
//! terminal, silent when stderr is a file or `--quiet` was given.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Progress {
    done: AtomicU64,
    expected: u64,
    visible: bool,
    start: Instant,
}

const WIDTH: usize = 30;

impl Progress {
    pub fn new(expected: u64, quiet: bool) -> Progress {
        Progress {
            done: AtomicU64::new(0),
            expected: expected.max(1),
            visible: !quiet && std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// The counter simulations add their requests to.
    pub fn counter(&self) -> &AtomicU64 {
        &self.done
    }

    /// Redraws every 100 ms until `finished` says so.
    pub fn run_until_done(&self, finished: impl Fn() -> bool) {
        while !finished() {
            self.draw();
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn draw(&self) {
        if !self.visible {
            return;
        }
        let done = self.done.load(Ordering::Relaxed);
        let fraction = (done as f64 / self.expected as f64).min(1.0);
        let filled = (fraction * WIDTH as f64) as usize;
        let rate = done as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r  simulating [{}{}] {:>3.0}%  {:.1}M requests  {:.1}M/s ",
            "#".repeat(filled),
            " ".repeat(WIDTH - filled),
            fraction * 100.0,
            done as f64 / 1e6,
            rate / 1e6
        );
        let _ = std::io::stderr().flush();
    }

    pub fn finish(&self) {
        if self.visible {
            self.draw();
            eprintln!();
        }
    }
}
