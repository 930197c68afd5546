//! Generates the differential-test programs (`diff.rs`) into `$OUT_DIR/diff_cases.rs`.
//!
//! `CORIO_DIFF_CASES` (default 300) generator programs and `CORIO_DIFF_ASYNC_CASES` (default
//! 150) async programs of the set `CORIO_DIFF_SEED` (default 0, the CI set), both starting at
//! program `CORIO_DIFF_FIRST` (default 0: one failing program of a large set builds in
//! seconds), in the language `CORIO_DIFF_FEATURES` (default `ci`); and the widened slice:
//! `CORIO_DIFF_WIDE_CASES` / `CORIO_DIFF_WIDE_ASYNC_CASES` programs (`wide_case_N`,
//! `wide_async_case_N`) of the same set using `CORIO_DIFF_WIDE_FEATURES` (default
//! [`WIDE_FEATURES`]: the forms of `corio-diffgen`'s feature list that corio compiles today).
//! See `diff.rs` for the commands.

use std::path::PathBuf;

/// The widened forms the CI slice checks (`corio-diffgen`'s `FEATURES`); the others are
/// checked by `corio-diffrun` (README, "Development").
const WIDE_FEATURES: &str = "all,-patterns,-rules,-deferred_borrow";

fn var(name: &str, default: u64) -> u64 {
    println!("cargo:rerun-if-env-changed={name}");
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}")),
        Err(_) => default,
    }
}

fn features(name: &str, default: &str) -> corio_diffgen::Features {
    println!("cargo:rerun-if-env-changed={name}");
    let list = std::env::var(name).unwrap_or_else(|_| default.to_string());
    corio_diffgen::Features::parse(&list).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let cases = var("CORIO_DIFF_CASES", 300) as usize;
    let seed = var("CORIO_DIFF_SEED", 0);
    let first = var("CORIO_DIFF_FIRST", 0) as usize;
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let async_cases = var("CORIO_DIFF_ASYNC_CASES", 150) as usize;
    let language = features("CORIO_DIFF_FEATURES", "ci");
    let wide_cases = var("CORIO_DIFF_WIDE_CASES", 60) as usize;
    let wide_async_cases = var("CORIO_DIFF_WIDE_ASYNC_CASES", 20) as usize;
    let wide = features("CORIO_DIFF_WIDE_FEATURES", WIDE_FEATURES);
    let mut source = corio_diffgen::cases_file_with(seed, first, cases, language, "case");
    source.push_str(&corio_diffgen::async_cases_file_with(
        seed,
        first,
        async_cases,
        language,
        "async_case",
    ));
    source.push_str(&corio_diffgen::cases_file_with(
        seed,
        first,
        wide_cases,
        wide,
        "wide_case",
    ));
    source.push_str(&corio_diffgen::async_cases_file_with(
        seed,
        first,
        wide_async_cases,
        wide,
        "wide_async_case",
    ));
    let path = out.join("diff_cases.rs");
    // Leave an unchanged file alone so that cargo does not rebuild the tests.
    if std::fs::read_to_string(&path).ok().as_deref() != Some(source.as_str()) {
        std::fs::write(&path, source).expect("write diff_cases.rs");
    }
}
