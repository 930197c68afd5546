//! The scale runner of the differential tests: generates programs for a seed range, compiles
//! them in batches (each batch a crate of a scratch workspace under `target/diffrun`), runs
//! them, and prints counts.
//!
//! ```text
//! cargo run --release -p corio-diffgen --bin corio-diffrun -- --seed 1000 --programs 20000 --async-programs 5000
//! cargo run --release -p corio-diffgen --bin corio-diffrun -- --seed 7 --programs 200 --async-programs 0 --features ci,+bare_arms
//! ```
//!
//! Every program is classified:
//!
//! * **passed**: both forms compile and the test compares them without a divergence;
//! * **divergence**: both compile, the test fails (the panic message is saved);
//! * **coroutine-only compile failure**: the plain form compiles and the `#[corio::coroutine]`
//!   form does not, with any error other than the allowed ones below: a bug of the pass;
//! * **allowed rule error**: the coroutine form fails only with corio's spanned borrowing-rule
//!   error, or rustc's partial-move error across a suspension point (README, "What a
//!   suspended coroutine keeps" and "The borrowing rule");
//! * **invalid program**: the plain form itself does not compile: a bug of the generator.
//!
//! Each failure is saved to `--out` (default `target/diffrun/failures`): the program, the
//! errors, and a minimized copy (statements removed while the plain form still compiles and the
//! coroutine form still fails with the same error code) for the first failures of each
//! distinct error. The exit status is non-zero when any program failed, diverged or was invalid.
//! Builds happen in `--work` (default `target/diffrun`); two runs at once need two of them.
//! `--root` is the corio checkout whose `runtime`, `macros` and `tests/support.rs` are used
//! (default: this workspace; a copy keeps a long run on one version while you work).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use corio_diffgen::{Features, async_case_source_with, case_source_with};

#[path = "../digest.rs"]
mod digest;

/// A generated program in a batch.
#[derive(Clone)]
struct Prog {
    is_async: bool,
    seed: u64,
    index: usize,
    /// The module's name: `case_N` / `async_case_N`.
    name: String,
    source: String,
}

impl Prog {
    fn new(is_async: bool, seed: u64, index: usize, features: Features) -> Self {
        let name = if is_async {
            format!("async_case_{index}")
        } else {
            format!("case_{index}")
        };
        let source = if is_async {
            async_case_source_with(&name, seed, index, features)
        } else {
            case_source_with(&name, seed, index, features)
        };
        Prog {
            is_async,
            seed,
            index,
            name,
            source,
        }
    }

    /// The command that prints it.
    fn command(&self, features: Features) -> String {
        let a = if self.is_async { "--async " } else { "" };
        format!(
            "cargo run -p corio-diffgen -- {a}--features {} --seed {} --case {}",
            features.names(),
            self.seed,
            self.index
        )
    }

    /// The module without the coroutine and the test: only the oracle, which must compile.
    fn plain_only(&self) -> Prog {
        let lines: Vec<&str> = self.source.lines().collect();
        let coro = lines
            .iter()
            .position(|l| l.starts_with("#[corio::coroutine") || l.starts_with("impl S {"))
            .unwrap_or(0);
        let plain = lines.iter().position(|l| l.starts_with("mod plain {"));
        let harness = lines
            .iter()
            .position(|l| l.starts_with("fn drive_coro(") || l.starts_with("#[test]"));
        let (Some(plain), Some(harness)) = (plain, harness) else {
            return self.clone();
        };
        let mut source = String::new();
        for l in lines[..coro].iter().chain(&lines[plain..harness]) {
            source.push_str(l);
            source.push('\n');
        }
        source.push_str("}\n");
        Prog {
            source,
            ..self.clone()
        }
    }

    /// Which part of the module a line (0-based, within the module's text) is in.
    fn part(&self, line: usize) -> Part {
        let mut plain_start = None;
        let mut harness_start = None;
        for (i, l) in self.source.lines().enumerate() {
            if plain_start.is_none() && l.starts_with("mod plain {") {
                plain_start = Some(i);
            }
            if l.starts_with("fn drive_coro(") || l.starts_with("#[test]") {
                harness_start.get_or_insert(i);
            }
        }
        match (plain_start, harness_start) {
            (_, Some(h)) if line >= h => Part::Harness,
            (Some(p), _) if line >= p => Part::Plain,
            _ => Part::Coro,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Coro,
    Plain,
    Harness,
}

/// One compiler error located in a program.
#[derive(Clone, Debug)]
struct CompileError {
    /// 1-based line within the program's module text.
    line: usize,
    col: usize,
    /// `error[E0425]: cannot find value …`.
    message: String,
    part: Part,
}

#[derive(Default)]
struct Counts {
    programs: usize,
    async_programs: usize,
    passed: usize,
    divergences: Vec<(Prog, String)>,
    coro_failures: Vec<(Prog, Vec<CompileError>)>,
    allowed: Vec<(Prog, Vec<CompileError>)>,
    /// A `rules` program rejected by rustc's own borrow-check error rather than ours.
    rustc_rule: Vec<(Prog, Vec<CompileError>)>,
    invalid: Vec<(Prog, Vec<CompileError>)>,
    harness: Vec<(Prog, Vec<CompileError>)>,
}

struct Opts {
    seed: u64,
    first: usize,
    programs: usize,
    async_programs: usize,
    batch: usize,
    features: Features,
    out: PathBuf,
    minimize: usize,
    root: PathBuf,
    work: PathBuf,
    /// `--digest FILE`: write the digests of the programs instead of running them.
    digest: Option<PathBuf>,
    /// `--only FILE`: run only the programs named in it (one `case_N` / `async_case_N` a line).
    only: Option<PathBuf>,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: corio-diffrun [--seed S] [--first I] [--programs N] [--async-programs M] \
         [--batch B] [--features all|ci[,+name|,-name…]] [--out DIR] [--work DIR] [--root DIR] [--minimize K] \
         [--only NAMES] [--digest FILE]\n       corio-diffrun --changed OLD.tsv,NEW.tsv[,…]"
    );
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root");
    let mut o = Opts {
        seed: 1000,
        first: 0,
        programs: 200,
        async_programs: 50,
        batch: 250,
        features: Features::all(),
        out: root.join("target/diffrun/failures"),
        minimize: 3,
        work: root.join("target/diffrun"),
        root,
        digest: None,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let Some(value) = args.next() else {
            return usage();
        };
        let num = value.parse::<u64>().ok();
        match (arg.as_str(), num) {
            ("--seed", Some(v)) => o.seed = v,
            ("--first", Some(v)) => o.first = v as usize,
            ("--programs", Some(v)) => o.programs = v as usize,
            ("--async-programs", Some(v)) => o.async_programs = v as usize,
            ("--batch", Some(v)) if v > 0 => o.batch = v as usize,
            ("--minimize", Some(v)) => o.minimize = v as usize,
            ("--out", _) => o.out = PathBuf::from(value),
            ("--work", _) => o.work = PathBuf::from(value),
            ("--root", _) => o.root = PathBuf::from(value),
            ("--digest", _) => o.digest = Some(PathBuf::from(value)),
            ("--only", _) => o.only = Some(PathBuf::from(value)),
            ("--changed", _) => {
                let files: Vec<&Path> = value.split(',').map(Path::new).collect();
                return match digest::changed(&files) {
                    Ok(names) => {
                        for n in names {
                            println!("{n}");
                        }
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("corio-diffrun: {e}");
                        ExitCode::FAILURE
                    }
                };
            }
            ("--features", _) => match Features::parse(&value) {
                Ok(f) => o.features = f,
                Err(e) => {
                    eprintln!("{e}");
                    return usage();
                }
            },
            _ => return usage(),
        }
    }
    let started = Instant::now();
    let only: Option<std::collections::HashSet<String>> = match &o.only {
        None => None,
        Some(f) => match std::fs::read_to_string(f) {
            Ok(text) => Some(
                text.lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect(),
            ),
            Err(e) => {
                eprintln!("corio-diffrun: --only {}: {e}", f.display());
                return ExitCode::FAILURE;
            }
        },
    };
    let wanted = |p: &Prog| only.as_ref().is_none_or(|names| names.contains(&p.name));
    if let Some(file) = &o.digest {
        let programs: Vec<(String, String)> = [(false, o.programs), (true, o.async_programs)]
            .into_iter()
            .flat_map(|(is_async, n)| (o.first..o.first + n).map(move |k| (is_async, k)))
            .map(|(is_async, k)| Prog::new(is_async, o.seed, k, o.features))
            .filter(|p| wanted(p))
            .map(|p| (p.name, p.source))
            .collect();
        let header = format!(
            "seed {}, programs {}..{} (+{} async), features {}",
            o.seed,
            o.first,
            o.first + o.programs,
            o.async_programs,
            o.features.names()
        );
        return match digest::write(&o.root, &o.work, &programs, &header, file) {
            Ok(()) => {
                eprintln!(
                    "corio-diffrun: {} digests written to {} ({:.0} s)",
                    programs.len(),
                    file.display(),
                    started.elapsed().as_secs_f64()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("corio-diffrun: {e}");
                ExitCode::FAILURE
            }
        };
    }
    std::fs::create_dir_all(&o.out).expect("create the failures directory");
    // A snapshot of the test support: editing the worktree during a run changes nothing.
    std::fs::create_dir_all(&o.work).expect("create the work directory");
    let support = std::fs::read_to_string(o.root.join("tests/support.rs")).expect("support.rs");
    write_if_changed(&o.work.join("support.rs"), &support);
    let mut counts = Counts {
        programs: o.programs,
        async_programs: o.async_programs,
        ..Counts::default()
    };
    // Batches of one kind each, interleaved in proportion, so that a run stopped early has
    // checked both kinds.
    let mut kinds: Vec<Vec<Vec<Prog>>> = Vec::new();
    for (is_async, n) in [(false, o.programs), (true, o.async_programs)] {
        let size = if is_async { o.batch / 2 + 1 } else { o.batch };
        let mut list = Vec::new();
        let mut i = o.first;
        while i < o.first + n {
            let end = (i + size).min(o.first + n);
            let batch: Vec<Prog> = (i..end)
                .map(|k| Prog::new(is_async, o.seed, k, o.features))
                .filter(|p| wanted(p))
                .collect();
            if !batch.is_empty() {
                list.push(batch);
            }
            i = end;
        }
        kinds.push(list);
    }
    let mut batches: Vec<Vec<Prog>> = Vec::new();
    let (gens, asyncs) = (kinds[0].len(), kinds[1].len());
    // (`kinds` is [generator batches, async batches].)
    let mut b = kinds.pop().unwrap_or_default().into_iter();
    let mut a = kinds.pop().unwrap_or_default().into_iter();
    let (mut taken_a, mut taken_b) = (0usize, 0usize);
    while taken_a < gens || taken_b < asyncs {
        // Take from the kind that is further behind its share.
        let behind_a = taken_a * asyncs.max(1) <= taken_b * gens.max(1);
        if (behind_a && taken_a < gens) || taken_b >= asyncs {
            batches.extend(a.next());
            taken_a += 1;
        } else {
            batches.extend(b.next());
            taken_b += 1;
        }
    }
    eprintln!(
        "corio-diffrun: seed {}, {} programs + {} async programs from {}, features {}, {} batches",
        o.seed,
        o.programs,
        o.async_programs,
        o.first,
        o.features.names(),
        batches.len()
    );
    // A few batches at a time: a workspace of that many crates, built by one cargo.
    let group = 4;
    let mut saver = Saver::default();
    let (mut done_gen, mut done_async) = (0, 0);
    let mut distinct = BTreeMap::new();
    for (g, chunk) in batches.chunks(group).enumerate() {
        run_group(&o, g, chunk, &mut counts);
        for b in chunk {
            for p in b {
                if p.is_async {
                    done_async += 1;
                } else {
                    done_gen += 1;
                }
            }
        }
        // Saved as it goes: a run stopped early leaves its failures and counts so far.
        distinct = saver.save(&o, &counts);
        let text = report(
            &o,
            &counts,
            &distinct,
            started.elapsed().as_secs_f64(),
            (done_gen, done_async),
        );
        std::fs::write(o.out.join("report.txt"), &text).expect("write the report");
        eprintln!(
            "  {done_gen} + {done_async} async programs done ({:.0} s): {} passed, {} divergences, {} coroutine-only failures, {} allowed, {} invalid",
            started.elapsed().as_secs_f64(),
            counts.passed,
            counts.divergences.len(),
            counts.coro_failures.len(),
            counts.allowed.len(),
            counts.invalid.len()
        );
    }
    print!(
        "{}",
        report(
            &o,
            &counts,
            &distinct,
            started.elapsed().as_secs_f64(),
            (done_gen, done_async)
        )
    );
    let bad = counts.divergences.len()
        + counts.coro_failures.len()
        + counts.invalid.len()
        + counts.harness.len();
    if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Builds and runs a group of batches; classifies every program of them.
fn run_group(o: &Opts, g: usize, batches: &[Vec<Prog>], counts: &mut Counts) {
    let ws = o.work.join("ws");
    // The programs where a documented rule applies (`rules`) are built as crates of their
    // own: most of them fail by design, and a crate that fails is built again without them,
    // so in a batch's crate they would cost every other program of it a second front-end
    // pass (about two thirds of a build).
    let mut live: Vec<Vec<Prog>> = Vec::new();
    for batch in batches {
        let (rules, others): (Vec<Prog>, Vec<Prog>) =
            batch.iter().cloned().partition(|p| has_rule(&p.source));
        live.push(others);
        if !rules.is_empty() {
            live.push(rules);
        }
    }
    let mut failed: HashMap<String, Vec<CompileError>> = HashMap::new();
    // Build, drop the programs that fail, and build again until the rest compiles: rustc
    // reports borrow-check errors only once type-checking passed, so an error in one program
    // can hide another's. (The oracles are not checked on their own first: that cost a
    // front-end pass over every program; the few programs that fail are checked below.)
    for round in 0.. {
        write_workspace(o, &ws, &live);
        let (ok, errors, other) = build(o, &ws, &["test", "--lib", "--no-run", "--no-fail-fast"]);
        if ok {
            break;
        }
        let mut removed = 0;
        for (crate_index, errs) in errors {
            let batch = &mut live[crate_index];
            let located = locate(batch, &errs);
            for (name, e) in located {
                failed.entry(name).or_default().extend(e);
            }
            let before = batch.len();
            batch.retain(|p| !failed.contains_key(&p.name));
            removed += before - batch.len();
        }
        // A parse error in an expansion stops rustc at once: one program per round then,
        // but such rounds end early.
        if removed == 0 || round > 400 {
            eprintln!(
                "corio-diffrun: group {g}: the build fails with errors outside the programs:\n{other}"
            );
            std::process::exit(2);
        }
    }
    // The oracles of the programs that failed, alone: a program whose plain form does not
    // compile is the generator's bug, whatever its coroutine form did. A parse error hides
    // the rest, hence the rounds.
    let mut plains: Vec<Vec<Prog>> = batches
        .iter()
        .map(|b| {
            b.iter()
                .filter(|p| failed.contains_key(&p.name))
                .map(Prog::plain_only)
                .collect()
        })
        .collect();
    let plain_ws = o.work.join("plain");
    let mut invalid = std::collections::HashSet::new();
    for round in 0.. {
        if plains.iter().all(Vec::is_empty) {
            break;
        }
        write_workspace(o, &plain_ws, &plains);
        let (ok, errors, other) = build(
            o,
            &plain_ws,
            &["check", "--lib", "--profile", "test", "--keep-going"],
        );
        if ok {
            break;
        }
        let mut removed = 0;
        for (crate_index, errs) in errors {
            let batch = &mut plains[crate_index];
            for (name, mut e) in locate(batch, &errs) {
                for x in &mut e {
                    x.part = Part::Plain;
                }
                failed.entry(name.clone()).or_default().extend(e);
                invalid.insert(name);
            }
            let before = batch.len();
            batch.retain(|p| !invalid.contains(&p.name));
            removed += before - batch.len();
        }
        if removed == 0 || round > 400 {
            eprintln!("corio-diffrun: group {g}: the oracles fail outside the programs:\n{other}");
            std::process::exit(2);
        }
    }
    // Classify the compile failures.
    for batch in batches {
        for p in batch {
            let Some(errs) = failed.get(&p.name) else {
                continue;
            };
            let entry = (p.clone(), errs.clone());
            if errs.iter().any(|e| e.part == Part::Plain) {
                counts.invalid.push(entry);
            } else if errs.iter().any(|e| e.part == Part::Harness) {
                counts.harness.push(entry);
            } else if errs.iter().all(|e| allowed(&e.message)) {
                counts.allowed.push(entry);
            } else if has_rule(&p.source)
                && errs
                    .iter()
                    .all(|e| allowed(&e.message) || rustc_borrow_error(&e.message))
            {
                counts.rustc_rule.push(entry);
            } else {
                counts.coro_failures.push(entry);
            }
        }
    }
    // Run what compiled.
    let out = Command::new("cargo")
        .args([
            "test",
            "--lib",
            "--offline",
            "--workspace",
            "--no-fail-fast",
            "-q",
        ])
        .arg("--")
        .arg("--test-threads=2")
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", o.work.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failures = test_failures(&stdout);
    for batch in &live {
        for p in batch {
            match failures.get(&p.name) {
                Some(msg) => counts.divergences.push((p.clone(), msg.clone())),
                None => counts.passed += 1,
            }
        }
    }
    let ran: usize = live.iter().map(Vec::len).sum();
    if !out.status.success() && failures.is_empty() && ran > 0 {
        eprintln!(
            "corio-diffrun: group {g}: cargo test failed without a failing program:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(2);
    }
}

/// Whether a coroutine-form error is one of the documented rules.
fn allowed(message: &str) -> bool {
    // corio's borrowing rule (lower.rs), with its span and remedy.
    message.contains("is held across a suspension point; the state machine cannot store borrows of its own locals")
        // rustc's partial-move error (README, "What a suspended coroutine keeps").
        || message.contains("use of partially moved value")
        || message.contains("borrow of partially moved value")
}

/// Whether the program holds one of the generator's `rules` statements (`let rN = &…`, `let
/// clN = |…`, `let pmN = (…`): a documented rule applies to it.
fn has_rule(source: &str) -> bool {
    ["let r", "let cl", "let pm"].iter().any(|prefix| {
        source.match_indices(prefix).any(|(i, _)| {
            let rest = &source[i + prefix.len()..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with(" = ")
        })
    })
}

/// rustc's borrow-check errors: how rustc reports the borrowing rule where the macro cannot
/// see the borrow (README, the rule's "rustc reports the rest").
fn rustc_borrow_error(message: &str) -> bool {
    [
        "E0597", "E0505", "E0506", "E0502", "E0499", "E0373", "E0716",
    ]
    .iter()
    .any(|code| message.starts_with(&format!("error[{code}]")))
}

/// The scratch workspace: a crate per batch, each with the test support and its programs.
fn write_workspace(o: &Opts, ws: &Path, batches: &[Vec<Prog>]) {
    std::fs::create_dir_all(ws).expect("create the scratch workspace");
    let members: Vec<String> = (0..batches.len()).map(|i| format!("\"b{i}\"")).collect();
    let root = o.root.display();
    let support = o.work.join("support.rs");
    let support = support.display();
    write_if_changed(
        &ws.join("Cargo.toml"),
        &format!(
            "# @generated by corio-diffrun\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n\
             [workspace.dependencies]\ncorio = {{ path = \"{root}/runtime\" }}\n\n\
             [profile.dev]\ndebug = 0\nincremental = false\ncodegen-units = 4\n\n\
             [profile.dev.build-override]\nopt-level = 3\n",
            members.join(", ")
        ),
    );
    // (Measured on one batch of 250 generator programs, CPU seconds of `cargo test --no-run`:
    // 54 with the defaults; 40 with the proc macro (`corio-macros`, `syn`) optimized by
    // `build-override`, as macro expansion is a quarter of the build; 36 with 4 codegen
    // units instead of 16. Running the tests takes well under a second.)
    // The workspace's lock file: the same versions, no network.
    let lock = std::fs::read_to_string(o.root.join("Cargo.lock")).expect("Cargo.lock");
    write_if_changed(&ws.join("Cargo.lock"), &lock);
    for (i, batch) in batches.iter().enumerate() {
        let dir = ws.join(format!("b{i}"));
        std::fs::create_dir_all(dir.join("src")).expect("create a batch crate");
        write_if_changed(
            &dir.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"b{i}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\ncorio.workspace = true\n"
            ),
        );
        write_if_changed(
            &dir.join("src/lib.rs"),
            &format!(
                "#![allow(warnings)]\n#[path = \"{support}\"]\nmod support;\n\
                 #[allow(warnings, clippy::all, unreachable_pub)]\nmod cases {{\nuse super::support;\ninclude!(\"cases.rs\");\n}}\n"
            ),
        );
        let mut text = String::new();
        for p in batch {
            text.push_str(&p.source);
        }
        write_if_changed(&dir.join("src/cases.rs"), &text);
    }
    // Crates of a larger earlier group: not members any more, harmless.
}

fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).expect("write a scratch file");
    }
}

/// Runs `cargo <args>` in the scratch workspace with short messages: whether it succeeded,
/// the errors located in each crate's `cases.rs` (crate index → (line, col, message)), and
/// the other error lines.
#[allow(clippy::type_complexity)]
fn build(
    o: &Opts,
    ws: &Path,
    args: &[&str],
) -> (bool, BTreeMap<usize, Vec<(usize, usize, String)>>, String) {
    let (t, cpu) = (Instant::now(), children_cpu());
    let out = Command::new("cargo")
        .args(args)
        .args(["--offline", "--workspace", "--message-format=short"])
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", o.work.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    eprintln!(
        "    cargo {}: {:.1} s, {:.1} s CPU{}",
        args.join(" "),
        t.elapsed().as_secs_f64(),
        children_cpu() - cpu,
        if out.status.success() {
            ""
        } else {
            " (errors)"
        }
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (errors, other) = parse_errors(&stderr);
    (out.status.success(), errors, other)
}

/// CPU seconds (user + system) used so far by the finished child processes (cargo and the
/// rustc it waited for): what a build costs on a machine that others share, where its wall
/// time says little. 0 where `/proc` is missing.
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`, which may hold spaces: state is field 3, cutime 16, cstime 17.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // Clock ticks: 100 per second on Linux.
    (f.get(13).copied().unwrap_or(0.0) + f.get(14).copied().unwrap_or(0.0)) / 100.0
}

#[allow(clippy::type_complexity)]
fn parse_errors(stderr: &str) -> (BTreeMap<usize, Vec<(usize, usize, String)>>, String) {
    let mut errors: BTreeMap<usize, Vec<(usize, usize, String)>> = BTreeMap::new();
    let mut other = String::new();
    for line in stderr.lines() {
        // `b3/src/cases.rs:120:7: error[E0425]: cannot find value `x` in this scope`
        if let Some((path, rest)) = line.split_once("/src/cases.rs:") {
            let krate = path.rsplit('/').next().unwrap_or(path);
            let Some(index) = krate
                .strip_prefix('b')
                .and_then(|i| i.parse::<usize>().ok())
            else {
                continue;
            };
            let mut parts = rest.splitn(3, ':');
            let l = parts.next().and_then(|v| v.parse::<usize>().ok());
            let c = parts.next().and_then(|v| v.parse::<usize>().ok());
            let msg = parts.next().unwrap_or("").trim().to_string();
            if let (Some(l), Some(c)) = (l, c)
                && msg.starts_with("error")
            {
                errors.entry(index).or_default().push((l, c, msg));
            }
        } else if line.starts_with("error") && !line.contains("could not compile") {
            other.push_str(line);
            other.push('\n');
        }
    }
    (errors, other)
}

/// Maps errors of a crate's `cases.rs` to the programs of its batch.
fn locate(batch: &[Prog], errs: &[(usize, usize, String)]) -> Vec<(String, Vec<CompileError>)> {
    // Line ranges: program k spans lines starts[k]..starts[k+1] (1-based).
    let mut starts = Vec::new();
    let mut line = 1;
    for p in batch {
        starts.push(line);
        line += p.source.lines().count();
    }
    let mut out: Vec<(String, Vec<CompileError>)> = Vec::new();
    for (l, c, msg) in errs {
        let k = starts.partition_point(|&s| s <= *l).saturating_sub(1);
        let Some(p) = batch.get(k) else { continue };
        let rel = l - starts[k] + 1;
        let e = CompileError {
            line: rel,
            col: *c,
            message: msg.clone(),
            part: p.part(rel - 1),
        };
        match out.iter_mut().find(|(n, _)| *n == p.name) {
            Some((_, v)) => v.push(e),
            None => out.push((p.name.clone(), vec![e])),
        }
    }
    out
}

/// `---- cases::case_12::case_12 stdout ----` sections of a `cargo test` output: program →
/// message.
fn test_failures(stdout: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("---- ") {
            if let Some((name, msg)) = current.take() {
                out.insert(name, msg);
            }
            let path = rest.split_whitespace().next().unwrap_or("");
            let name = path.rsplit("::").next().unwrap_or(path).to_string();
            current = Some((name, String::new()));
        } else if line == "failures:" || line.starts_with("test result:") {
            if let Some((name, msg)) = current.take() {
                out.insert(name, msg);
            }
        } else if let Some((_, msg)) = current.as_mut()
            && msg.len() < 4000
        {
            msg.push_str(line);
            msg.push('\n');
        }
    }
    if let Some((name, msg)) = current.take() {
        out.insert(name, msg);
    }
    // Failed tests without a section (e.g. an abort) still count.
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ")
            && let Some(path) = rest.strip_suffix(" ... FAILED")
        {
            let name = path.rsplit("::").next().unwrap_or(path).to_string();
            out.entry(name).or_insert_with(|| "FAILED".into());
        }
    }
    out
}

/// The error's code and message without names: failures that differ only in identifiers
/// count as one.
fn signature(e: &CompileError) -> String {
    let mut out = String::new();
    let mut in_tick = false;
    for ch in e.message.chars() {
        if ch == '`' {
            in_tick = !in_tick;
            if in_tick {
                out.push_str("`…");
            } else {
                out.push('`');
            }
        } else if !in_tick {
            out.push(ch);
        }
    }
    out
}

/// What was saved so far.
#[derive(Default)]
struct Saver {
    /// Programs written to `--out`.
    saved: std::collections::HashSet<String>,
    /// Minimized failures per error signature.
    minimized: HashMap<String, usize>,
}

impl Saver {
    /// Writes every failure not written yet into `--out`; returns the distinct coroutine-only
    /// failures (signature → programs).
    fn save(&mut self, o: &Opts, counts: &Counts) -> BTreeMap<String, Vec<String>> {
        let mut distinct: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let minimized = &mut self.minimized;
        for (p, errs) in counts
            .coro_failures
            .iter()
            .chain(&counts.invalid)
            .chain(&counts.harness)
            .chain(&counts.allowed)
            .chain(&counts.rustc_rule)
        {
            let kind = if counts.coro_failures.iter().any(|(q, _)| q.name == p.name) {
                "coro"
            } else if counts.invalid.iter().any(|(q, _)| q.name == p.name) {
                "invalid"
            } else if counts.allowed.iter().any(|(q, _)| q.name == p.name) {
                "allowed"
            } else if counts.rustc_rule.iter().any(|(q, _)| q.name == p.name) {
                "rustc-rule"
            } else {
                "harness"
            };
            let sig = signature(&errs[0]);
            if kind == "coro" {
                distinct
                    .entry(sig.clone())
                    .or_default()
                    .push(p.name.clone());
            }
            if !self.saved.insert(p.name.clone()) {
                continue;
            }
            let mut text = format!("// {kind}: {}\n// {}\n", p.name, p.command(o.features));
            for e in errs {
                let _ = writeln!(
                    text,
                    "// line {}:{} ({:?}): {}",
                    e.line, e.col, e.part, e.message
                );
            }
            text.push_str(&p.source);
            let file = o.out.join(format!("{kind}-s{}-{}.rs", p.seed, p.name));
            std::fs::write(&file, &text).expect("write a failure");
            if kind == "coro" && o.minimize > 0 {
                let n = minimized.entry(sig).or_default();
                if *n < o.minimize {
                    *n += 1;
                    if let Some(min) = minimize(o, p, errs) {
                        let file = o.out.join(format!("{kind}-s{}-{}.min.rs", p.seed, p.name));
                        std::fs::write(&file, min).expect("write a minimized failure");
                    }
                }
            }
        }
        for (p, msg) in &counts.divergences {
            if !self.saved.insert(p.name.clone()) {
                continue;
            }
            let text = format!(
                "// divergence: {}\n// {}\n/*\n{msg}*/\n{}",
                p.name,
                p.command(o.features),
                p.source
            );
            let file = o.out.join(format!("diverge-s{}-{}.rs", p.seed, p.name));
            std::fs::write(&file, text).expect("write a divergence");
        }
        distinct
    }
}

/// The error code of an error line (`error[E0425]` → `E0425`), or its text.
fn code(message: &str) -> String {
    match message
        .strip_prefix("error[")
        .and_then(|r| r.split_once(']'))
    {
        Some((c, _)) => c.to_string(),
        None => message.to_string(),
    }
}

/// Removes lines of the program's body(s) while the plain form still compiles and the
/// coroutine form still fails with the same error code; checks with a one-program crate.
fn minimize(o: &Opts, p: &Prog, errs: &[CompileError]) -> Option<String> {
    let want = code(&errs[0].message);
    let ws = o.work.join("min");
    // Body lines: the coroutine's and the oracle's copies are the same text, so a line is
    // removed from both (matched by content, at the same occurrence).
    let lines: Vec<String> = p.source.lines().map(str::to_string).collect();
    let plain_at = lines.iter().position(|l| l.starts_with("mod plain {"))?;
    let candidates: Vec<usize> = (0..plain_at)
        .filter(|&i| {
            // Statements of a body: not the items, attributes, braces or the tail.
            let l = lines[i].trim();
            let item = ["#[", "mod ", "use ", "fn ", "async fn ", "impl ", "struct "]
                .iter()
                .any(|p| lines[i].starts_with(p) || l.starts_with(p));
            !item && !l.is_empty() && l != "}" && !l.starts_with("Ok(")
        })
        .collect();
    let twin = |i: usize| -> Option<usize> {
        // The same line in the oracle: the n-th occurrence after `mod plain`.
        let nth = (0..i).filter(|&j| lines[j] == lines[i]).count();
        (plain_at..lines.len())
            .filter(|&j| lines[j] == lines[i])
            .nth(nth)
    };
    let mut removed = vec![false; lines.len()];
    let render = |removed: &[bool]| -> String {
        let mut s = String::new();
        for (i, l) in lines.iter().enumerate() {
            if !removed[i] {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    };
    let still_fails = |text: &str| -> bool {
        let q = Prog {
            source: text.to_string(),
            ..p.clone()
        };
        write_workspace(o, &ws, &[vec![q.clone()]]);
        let (ok, errors, _) = build(o, &ws, &["check", "--lib", "--profile", "test"]);
        if ok {
            return false;
        }
        let located = locate(&[q], errors.get(&0).map(Vec::as_slice).unwrap_or(&[]));
        let errs: Vec<&CompileError> = located.iter().flat_map(|(_, e)| e).collect();
        !errs.is_empty()
            && errs.iter().all(|e| e.part == Part::Coro)
            && errs.iter().any(|e| code(&e.message) == want)
    };
    let remove = |removed: &[bool], group: &[usize]| -> Vec<bool> {
        let mut next = removed.to_vec();
        for &i in group {
            next[i] = true;
            if let Some(t) = twin(i) {
                next[t] = true;
            }
        }
        next
    };
    const MAX_BUILDS: usize = 200;
    let mut tries = 0;
    // First whole constructs, largest first: a line that opens braces up to the line that
    // closes them (an `if … else …`, a loop, a `match`, a multi-line `let`).
    let depth = |l: &str| -> i64 {
        l.chars()
            .map(|c| match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            })
            .sum()
    };
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    for &i in &candidates {
        if depth(&lines[i]) <= 0 {
            continue;
        }
        let mut d = 0;
        for (j, line) in lines.iter().enumerate().take(plain_at).skip(i) {
            d += depth(line);
            if d <= 0 {
                blocks.push((i, j));
                break;
            }
        }
    }
    blocks.sort_by_key(|&(i, j)| std::cmp::Reverse(j - i));
    for (i, j) in blocks {
        if tries >= MAX_BUILDS || removed[i] {
            continue;
        }
        let group: Vec<usize> = (i..=j).filter(|&k| !removed[k]).collect();
        let next = remove(&removed, &group);
        tries += 1;
        if still_fails(&render(&next)) {
            removed = next;
        }
    }
    // Then single statements, in halving chunks.
    let mut chunk = candidates.len().div_ceil(2).max(1);
    while tries < MAX_BUILDS {
        let mut progress = false;
        let live: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| !removed[i] && depth(&lines[i]) == 0)
            .collect();
        for group in live.chunks(chunk) {
            if tries >= MAX_BUILDS {
                break;
            }
            let next = remove(&removed, group);
            tries += 1;
            if still_fails(&render(&next)) {
                removed = next;
                progress = true;
            }
        }
        if !progress {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    let _ = std::fs::remove_dir_all(&ws);
    Some(format!(
        "// minimized ({tries} builds) from {}: {}\n{}",
        p.name,
        errs[0].message,
        render(&removed)
    ))
}

fn report(
    o: &Opts,
    c: &Counts,
    distinct: &BTreeMap<String, Vec<String>>,
    secs: f64,
    done: (usize, usize),
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "corio-diffrun: seed {}, programs {}..{} (+{} async), features {}",
        o.seed,
        o.first,
        o.first + c.programs,
        c.async_programs,
        o.features.names()
    );
    if let Some(only) = &o.only {
        let _ = writeln!(out, "  only the programs listed in {}", only.display());
    }
    let _ = writeln!(
        out,
        "  programs:                          {} ({} + {} async) of {} + {} async",
        done.0 + done.1,
        done.0,
        done.1,
        c.programs,
        c.async_programs
    );
    let _ = writeln!(out, "  passed:                            {}", c.passed);
    let _ = writeln!(
        out,
        "  divergences:                       {}",
        c.divergences.len()
    );
    let _ = writeln!(
        out,
        "  coroutine-only compile failures:   {}",
        c.coro_failures.len()
    );
    let _ = writeln!(
        out,
        "  allowed rule errors:               {}",
        c.allowed.len()
    );
    let _ = writeln!(
        out,
        "  rule applies, rustc's error:       {}",
        c.rustc_rule.len()
    );
    let _ = writeln!(
        out,
        "  invalid programs (plain fails):    {}",
        c.invalid.len()
    );
    if !c.harness.is_empty() {
        let _ = writeln!(
            out,
            "  harness errors:                    {}",
            c.harness.len()
        );
    }
    let _ = writeln!(out, "  time:                              {secs:.0} s");
    for (sig, names) in distinct {
        let _ = writeln!(
            out,
            "  failure ({}×): {sig}  e.g. {}",
            names.len(),
            names.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        );
    }
    for (p, msg) in c.divergences.iter().take(10) {
        let first = msg.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let _ = writeln!(
            out,
            "  divergence: {} ({}): {first}",
            p.name,
            p.command(o.features)
        );
    }
    for (p, errs) in c.invalid.iter().take(10) {
        let _ = writeln!(
            out,
            "  invalid: {} ({}): {}",
            p.name,
            p.command(o.features),
            errs[0].message
        );
    }
    let _ = writeln!(out, "  saved to {}", o.out.display());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_statements_are_recognised() {
        assert!(has_rule("x;\nlet r12 = &v;\n"));
        assert!(has_rule("let cl3 = |z: i64| z ^ a;"));
        assert!(has_rule("let pm7 = (ctx.noisy(1i64), ctx.noisy(2i64));"));
        // The generator's other closures and bindings.
        assert!(!has_rule("let cl = |z: i64| z.wrapping_add(x);"));
        assert!(!has_rule("let r = &TABLE[1..];"));
        assert!(!has_rule("let q = 1i64;"));
    }

    #[test]
    fn errors_are_located_in_their_program() {
        let p = |name: &str, lines: usize| Prog {
            is_async: false,
            seed: 0,
            index: 0,
            name: name.into(),
            source: "#[corio::coroutine]\nfn coro() {}\nmod plain {\n}\n#[test]\n"
                .lines()
                .cycle()
                .take(lines)
                .collect::<Vec<_>>()
                .join("\n")
                + "\n",
        };
        let batch = [p("case_1", 5), p("case_2", 5)];
        let errs = vec![
            (2, 1, "error[E0308]: mismatched types".to_string()),
            (9, 3, "error: expected `{`".to_string()),
        ];
        let located = locate(&batch, &errs);
        assert_eq!(located.len(), 2);
        assert_eq!(located[0].0, "case_1");
        assert_eq!(located[0].1[0].part, Part::Coro);
        assert_eq!(located[1].0, "case_2");
        assert_eq!(located[1].1[0].line, 4);
        assert_eq!(located[1].1[0].part, Part::Plain);
    }

    #[test]
    fn failures_are_parsed_from_the_test_output() {
        let out = "running 2 tests\n.F\nfailures:\n\n---- cases::case_3::case_3 stdout ----\n\
                   the coroutine diverges\n\nfailures:\n    cases::case_3::case_3\n\n\
                   test result: FAILED. 1 passed; 1 failed\n";
        let f = test_failures(out);
        assert_eq!(f.len(), 1);
        assert!(f["case_3"].contains("diverges"));
    }

    #[test]
    fn signatures_ignore_names() {
        let e = |m: &str| CompileError {
            line: 1,
            col: 1,
            message: m.into(),
            part: Part::Coro,
        };
        assert_eq!(
            signature(&e("error[E0425]: cannot find value `w` in this scope")),
            signature(&e("error[E0425]: cannot find value `n` in this scope"))
        );
    }
}
