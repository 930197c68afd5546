//! Prints generated programs, for reading and minimising a failing case.
//!
//! ```text
//! cargo run -p corio-diffgen -- --seed 0 --case 17     # one program, as the test crate sees it
//! cargo run -p corio-diffgen -- --seed 0 --cases 300   # the file build.rs generates
//! cargo run -p corio-diffgen -- --seed 0 --first 100 --cases 50   # programs 100..150
//! cargo run -p corio-diffgen -- --async --seed 0 --case 17        # an async program
//! cargo run -p corio-diffgen -- --features all --seed 1000 --case 17  # the scale runner's language
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut seed = 0u64;
    let mut case = None;
    let mut cases = 300usize;
    let mut first = 0usize;
    let mut is_async = false;
    let mut features = corio_diffgen::Features::ci();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--async" {
            is_async = true;
            continue;
        }
        let value = args.next();
        if arg == "--features" {
            match corio_diffgen::Features::parse(value.as_deref().unwrap_or("")) {
                Ok(f) => features = f,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            continue;
        }
        let parsed = value.as_deref().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), parsed) {
            ("--seed", Some(v)) => seed = v,
            ("--case", Some(v)) => case = Some(v as usize),
            ("--cases", Some(v)) => cases = v as usize,
            ("--first", Some(v)) => first = v as usize,
            _ => {
                eprintln!(
                    "usage: corio-diffgen [--async] [--features F] [--seed S] [--case I | [--first I] --cases N]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let text = match (case, is_async) {
        (Some(index), false) => {
            corio_diffgen::case_source_with(&format!("case_{index:03}"), seed, index, features)
        }
        (Some(index), true) => corio_diffgen::async_case_source_with(
            &format!("async_case_{index:03}"),
            seed,
            index,
            features,
        ),
        (None, false) => corio_diffgen::cases_file_with(seed, first, cases, features, "case"),
        (None, true) => {
            corio_diffgen::async_cases_file_with(seed, first, cases, features, "async_case")
        }
    };
    print!("{text}");
    ExitCode::SUCCESS
}
