//! Shared helpers of corio's integration tests (the tests themselves are in `main.rs`).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A shared, ordered list of events, e.g. which values were dropped and when.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    /// A new empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }

    /// The events so far.
    pub fn events(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// A value that logs `drop <name>` when it is dropped.
    pub fn noisy(&self, name: impl Into<String>) -> Noisy {
        Noisy {
            name: name.into(),
            log: self.clone(),
        }
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.try_borrow() {
            Ok(events) => f.debug_list().entries(events.iter()).finish(),
            Err(_) => f.write_str("<borrowed>"),
        }
    }
}

/// A value whose `Drop` logs `drop <name>` into a [`Log`].
#[derive(Clone)]
pub struct Noisy {
    /// The name it logs.
    pub name: String,
    log: Log,
}

impl fmt::Debug for Noisy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Noisy({})", self.name)
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}
