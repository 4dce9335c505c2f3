//! Where replay answers go, and how they are read back.

use super::{Reject, Response, UNAUTHORIZED_ERROR};
use std::io::Write as _;

/// Where decisions go. To a file, each answer is written as soon as it is
/// timed (so a long replay holds one answer in memory, not all of them);
/// for stdout they are kept and written after the run, so the terminal
/// never slows the measured loop.
pub(super) enum Output {
    File {
        path: String,
        writer: std::io::BufWriter<std::fs::File>,
        memo_hits: usize,
    },
    Kept(Vec<Result<Response, Reject>>, usize),
}

pub(super) enum Written {
    File(String),
    Kept(Vec<Result<Response, Reject>>),
}

impl Output {
    pub(super) fn open(path: Option<&str>, events: usize) -> Result<Output, String> {
        Ok(match path {
            Some(path) => Output::File {
                path: path.to_string(),
                writer: std::io::BufWriter::with_capacity(
                    1 << 16,
                    std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?,
                ),
                memo_hits: 0,
            },
            None => Output::Kept(Vec::with_capacity(events), 0),
        })
    }

    pub(super) fn push(&mut self, result: Result<Response, Reject>) -> Result<(), String> {
        let hit = result.as_ref().is_ok_and(|r| r.memo_hit);
        match self {
            Output::File {
                path,
                writer,
                memo_hits,
            } => {
                *memo_hits += usize::from(hit);
                write_line(writer, &result).map_err(|e| format!("cannot write {path}: {e}"))
            }
            Output::Kept(results, memo_hits) => {
                *memo_hits += usize::from(hit);
                results.push(result);
                Ok(())
            }
        }
    }

    pub(super) fn memo_hits(&self) -> usize {
        match self {
            Output::File { memo_hits, .. } | Output::Kept(_, memo_hits) => *memo_hits,
        }
    }

    pub(super) fn finish(self) -> Result<Written, String> {
        match self {
            Output::File {
                path, mut writer, ..
            } => {
                writer
                    .flush()
                    .map_err(|e| format!("cannot write {path}: {e}"))?;
                Ok(Written::File(path))
            }
            Output::Kept(results, _) => {
                let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                for r in &results {
                    write_line(&mut w, r).map_err(|e| format!("cannot write stdout: {e}"))?;
                }
                w.flush().map_err(|e| format!("cannot write stdout: {e}"))?;
                Ok(Written::Kept(results))
            }
        }
    }
}

/// Writes a replay output line: the Lambda's JSON answer, or the 401 error.
fn write_line(out: &mut impl std::io::Write, r: &Result<Response, Reject>) -> std::io::Result<()> {
    match r {
        Ok(response) => {
            for part in response.body_parts() {
                out.write_all(part.as_bytes())?;
            }
        }
        Err(_) => out.write_all(UNAUTHORIZED_ERROR.as_bytes())?,
    }
    out.write_all(b"\n")
}

/// A replay output line in one string (for comparing with expectations).
pub(super) fn line_of(r: &Result<Response, Reject>) -> String {
    match r {
        Ok(response) => response.body(),
        Err(_) => UNAUTHORIZED_ERROR.to_string(),
    }
}
