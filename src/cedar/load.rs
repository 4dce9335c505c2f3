//! Reading a store from disk: a `.cedar` file, or a directory of them as an
//! export writes them (one policy per file, the file named after it), and
//! its schema. Bounded by the permissions byte limit before anything is read.

use super::PolicyFile;
use std::path::Path;

/// Whether a `SCOPEGATE_PERMISSIONS` value names a Cedar store: a
/// directory, or a file or object whose name ends in `.cedar`.
pub fn is_store(value: &str) -> bool {
    let value = value.trim();
    Path::new(value)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cedar"))
        || (!value.starts_with('[')
            && !value.starts_with('{')
            && !value.contains("://")
            && Path::new(value).is_dir())
}

/// The policy files at `path` (a `.cedar` file, or every `.cedar` file of a
/// directory, in name order), at most `max_bytes` in all.
pub fn policy_files(path: &Path, max_bytes: usize) -> Result<Vec<PolicyFile>, String> {
    let shown = |p: &Path| crate::codec::terminal::shown(&p.display().to_string()).into_owned();
    let paths = if path.is_dir() {
        let mut paths: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot list {}: {e}", shown(path)))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("cedar"))
                    && p.is_file()
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(format!("{} holds no .cedar file", shown(path)));
        }
        paths
    } else {
        vec![path.to_path_buf()]
    };
    let mut total = 0u64;
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        let size = std::fs::metadata(&p)
            .map_err(|e| format!("cannot read {}: {e}", shown(&p)))?
            .len();
        total += size;
        if total > max_bytes as u64 {
            return Err(format!(
                "the policy files are over the {max_bytes}-byte limit (SCOPEGATE_PERMISSIONS_MAX_BYTES)"
            ));
        }
        let text =
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", shown(&p)))?;
        let name = p
            .file_stem()
            .map_or_else(|| "policies".into(), |s| s.to_string_lossy().into_owned());
        files.push(PolicyFile { name, text });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_a_file_or_an_object_ending_in_cedar_is_a_store() {
        let dir = std::env::temp_dir();
        assert!(is_store(dir.to_str().unwrap()));
        assert!(is_store("/etc/store/policies.cedar"));
        assert!(is_store("s3://bucket/store.cedar"));
        assert!(!is_store("/etc/permissions.json"));
        assert!(!is_store("s3://bucket/dir"));
        assert!(!is_store(r#"[{"scope":"a"}]"#));
    }

    #[test]
    fn a_directory_is_read_in_name_order_and_bounded() {
        let dir = std::env::temp_dir().join(format!("scopegate-cedar-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("b.cedar"), "permit(principal, action, resource);").unwrap();
        std::fs::write(dir.join("a.cedar"), "forbid(principal, action, resource);").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a policy").unwrap();
        let files = policy_files(&dir, 1 << 20).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let e = policy_files(&dir, 40).unwrap_err();
        assert!(e.contains("SCOPEGATE_PERMISSIONS_MAX_BYTES"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
