//! The asyncio primer: two coroutines gathered, printing "World" after 1 s and "Hello" after
//! 2 s; the program ends after about 2 s, not 3.
//!
//! Run: `cargo run -p corio --example say_after`

use std::time::{Duration, Instant};

async fn say_after(delay: Duration, what: &str) {
    corio::sleep(delay).await;
    println!("{what}");
}

fn main() {
    let started = Instant::now();
    corio::run(async {
        println!("started");
        corio::join!(
            say_after(Duration::from_secs(2), "Hello"),
            say_after(Duration::from_secs(1), "World"),
        )
        .await;
    });
    println!("finished after {:.2} s", started.elapsed().as_secs_f64());
}
