//! corio's integration tests: one binary, one module per topic.

mod asyncs;
mod generators;
mod inspect;
mod lints;
#[macro_use]
mod ordinary;
mod user_generators;
mod user_style;
