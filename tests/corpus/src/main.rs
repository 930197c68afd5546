//! The compile corpus: real crates, every function body copied into a generator twin
//! (`#[corio::coroutine(yield = ())]`, `yield_!(())` between statements and in a few operand
//! positions), compiled next to the originals; each function classified.
//!
//! ```text
//! corio-corpus [--work DIR] [--report DIR] [--no-unsafe-yields] [--debug-macros] CRATE...
//! ```
//!
//! `CRATE` is a crate source directory, or a crate name (`itoa`, `itoa-1.0.19`) looked up in
//! cargo's registry sources (fetched there first when missing: `cargo fetch` of a throwaway
//! package in `--work` that depends on it). Each crate is
//! copied into `--work` (default: a `corio-corpus` directory in the system temp dir), given a
//! path dependency on this workspace's `corio`, and checked with `cargo rustc --profile
//! check`. Twins that fail are removed and the crate checked again until it is clean, so
//! that errors of later compiler stages are seen too; then the markers next to the twins tell
//! which twins the build compiled at all (`cfg`).
//!
//! Outcomes per function, after README's "What the pass rejects (the complete list)":
//! `compiles`; `rule (corio's error)` (a spanned error of the pass, each a listed case);
//! `rule (rustc's error)` (the cases listed as rustc's own: a borrow the pass does not see,
//! a partial move, a `return`/`?` inside a macro); `other` (any other error: a pass bug;
//! the key is the first other error); `not compiled` (the
//! build's `cfg` leaves it out); `skipped: <reason>` (no twin possible: `unsafe fn`, inside
//! a macro, a trait impl for a foreign type).
//!
//! `--report DIR` writes `DIR/<crate>.txt`: every function that did not compile, its twin
//! and rustc's diagnostics; and `DIR/<crate>.tsv`: every function's outcome.

mod diag;
mod modules;
mod twin;
mod yields;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::diag::Diag;
use crate::twin::{CrateInfo, Func};

/// How many times a crate is re-checked after removing the twins that failed.
const MAX_ROUNDS: usize = 12;

fn main() -> ExitCode {
    let mut work = std::env::temp_dir().join("corio-corpus");
    let mut report = None;
    let mut opts = Options {
        no_unsafe_yields: false,
        opt_macros: true,
    };
    let mut crates = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--work" => work = args.next().map(PathBuf::from).unwrap_or(work),
            "--report" => report = args.next().map(PathBuf::from),
            "--no-unsafe-yields" => opts.no_unsafe_yields = true,
            "--debug-macros" => opts.opt_macros = false,
            "-h" | "--help" => {
                println!(
                    "usage: corio-corpus [--work DIR] [--report DIR] [--no-unsafe-yields] [--debug-macros] CRATE..."
                );
                return ExitCode::SUCCESS;
            }
            _ => crates.push(arg),
        }
    }
    if crates.is_empty() {
        eprintln!(
            "usage: corio-corpus [--work DIR] [--report DIR] [--no-unsafe-yields] [--debug-macros] CRATE..."
        );
        return ExitCode::FAILURE;
    }
    let missing: Vec<&String> = crates.iter().filter(|c| find_crate(c).is_none()).collect();
    if !missing.is_empty()
        && let Err(e) = fetch(&work, &missing)
    {
        eprintln!("corpus: cargo fetch failed: {e}");
        return ExitCode::FAILURE;
    }
    let mut totals = Counts::default();
    let mut rows = Vec::new();
    for name in &crates {
        let Some(src) = find_crate(name) else {
            eprintln!(
                "corpus: no crate source `{name}` (a directory, or a crate in cargo's registry sources)"
            );
            return ExitCode::FAILURE;
        };
        match run_crate(&src, &work, report.as_deref(), &opts) {
            Ok((label, counts)) => {
                totals.add(&counts);
                rows.push((label, counts));
            }
            Err(e) => {
                eprintln!("corpus: {}: {e}", src.display());
                return ExitCode::FAILURE;
            }
        }
    }
    println!();
    println!("{}", Counts::header());
    for (label, c) in &rows {
        println!("{}", c.row(label));
    }
    println!("{}", totals.row("total"));
    println!();
    for (key, n) in &totals.ours {
        println!("rule (corio's error): {n} × {key}");
    }
    for (key, n) in &totals.rustc {
        println!("rule (rustc's error): {n} × {key}");
    }
    for (key, n) in &totals.other {
        println!("other: {n} × {key}");
    }
    for (key, n) in &totals.skipped {
        println!("skipped: {n} × {key}");
    }
    ExitCode::SUCCESS
}

/// Command-line switches.
#[derive(Debug)]
struct Options {
    /// `--no-unsafe-yields`: no suspension points inside `unsafe { }` blocks.
    no_unsafe_yields: bool,
    /// Build the pass optimised (`--debug-macros` turns it off).
    opt_macros: bool,
}

/// What happened to one function.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Compiles,
    /// corio's spanned error for a case README's "What the pass rejects" lists (its message).
    OurRule(String),
    /// rustc's error for a case that list gives to rustc (`BORROW_NOT_SEEN`, `PARTIAL_MOVE`,
    /// `MACRO_RETURN`).
    RustcRule(&'static str),
    /// Any other error (the first one's code and message): a pass bug.
    Other(String),
    NotCompiled,
    /// The build never got clean (errors outside any twin).
    Unknown,
    Skipped(&'static str),
}

impl Outcome {
    fn label(&self) -> String {
        match self {
            Outcome::Compiles => "compiles".into(),
            Outcome::OurRule(key) => format!("rule (corio's error): {key}"),
            Outcome::RustcRule(key) => format!("rule (rustc's error): {key}"),
            Outcome::Other(key) => format!("other: {key}"),
            Outcome::NotCompiled => "not compiled".into(),
            Outcome::Unknown => "build unfinished".into(),
            Outcome::Skipped(why) => format!("skipped: {why}"),
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    functions: usize,
    compiles: usize,
    ours: BTreeMap<String, usize>,
    rustc: BTreeMap<&'static str, usize>,
    other: BTreeMap<String, usize>,
    not_compiled: usize,
    unknown: usize,
    skipped: BTreeMap<&'static str, usize>,
}

impl Counts {
    fn add_outcome(&mut self, o: &Outcome) {
        self.functions += 1;
        match o {
            Outcome::Compiles => self.compiles += 1,
            Outcome::OurRule(key) => *self.ours.entry(key.clone()).or_default() += 1,
            Outcome::RustcRule(key) => *self.rustc.entry(key).or_default() += 1,
            Outcome::Other(key) => *self.other.entry(key.clone()).or_default() += 1,
            Outcome::NotCompiled => self.not_compiled += 1,
            Outcome::Unknown => self.unknown += 1,
            Outcome::Skipped(why) => *self.skipped.entry(why).or_default() += 1,
        }
    }

    fn add(&mut self, c: &Counts) {
        self.functions += c.functions;
        self.compiles += c.compiles;
        for (k, n) in &c.ours {
            *self.ours.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &c.rustc {
            *self.rustc.entry(k).or_default() += n;
        }
        for (k, n) in &c.other {
            *self.other.entry(k.clone()).or_default() += n;
        }
        self.not_compiled += c.not_compiled;
        self.unknown += c.unknown;
        for (k, n) in &c.skipped {
            *self.skipped.entry(k).or_default() += n;
        }
    }

    fn header() -> String {
        "| crate | functions | compiles | rule: corio's error | rule: rustc, a borrow the pass does not see | rule: rustc, partial move | rule: rustc, `return`/`?` in a macro | rule: rustc, implied bound (F18) | rule: rustc, E0700 (F10) | other error | not compiled (cfg) | skipped | build unfinished |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|".into()
    }

    fn row(&self, label: &str) -> String {
        let rustc = |k| self.rustc.get(k).copied().unwrap_or(0);
        format!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.functions,
            self.compiles,
            self.ours.values().sum::<usize>(),
            rustc(BORROW_NOT_SEEN),
            rustc(PARTIAL_MOVE),
            rustc(MACRO_RETURN),
            rustc(IMPLIED_BOUND),
            rustc(HIDDEN_LIFETIME),
            self.other.values().sum::<usize>(),
            self.not_compiled,
            self.skipped.values().sum::<usize>(),
            self.unknown
        )
    }
}

/// A directory, or `name` / `name-version` in cargo's registry sources (the highest version).
fn find_crate(name: &str) -> Option<PathBuf> {
    let p = Path::new(name);
    if p.join("Cargo.toml").is_file() {
        return Some(p.to_path_buf());
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let mut best: Option<(Vec<u64>, PathBuf)> = None;
    for index in std::fs::read_dir(home.join("registry/src")).ok()?.flatten() {
        for entry in std::fs::read_dir(index.path()).ok()?.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let version = if file_name == name {
                vec![u64::MAX]
            } else if let Some(v) = file_name.strip_prefix(&format!("{name}-")) {
                // `1.1.6+spec-1.1.0`: the numbers up to the first part that is not one
                let v: Vec<u64> = v
                    .split(['.', '-', '+'])
                    .map_while(|p| p.parse().ok())
                    .collect();
                if v.is_empty() {
                    continue;
                }
                v
            } else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _)| version > *b) {
                best = Some((version, entry.path()));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Brings crates into cargo's registry sources: a throwaway package depending on each
/// (`name` = newest, `name-1.2.3` = that version), `cargo fetch`ed.
fn fetch(work: &Path, names: &[&String]) -> std::io::Result<()> {
    let dir = work.join("fetch");
    std::fs::create_dir_all(dir.join("src"))?;
    let mut manifest = String::from(
        "[package]\nname = \"corio-corpus-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n",
    );
    for name in names {
        // `name-1.2.3`: the last `-` followed by a digit starts the version
        let split = name
            .match_indices('-')
            .map(|(i, _)| i)
            .rfind(|&i| name[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
        let (crate_name, version) = match split {
            Some(i) => (&name[..i], format!("={}", &name[i + 1..])),
            None => (name.as_str(), "*".to_string()),
        };
        writeln!(manifest, "{crate_name} = {version:?}").map_err(io_err)?;
    }
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src/lib.rs"), "")?;
    eprintln!("corpus: cargo fetch {names:?}");
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .arg("fetch")
            .arg("--manifest-path")
            .arg(dir.join("Cargo.toml"))
            .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io_err(format!("cargo fetch: {status}")))
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// This workspace's root (the tool is built from `tests/corpus`).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `[lib] path`, or `src/lib.rs`.
fn lib_root(manifest: &str) -> PathBuf {
    let mut in_lib = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_lib = line == "[lib]";
        } else if in_lib && let Some(rest) = line.strip_prefix("path") {
            let value = rest.trim_start().trim_start_matches('=').trim();
            return PathBuf::from(value.trim_matches('"'));
        }
    }
    PathBuf::from("src/lib.rs")
}

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// The whole run for one crate: its label (`name-version`) and counts.
fn run_crate(
    src: &Path,
    work: &Path,
    report: Option<&Path>,
    opts: &Options,
) -> std::io::Result<(String, Counts)> {
    let label = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = work.join(&label);
    let target = work.join("target");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    copy_dir(src, &dir)?;
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    let runtime = workspace().join("runtime").canonicalize()?;
    let mut patched = manifest.clone();
    write!(
        patched,
        "\n[dependencies.corio]\npath = {:?}\n",
        runtime.display().to_string()
    )
    .map_err(io_err)?;
    if !manifest.lines().any(|l| l.trim() == "[workspace]") {
        patched.push_str("\n[workspace]\n");
    }
    // the pass expands thousands of twins: an optimised proc macro (not worth its build time
    // for a handful, `--debug-macros`)
    if opts.opt_macros && !manifest.contains("[profile.dev.build-override]") {
        patched.push_str("\n[profile.dev.build-override]\nopt-level = 3\n");
    }
    std::fs::write(dir.join("Cargo.toml"), patched)?;
    // the same dependency versions as the workspace where possible
    if !dir.join("Cargo.lock").exists() {
        let _ = std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock"));
    }

    eprintln!("corpus: {label}: checking the crate as it is");
    let baseline = diag::check(&dir, &target)?;
    if let Some(e) = baseline.iter().find(|d| d.is_error) {
        return Err(io_err(format!(
            "does not build standalone:\n{}",
            e.rendered
        )));
    }

    let files = modules::files(&dir, &lib_root(&manifest));
    let mut sources = Vec::new();
    let mut info = CrateInfo {
        no_unsafe_yields: opts.no_unsafe_yields,
        ..CrateInfo::default()
    };
    for f in &files {
        let text = std::fs::read_to_string(dir.join(f))?;
        match syn::parse_file(&text) {
            Ok(parsed) => {
                info.add_file(&parsed);
                sources.push((f.clone(), text));
            }
            Err(e) => eprintln!(
                "corpus: {label}: {} does not parse ({e}); left alone",
                f.display()
            ),
        }
    }

    let mut excluded = BTreeSet::new();
    let mut failures: BTreeMap<usize, Vec<Diag>> = BTreeMap::new();
    let mut compiled = None;
    let mut unattributed = Vec::new();
    let mut funcs: Vec<Func> = Vec::new();
    let mut twin_text: BTreeMap<usize, String> = BTreeMap::new();
    for round in 1..=MAX_ROUNDS {
        funcs.clear();
        let mut next_id = 0;
        let mut ranges = Vec::new();
        for (f, text) in &sources {
            let t = twin::twin_file(f, text, &info, &mut next_id, &excluded, &mut funcs)
                .map_err(io_err)?;
            let lines: Vec<&str> = t.text.lines().collect();
            for tw in &t.twins {
                twin_text
                    .entry(tw.id)
                    .or_insert_with(|| lines[tw.first - 1..tw.last].join("\n"));
            }
            std::fs::write(dir.join(f), &t.text)?;
            ranges.push((f.clone(), t.twins));
        }
        let twins = next_id - excluded.len();
        eprintln!("corpus: {label}: round {round}: checking {twins} twins");
        let diags = diag::check(&dir, &target)?;
        let errors: Vec<&Diag> = diags.iter().filter(|d| d.is_error).collect();
        if errors.is_empty() {
            compiled = Some(
                diags
                    .iter()
                    .filter_map(diag::marker)
                    .collect::<BTreeSet<_>>(),
            );
            break;
        }
        let mut failed = BTreeSet::new();
        unattributed.clear();
        for d in errors {
            let owner = d.places.iter().find_map(|(file, line)| {
                let (_, twins) = ranges.iter().find(|(f, _)| f == file)?;
                twins
                    .iter()
                    .find(|t| (t.first..=t.last).contains(line))
                    .map(|t| t.id)
            });
            match owner {
                Some(id) => {
                    failures.entry(id).or_default().push(d.clone());
                    failed.insert(id);
                }
                None => unattributed.push(d.clone()),
            }
        }
        if failed.is_empty() {
            break;
        }
        excluded.extend(failed);
    }

    let mut counts = Counts::default();
    let mut text = String::new();
    let mut table = String::new();
    for f in &funcs {
        let outcome = match (f.twin, &compiled) {
            (Err(why), _) => Outcome::Skipped(why),
            (Ok(id), _) if failures.contains_key(&id) => classify(&failures[&id]),
            (Ok(id), Some(marked)) if marked.contains(&id) => Outcome::Compiles,
            (Ok(_), Some(_)) => Outcome::NotCompiled,
            (Ok(_), None) => Outcome::Unknown,
        };
        counts.add_outcome(&outcome);
        let _ = writeln!(
            table,
            "{}\t{}:{}\t{}",
            outcome.label(),
            f.file.display(),
            f.line,
            f.name
        );
        if let (Ok(id), Outcome::OurRule(_) | Outcome::RustcRule(_) | Outcome::Other(_)) =
            (f.twin, &outcome)
        {
            let _ = writeln!(
                text,
                "=== {} ({}:{}) — {:?}\n{}\n",
                f.name,
                f.file.display(),
                f.line,
                outcome,
                twin_text.get(&id).map(String::as_str).unwrap_or_default()
            );
            for d in failures[&id].iter().take(3) {
                let _ = writeln!(text, "{}", d.rendered);
            }
        }
    }
    if !unattributed.is_empty() {
        eprintln!(
            "corpus: {label}: {} errors outside every twin; the build did not finish",
            unattributed.len()
        );
        let _ = writeln!(text, "=== errors outside every twin");
        for d in &unattributed {
            eprintln!("{}", d.rendered);
            let _ = writeln!(text, "{}", d.rendered);
        }
    }
    if let Some(report) = report {
        std::fs::create_dir_all(report)?;
        std::fs::write(report.join(format!("{label}.txt")), text)?;
        std::fs::write(report.join(format!("{label}.tsv")), table)?;
    }
    eprintln!("{}", counts.row(&label));
    Ok((label, counts))
}

/// rustc's borrow-checker errors about a borrow of the coroutine's own data held across a
/// suspension point that the pass did not see (README: "rustc's own errors").
const BORROW_NOT_SEEN: &str = "a borrow the pass does not see";
/// rustc's "use of partially moved value" (README: "rustc's own errors").
const PARTIAL_MOVE: &str = "partial move";
/// A `return` or `?` inside a `macro_rules!` macro the body calls: rustc's type error inside
/// the macro, about the step's return type (README: "rustc's own errors").
const MACRO_RETURN: &str = "return or ? inside a macro";
/// "lifetime may not live long enough" on a generic return type whose fields imply an outlives
/// bound the plain fn gets and `impl Coroutine<Return = …>` does not (README: "rustc's own
/// errors", remedy `where 'new: 'a`; F18).
const IMPLIED_BOUND: &str = "an outlives bound a generic return type implies";
/// E0700 at the attribute: a local kept across a point whose type holds the intersection of
/// two arguments' lifetimes (README: "rustc's own errors", remedy one named lifetime; F10).
const HIDDEN_LIFETIME: &str = "a local's type holds two arguments' lifetimes";

/// The borrow checker's codes.
const BORROWCK: &[&str] = &[
    "E0499", "E0502", "E0503", "E0505", "E0506", "E0597", "E0713", "E0716",
];

/// One twin's errors: a rule README lists (ours when every error is corio's; rustc's when
/// every error is the borrow checker's, or one is a `return`/`?` misdirected by a macro),
/// else the first other error.
fn classify(errors: &[Diag]) -> Outcome {
    let ours = |d: &Diag| {
        d.code.is_none()
            && [
                "suspension point",
                "yield_!",
                "`.await`",
                "#[corio::coroutine]",
            ]
            .iter()
            .any(|k| d.message.contains(k))
    };
    // (a local `macro_rules!` the pass renamed apart shows as "originates in the macro
    // `__corio_macro1_item`", without "in this macro invocation")
    let macro_return = |d: &Diag| {
        matches!(d.code.as_deref(), Some("E0308" | "E0277"))
            && (d.rendered.contains("in this macro invocation")
                || d.rendered.contains("this error originates in the macro `"))
            && d.rendered.contains("CoroutineState")
    };
    let partial =
        |d: &Diag| d.code.as_deref() == Some("E0382") && d.message.contains("partially moved");
    let borrowck = |d: &Diag| d.code.as_deref().is_some_and(|c| BORROWCK.contains(&c));
    if errors.iter().any(macro_return) {
        return Outcome::RustcRule(MACRO_RETURN);
    }
    // F18: on the return type itself (`-> Iter<'a, &'new str>`), with rustc's own remedy.
    let implied_bound = |d: &Diag| {
        d.code.is_none()
            && d.message == "lifetime may not live long enough"
            && d.rendered
                .contains("consider adding the following bound: `'")
            && d.primary.as_ref().is_some_and(|(before, ty)| {
                before.trim_end().ends_with("->") && ty.contains('<') && ty.contains('\'')
            })
    };
    if errors.iter().all(implied_bound) {
        return Outcome::RustcRule(IMPLIED_BOUND);
    }
    // F10: the hidden type of the coroutine's `impl …` (at the attribute) captures a lifetime
    // that is none of the signature's own.
    let hidden_lifetime = |d: &Diag| {
        d.code.as_deref() == Some("E0700")
            && d.message.starts_with("hidden type for `impl ")
            && d.message
                .contains("captures lifetime that does not appear in bounds")
            && d.primary.as_ref().is_some_and(|(before, at)| {
                before.trim().is_empty() && at.starts_with("#[corio::coroutine")
            })
    };
    if errors.iter().all(hidden_lifetime) {
        return Outcome::RustcRule(HIDDEN_LIFETIME);
    }
    if errors.iter().all(ours) {
        return Outcome::OurRule(key(&errors[0], 70));
    }
    // In a generic fn rustc adds "the parameter type `P` may not live long enough" (E0310,
    // E0311) next to the borrow error; README lists it with the borrow (F16).
    let generic_outlives = |d: &Diag| {
        matches!(d.code.as_deref(), Some("E0310" | "E0311")) && errors.iter().any(borrowck)
    };
    // The same for E0700 at the attribute next to a borrow error: the frame's type holds the
    // borrow's lifetime (num-bigint's `mac3`: `for … in [&r0, &r1].iter()` across points).
    let borrow_hidden = |d: &Diag| hidden_lifetime(d) && errors.iter().any(borrowck);
    if errors
        .iter()
        .all(|d| borrowck(d) || partial(d) || generic_outlives(d) || borrow_hidden(d))
    {
        return Outcome::RustcRule(if errors.iter().any(partial) {
            PARTIAL_MOVE
        } else {
            BORROW_NOT_SEEN
        });
    }
    let d = errors
        .iter()
        .find(|d| {
            !(ours(d) || borrowck(d) || partial(d) || generic_outlives(d) || borrow_hidden(d))
        })
        .unwrap_or(&errors[0]);
    Outcome::Other(key(d, 110))
}

/// `E0308 mismatched types`: the code and the first line of the message, cut at `max`.
fn key(d: &Diag, max: usize) -> String {
    let mut key: String = d.message.lines().next().unwrap_or_default().into();
    if key.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|&i| key.is_char_boundary(i))
            .unwrap_or(0);
        key.truncate(cut);
        key.push('…');
    }
    match &d.code {
        Some(code) => format!("{code} {key}"),
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(code: &str, message: &str) -> Diag {
        Diag {
            is_error: true,
            code: Some(code.into()),
            message: message.into(),
            rendered: String::new(),
            places: Vec::new(),
            primary: None,
        }
    }

    #[test]
    fn a_generic_outlives_error_next_to_a_borrow_is_the_borrow() {
        let borrow = diag("E0597", "`item` does not live long enough");
        let outlives = diag("E0310", "the parameter type `P` may not live long enough");
        assert_eq!(
            classify(&[borrow, outlives.clone()]),
            Outcome::RustcRule(BORROW_NOT_SEEN)
        );
        assert!(matches!(classify(&[outlives]), Outcome::Other(_)));
    }

    #[test]
    fn an_implied_bound_on_the_return_type_is_f18_and_nothing_else() {
        let mut d = diag("", "lifetime may not live long enough");
        d.code = None;
        d.rendered = "help: consider adding the following bound: `'new: 'a`".into();
        d.primary = Some((") -> ".into(), "Iter<'a, &'new str, u8>".into()));
        assert_eq!(classify(&[d.clone()]), Outcome::RustcRule(IMPLIED_BOUND));
        // the same message on a statement of the body is not this case
        d.primary = Some(("    ".into(), "v".into()));
        assert!(matches!(classify(&[d]), Outcome::Other(_)));
    }

    #[test]
    fn e0700_at_the_attribute_is_f10_and_nothing_else() {
        let mut d = diag(
            "E0700",
            "hidden type for `impl Coroutine<Yield = (), Return = bool> + Inspect + Debug` captures lifetime that does not appear in bounds",
        );
        d.primary = Some((String::new(), "#[corio::coroutine(yield = ())]".into()));
        assert_eq!(classify(&[d.clone()]), Outcome::RustcRule(HIDDEN_LIFETIME));
        let borrow = diag("E0716", "temporary value dropped while borrowed");
        assert_eq!(
            classify(&[borrow, d.clone()]),
            Outcome::RustcRule(BORROW_NOT_SEEN)
        );
        d.primary = Some(("    ".into(), "x".into()));
        assert!(matches!(classify(&[d]), Outcome::Other(_)));
    }
}
