//! Telemetry sinks for `--emf` and `--prometheus`.

use super::*;

/// The telemetry sinks a replay writes to, as the Lambda would.
pub(super) struct Sinks {
    instruments: Vec<Instruments>,
    prometheus: Option<(String, PrometheusRecorder)>,
    emf: Option<(String, Flusher, Vec<u8>)>,
}

impl Sinks {
    pub(super) fn open(args: &Args) -> Result<Sinks, String> {
        let mut sinks = Sinks {
            instruments: Vec::new(),
            prometheus: None,
            emf: None,
        };
        if let Some(path) = &args.prometheus {
            let recorder = prometheus::recorder();
            sinks.instruments.push(metrics::with_local_recorder(
                &recorder,
                Instruments::register,
            ));
            sinks.prometheus = Some((path.clone(), recorder));
        }
        if let Some(path) = &args.emf {
            let settings = telemetry::Settings::from_strings(&args.settings)?;
            let recorder = telemetry::emf_recorder();
            let instruments = metrics::with_local_recorder(&recorder, Instruments::register);
            instruments.cold_start();
            sinks.instruments.push(instruments);
            sinks.emf = Some((path.clone(), Flusher::new(recorder, settings), Vec::new()));
        }
        Ok(sinks)
    }

    pub(super) fn record(&mut self, stages: &StageClock, result: &Result<Response, Reject>) {
        for i in &self.instruments {
            i.record(stages, result);
        }
        if let Some((_, flusher, out)) = &mut self.emf {
            flusher.invocation_done(out);
        }
    }

    pub(super) fn finish(self) -> Result<(), String> {
        if let Some((path, recorder)) = self.prometheus {
            std::fs::write(&path, recorder.handle().render())
                .map_err(|e| format!("--prometheus: cannot write {path}: {e}"))?;
        }
        if let Some((path, mut flusher, mut out)) = self.emf {
            flusher.flush(&mut out);
            std::fs::write(&path, out).map_err(|e| format!("--emf: cannot write {path}: {e}"))?;
        }
        Ok(())
    }
}
