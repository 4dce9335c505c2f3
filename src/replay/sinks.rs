//! Telemetry sinks for `--emf` and `--prometheus`: the Lambda's own
//! [`Telemetry`], with recorders of replay's that write files at the end.

use super::args::Args;
use crate::config;
use crate::telemetry::{Instruments, Telemetry, prometheus};
use metrics_exporter_prometheus::PrometheusRecorder;

/// The telemetry a replay records, and where it goes.
pub(super) struct Sinks {
    pub(super) telemetry: Telemetry,
    prometheus: Option<(String, PrometheusRecorder)>,
    emf: Option<String>,
    /// The EMF documents, written to the `--emf` file at the end.
    pub(super) emf_out: Vec<u8>,
}

impl Sinks {
    pub(super) fn open(args: &Args) -> Result<Sinks, String> {
        let mut telemetry = Telemetry::quiet();
        let mut prometheus_sink = None;
        if let Some(path) = &args.prometheus {
            let recorder = prometheus::recorder();
            let instruments = Instruments::register_local(&recorder);
            telemetry = telemetry.with_instruments(instruments);
            prometheus_sink = Some((path.clone(), recorder));
        }
        if args.emf.is_some() {
            let settings = config::telemetry_settings(&args.settings).map_err(|e| e.to_string())?;
            telemetry = telemetry.with_emf(&settings);
        }
        Ok(Sinks {
            telemetry,
            prometheus: prometheus_sink,
            emf: args.emf.clone(),
            emf_out: Vec::new(),
        })
    }

    pub(super) fn finish(mut self) -> Result<(), String> {
        if let Some((path, recorder)) = self.prometheus {
            std::fs::write(&path, recorder.handle().render())
                .map_err(|e| format!("--prometheus: cannot write {path}: {e}"))?;
        }
        if let Some(path) = self.emf {
            self.telemetry.flush(&mut self.emf_out);
            std::fs::write(&path, &self.emf_out)
                .map_err(|e| format!("--emf: cannot write {path}: {e}"))?;
        }
        Ok(())
    }
}
