//! Generates the differential-test programs (`diff.rs`) into `$OUT_DIR/diff_cases.rs`.
//!
//! `CORIO_DIFF_CASES` (default 300) generator programs and `CORIO_DIFF_ASYNC_CASES` (default
//! 150) async programs of the set `CORIO_DIFF_SEED` (default 0, the CI set), both starting at
//! program `CORIO_DIFF_FIRST` (default 0: one failing program of a large set builds in
//! seconds); see `diff.rs` for the commands.

use std::path::PathBuf;

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

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let cases = var("CORIO_DIFF_CASES", 300);
    let seed = var("CORIO_DIFF_SEED", 0);
    let first = var("CORIO_DIFF_FIRST", 0);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let async_cases = var("CORIO_DIFF_ASYNC_CASES", 150);
    let mut source = corio_diffgen::cases_file(seed, first as usize, cases as usize);
    source.push_str(&corio_diffgen::async_cases_file(
        seed,
        first as usize,
        async_cases as usize,
    ));
    let path = out.join("diff_cases.rs");
    // Leave an unchanged file alone so that cargo does not rebuild the tests.
    if std::fs::read_to_string(&path).ok().as_deref() != Some(source.as_str()) {
        std::fs::write(&path, source).expect("write diff_cases.rs");
    }
}
