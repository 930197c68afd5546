//! Runs the corpus tool on `fixture/` (one function of each kind) and checks every outcome:
//! the fast proof that the tool works; the real corpus is run by hand (README).

use std::path::Path;
use std::process::Command;

#[test]
fn fixture_functions_get_their_outcomes() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = here.join("../../target/corpus-fixture");
    let out = Command::new(env!("CARGO_BIN_EXE_corio-corpus"))
        .arg("--work")
        .arg(&work)
        .arg("--report")
        .arg(work.join("report"))
        .arg("--debug-macros")
        .arg(here.join("fixture"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let table = std::fs::read_to_string(work.join("report/fixture.tsv")).unwrap();
    let outcome = |name: &str| {
        table
            .lines()
            .find(|l| l.ends_with(&format!("\t{name}")))
            .map(|l| l.split('\t').next().unwrap().to_string())
            .unwrap_or_else(|| panic!("no `{name}` in\n{table}"))
    };
    for name in [
        "sum",
        "double",
        "Counter::bump",
        "Counter::bump::clamp",
        "Counter::next",
        "Counter::next_back",
        "Describe::describe",
        "digits",
        "unit",
        "ordered",
        "traced",
    ] {
        assert_eq!(outcome(name), "compiles", "{name}\n{stderr}");
    }
    assert!(
        outcome("first_len").starts_with("rule (corio's error): `w` borrows the local `words`"),
        "{table}"
    );
    assert!(
        outcome("assigned_by_a_macro")
            .starts_with("rule (corio's error): `x` is declared without a value"),
        "{table}"
    );
    assert_eq!(outcome("raw"), "skipped: unsafe fn");
    assert_eq!(outcome("gone"), "not compiled");
    assert_eq!(outcome("a_test"), "not compiled");
    assert_eq!(outcome("macro_rules!"), "skipped: inside a macro");
    assert_eq!(
        outcome("u8::name"),
        "skipped: trait impl for a type that is not the crate's own"
    );
    assert_eq!(table.lines().count(), 18, "{table}");
    // the summary row: 18 functions, 11 compile, 2 rules, 2 not compiled, 3 skipped
    assert!(
        stdout.contains("| fixture | 18 | 11 | 2 | 0 | 0 | 0 | 0 | 0 | 0 | 2 | 3 | 0 |"),
        "{stdout}"
    );
}
