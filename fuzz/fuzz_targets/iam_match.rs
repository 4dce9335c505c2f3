//! The IAM wildcard matcher the policy check and the lab's emulator use,
//! against a dynamic-programming reference, on any pattern and value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::policy::iam_match;

fn reference(p: &[char], v: &[char]) -> bool {
    let mut m = vec![vec![false; v.len() + 1]; p.len() + 1];
    m[p.len()][v.len()] = true;
    for i in (0..p.len()).rev() {
        for j in (0..=v.len()).rev() {
            m[i][j] = match p[i] {
                '*' => m[i + 1][j] || (j < v.len() && m[i][j + 1]),
                '?' => j < v.len() && m[i + 1][j + 1],
                c => j < v.len() && v[j] == c && m[i + 1][j + 1],
            };
        }
    }
    m[0][0]
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (pattern, value) = text.split_once('\0').unwrap_or((&text, ""));
    if pattern.len() > 256 || value.len() > 256 {
        return;
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    assert_eq!(
        iam_match(pattern, value),
        reference(&p, &v),
        "{pattern:?} {value:?}"
    );
});
