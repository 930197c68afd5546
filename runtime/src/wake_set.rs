//! One waker per member of a set of futures, so that a wake-up says which member woke:
//! what lets `as_completed` and `wait` poll (or check) only the members that woke, instead of
//! all of them on every wake-up.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

/// The woken members of a set, shared with their wakers (which may be sent to other threads).
#[derive(Debug)]
pub(crate) struct WakeSet {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    woken: Vec<u32>,
    parent: Option<Waker>,
}

#[derive(Debug)]
struct MemberWaker {
    index: u32,
    set: Arc<WakeSet>,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut state = self
                .set
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let first = state.woken.is_empty();
            state.woken.push(self.index);
            // One wake-up of the parent per batch: it takes the whole list when it runs.
            if first { state.parent.clone() } else { None }
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

impl WakeSet {
    /// A set of `n` members, all counted as woken (so that the first look checks them all),
    /// and their wakers.
    pub(crate) fn new(n: usize) -> (Arc<Self>, Vec<Waker>) {
        let n = u32::try_from(n).expect("more than u32::MAX futures in one set");
        let set = Arc::new(Self {
            state: Mutex::new(State {
                woken: (0..n).collect(),
                parent: None,
            }),
        });
        let wakers = (0..n)
            .map(|index| {
                Waker::from(Arc::new(MemberWaker {
                    index,
                    set: set.clone(),
                }))
            })
            .collect();
        (set, wakers)
    }

    /// Remembers `parent` as the waker to wake on the next wake-up, and moves the members
    /// woken so far into `into`.
    pub(crate) fn take(&self, parent: &Waker, into: &mut impl Extend<u32>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.parent.as_ref().is_some_and(|w| w.will_wake(parent)) {
            state.parent = Some(parent.clone());
        }
        into.extend(state.woken.drain(..));
    }
}
