//! corio's integration tests: one binary, one module per topic.

mod generators;
mod inspect;
