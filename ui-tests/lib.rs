//! corio's compile-fail and compile-pass cases; the driver is `ui.rs`, see README.md.
