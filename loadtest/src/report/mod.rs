//! The sweep's results as one value, and its renderings: the terminal
//! table, CSV and JSON files, SVG charts and a one-page HTML report.

mod csv;
mod format;
pub mod html;
pub mod svg;
pub mod table;
mod value;

pub use crate::runs::SimulatorSpeed;
pub use format::{dollars, thousands, ttl_label};
pub use value::{Measured, MeasuredHandler, PartitionStudy, Report, Row};

use std::path::Path;

/// The files written to the report directory, in writing order.
pub const FILES: [&str; 6] = [
    "report.csv",
    "report.json",
    "cost.svg",
    "exposure.svg",
    "hit-latency.svg",
    "index.html",
];

impl Report {
    /// Writes every file of [`FILES`] into `dir`, creating it.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let charts = svg::charts(self);
        let contents = [
            self.csv(),
            json,
            charts.cost.clone(),
            charts.exposure.clone(),
            charts.hit_latency.clone(),
            html::page(self, &charts),
        ];
        for (name, body) in FILES.iter().zip(contents) {
            let path = dir.join(name);
            std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}
