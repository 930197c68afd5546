//! trybuild driver: every `fail/*.rs` must fail to compile with exactly its `.stderr`, every
//! `pass/*.rs` must compile and run. Bless with `TRYBUILD=overwrite cargo test -p corio-ui-tests`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/*.rs");
    t.pass("pass/*.rs");
}
