//! Hand-written SVG charts: TTLs evenly spaced on the x axis (they span
//! four orders of magnitude, and people read them as choices, not as a
//! continuum), one panel per unit, values labelled at each point, and the
//! recommended TTL shaded.

use super::{Report, dollars, ttl_label};
use std::fmt::Write as _;

pub struct Charts {
    pub cost: String,
    pub exposure: String,
    pub hit_latency: String,
}

struct Series {
    name: &'static str,
    color: &'static str,
    values: Vec<f64>,
}

struct Panel {
    title: &'static str,
    format: fn(f64) -> String,
    series: Vec<Series>,
}

const WIDTH: f64 = 820.0;
const PANEL_HEIGHT: f64 = 250.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 50.0;
const GAP: f64 = 60.0;

pub fn charts(report: &Report) -> Charts {
    let labels: Vec<String> = report
        .rows
        .iter()
        .map(|r| ttl_label(r.ttl_seconds))
        .collect();
    let col = |f: fn(&super::Row) -> f64| report.rows.iter().map(f).collect::<Vec<f64>>();
    let highlight = report
        .recommendation
        .ttl
        .and_then(|ttl| report.rows.iter().position(|r| r.ttl_seconds == ttl));
    let name = &report.scenario.name;
    let cost = chart(
        &format!("Authorizer cost per month vs TTL — scenario {name}"),
        &labels,
        highlight,
        &[Panel {
            title: "USD per month",
            format: dollars,
            series: vec![
                Series {
                    name: "total",
                    color: "#1f4e9c",
                    values: col(|r| r.cost_per_month.authorizer),
                },
                Series {
                    name: "Lambda requests",
                    color: "#e07b00",
                    values: col(|r| r.cost_per_month.lambda_requests),
                },
                Series {
                    name: "Lambda duration",
                    color: "#3a9d4a",
                    values: col(|r| r.cost_per_month.lambda_duration),
                },
                Series {
                    name: "CloudWatch Logs",
                    color: "#8e44ad",
                    values: col(|r| r.cost_per_month.logs),
                },
            ],
        }],
    );
    let exposure = chart(
        &format!("Exposure vs TTL — scenario {name}"),
        &labels,
        highlight,
        &[
            Panel {
                title: "longest window past expiry or revocation (s)",
                format: |v| format!("{v:.0} s"),
                series: vec![Series {
                    name: "longest window",
                    color: "#c0392b",
                    values: col(|r| r.longest_exposure_seconds),
                }],
            },
            Panel {
                title: "requests answered for expired or revoked tokens",
                format: |v| super::thousands(v.round() as u64),
                series: vec![Series {
                    name: "exposed requests",
                    color: "#d35400",
                    values: col(|r| r.exposed_requests as f64),
                }],
            },
        ],
    );
    let hit_latency = chart(
        &format!("Cache hit ratio and added latency vs TTL — scenario {name}"),
        &labels,
        highlight,
        &[
            Panel {
                title: "authorizer cache hit ratio (%)",
                format: |v| format!("{v:.1}%"),
                series: vec![Series {
                    name: "hit ratio",
                    color: "#1f4e9c",
                    values: col(|r| r.hit_ratio * 100.0),
                }],
            },
            Panel {
                title: "latency the authorizer adds (ms)",
                format: |v| format!("{v:.1} ms"),
                series: vec![
                    Series {
                        name: "p99",
                        color: "#c0392b",
                        values: col(|r| r.added_latency_p99_ms),
                    },
                    Series {
                        name: "mean",
                        color: "#1f4e9c",
                        values: col(|r| r.added_latency_mean_ms),
                    },
                    Series {
                        name: "p50",
                        color: "#3a9d4a",
                        values: col(|r| r.added_latency_p50_ms),
                    },
                ],
            },
        ],
    );
    Charts {
        cost,
        exposure,
        hit_latency,
    }
}

/// A round axis maximum at or above `max`, and its tick step.
fn axis(max: f64) -> (f64, f64) {
    if !(max > 0.0 && max.is_finite()) {
        return (1.0, 0.25);
    }
    let rough = max / 4.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn chart(title: &str, labels: &[String], highlight: Option<usize>, panels: &[Panel]) -> String {
    let height = TOP + panels.len() as f64 * (PANEL_HEIGHT + GAP);
    let plot_w = WIDTH - LEFT - RIGHT;
    let n = labels.len().max(1) as f64;
    let x = |i: usize| LEFT + (i as f64 + 0.5) * plot_w / n;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{LEFT}" y="24" font-size="16" font-weight="bold" fill="#222">{}</text>
"##,
        escape(title)
    );
    for (p, panel) in panels.iter().enumerate() {
        let top = TOP + p as f64 * (PANEL_HEIGHT + GAP);
        let bottom = top + PANEL_HEIGHT;
        let max = panel
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0, f64::max);
        let (y_max, step) = axis(max);
        let y = |v: f64| bottom - v / y_max * PANEL_HEIGHT;
        let _ = writeln!(
            s,
            r##"<text x="{LEFT}" y="{}" font-size="13" fill="#444">{}</text>"##,
            top - 8.0,
            escape(panel.title)
        );
        if let Some(i) = highlight {
            let band = plot_w / n;
            let _ = writeln!(
                s,
                r##"<rect x="{:.1}" y="{top}" width="{band:.1}" height="{PANEL_HEIGHT}" fill="#e3f4e1"/><text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="11" fill="#2e7d32">recommended</text>"##,
                x(i) - band / 2.0,
                x(i),
                bottom - 6.0
            );
        }
        let mut tick = 0.0;
        while tick <= y_max + step / 2.0 {
            let ty = y(tick);
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="#e5e5e5"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#666">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                ty + 4.0,
                escape(&(panel.format)(tick))
            );
            tick += step;
        }
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{bottom}" y2="{bottom}" stroke="#888"/>"##,
            LEFT + plot_w
        );
        for (i, label) in labels.iter().enumerate() {
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
                x(i),
                bottom + 18.0,
                escape(label)
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#666">authorizer result TTL</text>"##,
            LEFT + plot_w / 2.0,
            bottom + 36.0
        );
        for (k, series) in panel.series.iter().enumerate() {
            let points: Vec<String> = series
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"#,
                points.join(" "),
                series.color
            );
            for (i, &v) in series.values.iter().enumerate() {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"/>"#,
                    x(i),
                    y(v),
                    series.color
                );
                // Label only the first series' points, to keep the panel readable.
                if k == 0 {
                    let _ = writeln!(
                        s,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{}">{}</text>"#,
                        x(i),
                        y(v) - 8.0,
                        series.color,
                        escape(&(panel.format)(v))
                    );
                }
            }
            let ly = top + 16.0 + k as f64 * 20.0;
            let lx = LEFT + plot_w + 16.0;
            let _ = writeln!(
                s,
                r##"<line x1="{lx:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{}" stroke-width="2.5"/><text x="{:.1}" y="{:.1}" fill="#333">{}</text>"##,
                lx + 18.0,
                series.color,
                lx + 24.0,
                ly + 4.0,
                escape(series.name)
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_rounds_up_to_a_readable_step() {
        assert_eq!(axis(97.0), (100.0, 25.0));
        assert_eq!(axis(0.37), (0.4, 0.1));
        assert_eq!(axis(0.0), (1.0, 0.25));
        assert_eq!(axis(3600.0), (4000.0, 1000.0));
    }

    #[test]
    fn chart_is_well_formed_and_escaped() {
        let panel = Panel {
            title: "a < b",
            format: |v| format!("{v}"),
            series: vec![Series {
                name: "s",
                color: "#000",
                values: vec![1.0, 2.0],
            }],
        };
        let svg = chart("t & u", &["0 s".into(), "1 s".into()], Some(1), &[panel]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &amp; u") && svg.contains("a &lt; b"));
        assert!(svg.contains("recommended"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
