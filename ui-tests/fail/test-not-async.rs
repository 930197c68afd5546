#[corio::test]
fn not_async() {}

#[corio::test(start_paused = maybe)]
async fn unknown_argument() {}

#[corio::test]
async fn takes_arguments(n: u32) {
    let _ = n;
}

#[corio::test]
async fn generic<T: Default>() {
    let _ = T::default();
}

// A tokio habit: corio's loop is always single-threaded.
#[corio::test(flavor = "multi_thread")]
async fn tokio_argument() {}

fn main() {}
