//! `corio-diffrun --digest FILE` and `--changed OLD,NEW`: what lets a scale run's results carry
//! over to a later pass honestly. A program's outcome depends on its text, on what the pass
//! makes of it, and on the runtime and test support it runs against; the digest file records
//! the first two per program, and a hash of the last two per checkout. Between two digest
//! files of the same seed, a program whose line is identical needs no new build: rustc would
//! see the same tokens (the digest ignores spans, so a change of hygiene only — a
//! `Span::mixed_site` for a `call_site` — is invisible to it: check the pass's diff for those).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The test written into the copy of the checkout's `macros/src`.
const TOOL: &str = include_str!("expand_digest.rs");

/// FNV-1a, 64 bits (as in the tool).
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A hash of what the programs run against besides the pass: `runtime/` (sources and manifest)
/// and `tests/support.rs`, in path order.
fn runtime_hash(root: &Path) -> u64 {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "toml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root.join("runtime/src"), &mut files);
    files.push(root.join("runtime/Cargo.toml"));
    files.push(root.join("tests/support.rs"));
    files.sort();
    let mut h = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let rel = f.strip_prefix(root).unwrap_or(&f);
        h = fnv(rel.to_string_lossy().as_bytes(), h);
        h = fnv(&std::fs::read(&f).unwrap_or_default(), h);
    }
    h
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Copies `from` into `to` (files and directories) but `lib.rs`.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a copy");
    for e in std::fs::read_dir(from).expect("read a directory").flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if e.file_name() == "lib.rs" {
            continue;
        } else if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            let text = std::fs::read(&p).expect("read a file");
            if std::fs::read(&dest).ok().as_deref() != Some(&text[..]) {
                std::fs::write(&dest, text).expect("write a file");
            }
        }
    }
}

/// Expands `programs` (name, text) with the pass of `root` and writes the digest file `out`.
/// `header` goes into its first line (what was generated).
pub(crate) fn write(
    root: &Path,
    work: &Path,
    programs: &[(String, String)],
    header: &str,
    out: &Path,
) -> Result<(), String> {
    let dir = work.join("digest");
    let input = dir.join("in");
    let _ = std::fs::remove_dir_all(&input);
    std::fs::create_dir_all(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    for (name, source) in programs {
        std::fs::write(input.join(format!("{name}.rs")), source)
            .map_err(|e| format!("write {name}: {e}"))?;
    }
    // A workspace of one member, a copy of the checkout's `macros` with the tool appended.
    let ws = dir.join("ws");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("{}/Cargo.toml: {e}", root.display()))?;
    let manifest: String = manifest
        .lines()
        .map(|l| {
            if l.starts_with("members = ") {
                "members = [\"macros\"]".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let macros = ws.join("macros");
    // Files are rewritten only when they differ, so that cargo rebuilds the copy only for a
    // new pass (a file left from another checkout's pass is no module of this one: ignored).
    copy_dir(&root.join("macros/src"), &macros.join("src"));
    let read = |p: &str| std::fs::read(root.join(p)).map_err(|e| format!("{p}: {e}"));
    write_if_changed(&macros.join("Cargo.toml"), &read("macros/Cargo.toml")?)?;
    write_if_changed(&ws.join("Cargo.toml"), (manifest + "\n").as_bytes())?;
    write_if_changed(&ws.join("Cargo.lock"), &read("Cargo.lock")?)?;
    let mut lib = std::fs::read_to_string(root.join("macros/src/lib.rs"))
        .map_err(|e| format!("macros/src/lib.rs: {e}"))?;
    lib.push_str("\n#[cfg(test)]\nmod corio_digest;\n");
    write_if_changed(&macros.join("src/lib.rs"), lib.as_bytes())?;
    write_if_changed(&macros.join("src/corio_digest.rs"), TOOL.as_bytes())?;
    let raw = dir.join("digest.tsv");
    let _ = std::fs::remove_file(&raw);
    let status = Command::new("cargo")
        .args(["test", "--offline", "--lib", "-p", "corio-macros", "-q"])
        .args(["corio_digest::corio_digest", "--", "--ignored", "--exact"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        // Expanding 625 programs takes 30 CPU s unoptimized.
        .env("CARGO_PROFILE_TEST_OPT_LEVEL", "2")
        .env("CORIO_DIGEST_IN", &input)
        .env("CORIO_DIGEST_OUT", &raw)
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("run cargo: {e}"))?;
    let lines = std::fs::read_to_string(&raw)
        .map_err(|e| format!("the tool wrote no digests ({status}): {e}"))?;
    if lines.lines().count() != programs.len() {
        return Err(format!(
            "{} digests for {} programs",
            lines.lines().count(),
            programs.len()
        ));
    }
    let text = format!(
        "# {header}; pass {}; runtime+support {:016x}\n{lines}",
        root.display(),
        runtime_hash(root)
    );
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))
}

/// The programs whose line is not the same in every digest file of `files` (a program missing
/// from one counts as changed), in order; a note on stderr when the runtime or test support
/// differ (then every program's outcome may differ: judge the diff before carrying any).
pub(crate) fn changed(files: &[&Path]) -> Result<Vec<String>, String> {
    let mut tables: Vec<BTreeMap<String, String>> = Vec::new();
    let mut runtimes = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let mut table = BTreeMap::new();
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("# ") {
                runtimes.push(
                    h.rsplit("runtime+support ")
                        .next()
                        .unwrap_or("")
                        .to_string(),
                );
                continue;
            }
            let (name, rest) = line.split_once('\t').unwrap_or((line, ""));
            table.insert(name.to_string(), rest.to_string());
        }
        tables.push(table);
    }
    runtimes.dedup();
    if runtimes.len() > 1 {
        eprintln!(
            "corio-diffrun: the runtime or tests/support.rs differ between these checkouts \
             ({}): an unchanged expansion runs against different code",
            runtimes.join(" vs ")
        );
    }
    let mut names: Vec<&String> = tables.iter().flat_map(|t| t.keys()).collect();
    names.sort_by_key(|n| {
        let (kind, i) = n.rsplit_once('_').unwrap_or((n, "0"));
        (kind.to_string(), i.parse::<usize>().unwrap_or(0))
    });
    names.dedup();
    Ok(names
        .into_iter()
        .filter(|n| {
            let first = tables[0].get(*n);
            first.is_none() || tables.iter().any(|t| t.get(*n) != first)
        })
        .cloned()
        .collect())
}
