//! Scenario parsing and validation.

use super::*;

#[test]
fn every_shipped_scenario_parses() {
    for (name, text) in SHIPPED {
        let s = Scenario::parse(text, name).unwrap();
        assert_eq!(s.name, name);
    }
    assert_eq!(Scenario::default_scenario().name, "steady");
}

#[test]
fn errors_name_the_field() {
    let base = SHIPPED[0].1;
    let typo = base.replace("zipf_exponent", "zipf_exponnent");
    let err = Scenario::parse(&typo, "t").unwrap_err();
    assert!(err.contains("zipf_exponnent"), "{err}");
    let bad = format!("{base}\n[targets]\nmin_hit_ratio = 1.5\n");
    let err = Scenario::parse(&bad, "t").unwrap_err();
    assert!(err.contains("targets.min_hit_ratio"), "{err}");
    let s = Scenario::default_scenario();
    let mut t = s.clone();
    t.rate.points = vec![[0.0, 1.0], [0.0, 2.0]];
    assert!(t.validate().unwrap_err().contains("rate.points[1]"));
    let mut t = s;
    t.lambda.architecture = "sparc".into();
    assert!(t.validate().unwrap_err().contains("lambda.architecture"));
}

#[test]
fn rate_interpolates_and_integrates() {
    let rate = Rate {
        points: vec![[0.0, 100.0], [10.0, 200.0], [20.0, 200.0]],
    };
    assert_eq!(rate.at(5.0), 150.0);
    assert_eq!(rate.at(30.0), 200.0);
    assert!((rate.expected_requests(20.0) - 3500.0).abs() < 1.0);
}
