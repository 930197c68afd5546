//! Checking a crate with cargo and reading rustc's diagnostics (`--message-format json`):
//! errors with the source locations they point at (primary spans first, then the macro
//! call sites they expand from, then secondary and child spans), and the twin markers.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One diagnostic of the checked crate.
#[derive(Clone, Debug)]
pub(crate) struct Diag {
    pub(crate) is_error: bool,
    pub(crate) code: Option<String>,
    pub(crate) message: String,
    pub(crate) rendered: String,
    /// `(file relative to the crate directory, or absolute; line)`, most specific first.
    pub(crate) places: Vec<(PathBuf, usize)>,
    /// The primary span's source line, split at the span: (before it, the span's text).
    pub(crate) primary: Option<(String, String)>,
}

/// `cargo check` of the library of the crate at `crate_dir` (lints capped at warnings, the
/// markers' `unused_variables` forced on); the diagnostics of that crate only.
pub(crate) fn check(crate_dir: &Path, target_dir: &Path) -> std::io::Result<Vec<Diag>> {
    let manifest = crate_dir.join("Cargo.toml");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["rustc", "--lib", "--profile", "check", "--message-format", "json"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--", "--cap-lints", "warn", "--force-warn", "unused_variables"])
        // the caller's flags (CI's -Dwarnings) are not the corpus crate's
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(crate_dir)
        .output()?;
    let manifest = manifest.canonicalize()?;
    let mut diags = Vec::new();
    let build_failed = !out.status.success();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-message" {
            continue;
        }
        let ours = v["manifest_path"]
            .as_str()
            .and_then(|p| Path::new(p).canonicalize().ok())
            .is_some_and(|p| p == manifest);
        if !ours {
            continue;
        }
        let m = &v["message"];
        let level = m["level"].as_str().unwrap_or_default();
        let message = m["message"].as_str().unwrap_or_default().to_string();
        if message.starts_with("aborting due to") {
            continue;
        }
        let mut places = Vec::new();
        spans(m, &mut places);
        for child in m["children"].as_array().into_iter().flatten() {
            spans(child, &mut places);
        }
        let is_error = level.starts_with("error");
        diags.push(Diag {
            is_error,
            code: m["code"]["code"].as_str().map(str::to_string),
            message,
            rendered: m["rendered"].as_str().unwrap_or_default().to_string(),
            places,
            primary: primary(m),
        });
    }
    if build_failed && !diags.iter().any(|d| d.is_error) {
        // cargo failed before rustc said anything about this crate (a dependency, the
        // manifest): report it as an error with no place.
        diags.push(Diag {
            is_error: true,
            code: None,
            message: "cargo failed".into(),
            rendered: String::from_utf8_lossy(&out.stderr).into_owned(),
            places: Vec::new(),
            primary: None,
        });
    }
    Ok(diags)
}

/// The places of one diagnostic: primary spans with their expansion call sites, then the
/// other spans.
/// The primary span's first source line, split at the span's start: (before, the span's
/// part of that line).
fn primary(m: &Value) -> Option<(String, String)> {
    let span = m["spans"]
        .as_array()?
        .iter()
        .find(|s| s["is_primary"] == true)?;
    let line = &span["text"].as_array()?.first()?;
    let text: Vec<char> = line["text"].as_str()?.chars().collect();
    let start = (line["highlight_start"].as_u64()? as usize).saturating_sub(1);
    let end = (line["highlight_end"].as_u64()? as usize).saturating_sub(1);
    let (start, end) = (
        start.min(text.len()),
        end.min(text.len()).max(start.min(text.len())),
    );
    Some((
        text[..start].iter().collect(),
        text[start..end].iter().collect(),
    ))
}

fn spans(m: &Value, out: &mut Vec<(PathBuf, usize)>) {
    let all = m["spans"].as_array().cloned().unwrap_or_default();
    for primary in [true, false] {
        for s in all.iter().filter(|s| s["is_primary"] == primary) {
            let mut s = s;
            loop {
                if let (Some(f), Some(l)) = (s["file_name"].as_str(), s["line_start"].as_u64()) {
                    out.push((PathBuf::from(f), l as usize));
                }
                match s.get("expansion").filter(|e| !e.is_null()) {
                    Some(e) => s = &e["span"],
                    None => break,
                }
            }
        }
    }
}

/// The id of the marker named in an "unused variable: `corio_marker_ID`" warning.
pub(crate) fn marker(d: &Diag) -> Option<usize> {
    d.message
        .strip_prefix("unused variable: `corio_marker_")?
        .strip_suffix('`')?
        .parse()
        .ok()
}
