//! Numbers as the report's readers write them: TTLs, counts, money.

/// A TTL as people write it: 0 s, 15 s, 5 min, 1 h.
pub fn ttl_label(ttl: f64) -> String {
    if ttl >= 3600.0 && ttl % 3600.0 == 0.0 {
        format!("{} h", ttl / 3600.0)
    } else if ttl >= 60.0 && ttl % 60.0 == 0.0 {
        format!("{} min", ttl / 60.0)
    } else {
        format!("{ttl} s")
    }
}

/// A count with thousands separators.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Money at a precision that fits its size.
pub fn dollars(x: f64) -> String {
    if x == 0.0 {
        "$0".to_string()
    } else if x >= 100.0 {
        format!("${x:.0}")
    } else if x >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(ttl_label(0.0), "0 s");
        assert_eq!(ttl_label(15.0), "15 s");
        assert_eq!(ttl_label(300.0), "5 min");
        assert_eq!(ttl_label(90.0), "90 s");
        assert_eq!(ttl_label(3600.0), "1 h");
        assert_eq!(thousands(7_200_000), "7,200,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(dollars(1234.5), "$1234");
        assert_eq!(dollars(12.345), "$12.35");
        assert_eq!(dollars(0.1234), "$0.123");
    }
}
