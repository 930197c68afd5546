//! The loop's timer queue (what `corio::time`'s sleeps and timeouts wait in): millisecond
//! buckets in a `BTreeMap`, entries in a slab.
//!
//! A timer is an entry `(deadline, seq)`: its deadline in nanoseconds since the loop started
//! and a sequence number (unique, increasing on each thread), which both breaks ties (equal
//! deadlines fire in creation order) and tells a live key from a stale one. Entries wait in the bucket
//! of the millisecond that ends at or after their deadline, as a doubly linked list threaded
//! through the slab by index, so:
//!
//! * inserting is a map lookup among the distinct milliseconds that have timers, plus O(1);
//! * cancelling unlinks in O(1) and removes an emptied bucket in O(log buckets); nothing of a
//!   cancelled timer is left behind to skip later;
//! * firing takes whole buckets once their millisecond has ended, sorts each by
//!   `(deadline, seq)` (already sorted in the common case) and wakes the entries in order.
//!   A timer therefore never fires early, and at most about a millisecond late (plus up to
//!   one more on Linux, where the loop's `epoll_wait` timeout is rounded up to a millisecond).
//!
//! A fired entry stays in the slab, marked fired, until its `Sleep` sees it or is dropped.

use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::task::Waker;
use std::time::{Duration, Instant};

const NIL: u32 = u32::MAX;
const FIRED: u32 = u32::MAX - 1;
const NANOS_PER_MS: u64 = 1_000_000;

/// Names one timer entry: slab index and the entry's sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    seq: NonZeroU64,
}

/// What `Timers::poll` found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerState {
    /// The deadline passed and the entry is gone now.
    Fired,
    /// Still waiting; the waker was updated.
    Pending,
    /// The key belongs to another loop (or was already consumed).
    Unknown,
}

#[derive(Debug)]
struct Entry {
    deadline: u64,
    /// 0 when the entry is free.
    seq: u64,
    waker: Option<Waker>,
    /// The previous entry in the bucket, `NIL` at the head, `FIRED` once fired.
    prev: u32,
    /// The next entry in the bucket (or in the free list).
    next: u32,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    head: u32,
    tail: u32,
}

/// All timers of one loop.
#[derive(Debug)]
pub(crate) struct Timers {
    epoch: Instant,
    entries: Vec<Entry>,
    free: u32,
    buckets: BTreeMap<u64, Bucket>,
    scratch: Vec<(u64, u64, u32)>,
}

impl Timers {
    pub(crate) fn new(epoch: Instant) -> Self {
        Self {
            epoch,
            entries: Vec::new(),
            free: NIL,
            buckets: BTreeMap::new(),
            scratch: Vec::new(),
        }
    }

    /// No timer is waiting to fire.
    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    fn nanos(&self, t: Instant) -> u64 {
        u64::try_from(t.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    /// Adds a timer for `deadline`, sequenced by `seq` (unique, and increasing on each thread).
    pub(crate) fn insert(&mut self, deadline: Instant, seq: NonZeroU64, waker: Waker) -> TimerKey {
        let deadline = self.nanos(deadline);
        let tick = deadline.div_ceil(NANOS_PER_MS);
        let entry = Entry {
            deadline,
            seq: seq.get(),
            waker: Some(waker),
            prev: NIL,
            next: NIL,
        };
        let index = if self.free == NIL {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i < FIRED);
            let index = index.expect("too many timers");
            self.entries.push(entry);
            index
        } else {
            let index = self.free;
            self.free = self.entries[index as usize].next;
            self.entries[index as usize] = entry;
            index
        };
        let bucket = self.buckets.entry(tick).or_insert(Bucket {
            head: NIL,
            tail: NIL,
        });
        if bucket.tail == NIL {
            bucket.head = index;
        } else {
            self.entries[bucket.tail as usize].next = index;
            self.entries[index as usize].prev = bucket.tail;
        }
        bucket.tail = index;
        TimerKey { index, seq }
    }

    fn entry(&mut self, key: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(key.index as usize)
            .filter(|e| e.seq == key.seq.get())
    }

    /// Checks a timer: consumes it if it fired, else remembers `waker`.
    pub(crate) fn poll(&mut self, key: TimerKey, waker: &Waker) -> TimerState {
        let Some(entry) = self.entry(key) else {
            return TimerState::Unknown;
        };
        if entry.prev == FIRED {
            self.release(key.index);
            return TimerState::Fired;
        }
        match &entry.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
        TimerState::Pending
    }

    /// Cancels a timer (or forgets a fired one); unknown keys are ignored.
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        let entry = self.entry(key)?;
        let waker = entry.waker.take();
        if entry.prev != FIRED {
            self.unlink(key.index);
        }
        self.release(key.index);
        waker
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, deadline) = {
            let e = &self.entries[index as usize];
            (e.prev, e.next, e.deadline)
        };
        if prev != NIL {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
        if prev == NIL || next == NIL {
            let tick = deadline.div_ceil(NANOS_PER_MS);
            if let Some(bucket) = self.buckets.get_mut(&tick) {
                if prev == NIL {
                    bucket.head = next;
                }
                if next == NIL {
                    bucket.tail = prev;
                }
                if bucket.head == NIL {
                    self.buckets.remove(&tick);
                }
            }
        }
    }

    fn release(&mut self, index: u32) {
        let e = &mut self.entries[index as usize];
        e.seq = 0;
        e.waker = None;
        e.prev = NIL;
        e.next = self.free;
        self.free = index;
    }

    /// When the earliest bucket ends: the time to wake up for the next timer.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let (&tick, _) = self.buckets.first_key_value()?;
        self.epoch
            .checked_add(Duration::from_nanos(tick.saturating_mul(NANOS_PER_MS)))
    }

    /// The exact earliest deadline (not its bucket's end): where a paused clock jumps to.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        let (_, bucket) = self.buckets.first_key_value()?;
        let mut min = u64::MAX;
        let mut index = bucket.head;
        while index != NIL {
            let e = &self.entries[index as usize];
            min = min.min(e.deadline);
            index = e.next;
        }
        self.epoch.checked_add(Duration::from_nanos(min))
    }

    /// [`fire_due`](Self::fire_due), and also the timers due by `now` in the first bucket
    /// that has not ended yet: a paused clock stands at exact deadlines, not at the ends of
    /// milliseconds, and each timer must fire when the clock reaches it.
    pub(crate) fn fire_due_exact(&mut self, now: Instant, out: &mut Vec<Waker>) {
        self.fire_due(now, out);
        let now = self.nanos(now);
        let Some((_, bucket)) = self.buckets.first_key_value() else {
            return;
        };
        let mut due = Vec::new();
        let mut index = bucket.head;
        while index != NIL {
            let e = &self.entries[index as usize];
            if e.deadline <= now {
                due.push((e.deadline, e.seq, index));
            }
            index = e.next;
        }
        due.sort_unstable();
        for (_, _, index) in due {
            self.unlink(index);
            let e = &mut self.entries[index as usize];
            e.prev = FIRED;
            out.extend(e.waker.take());
        }
    }

    /// Marks every timer whose bucket has ended by `now` as fired and collects its waker,
    /// in `(deadline, seq)` order.
    pub(crate) fn fire_due(&mut self, now: Instant, out: &mut Vec<Waker>) {
        let now = self.nanos(now);
        let mut scratch = std::mem::take(&mut self.scratch);
        while let Some(first) = self.buckets.first_entry() {
            if first.key().saturating_mul(NANOS_PER_MS) > now {
                break;
            }
            let bucket = first.remove();
            scratch.clear();
            let mut sorted = true;
            let mut last = (0, 0);
            let mut index = bucket.head;
            while index != NIL {
                let e = &mut self.entries[index as usize];
                let key = (e.deadline, e.seq);
                sorted &= key >= last;
                last = key;
                scratch.push((e.deadline, e.seq, index));
                e.prev = FIRED;
                index = e.next;
            }
            if !sorted {
                scratch.sort_unstable();
            }
            for &(_, _, index) in &scratch {
                out.extend(self.entries[index as usize].waker.take());
            }
        }
        self.scratch = scratch;
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};
    use std::time::{Duration, Instant};

    use super::{TimerState, Timers};

    struct Record(u32, Arc<Mutex<Vec<u32>>>);

    impl Wake for Record {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    fn seq(n: u64) -> NonZeroU64 {
        NonZeroU64::new(n).unwrap()
    }

    #[test]
    fn fires_in_deadline_then_creation_order_and_never_early() {
        let epoch = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let w = |n| Waker::from(Arc::new(Record(n, log.clone())));
        let mut t = Timers::new(epoch);
        let ms = Duration::from_millis;
        t.insert(epoch + ms(5), seq(1), w(1));
        t.insert(epoch + ms(3) + Duration::from_micros(500), seq(2), w(2));
        t.insert(epoch + ms(3) + Duration::from_micros(200), seq(3), w(3));
        t.insert(epoch + ms(5), seq(4), w(4));
        let cancelled = t.insert(epoch + ms(4), seq(5), w(5));
        t.remove(cancelled);
        let mut out = Vec::new();
        t.fire_due(epoch + ms(3) + Duration::from_micros(900), &mut out);
        assert!(out.is_empty(), "the bucket of 3.2 ms ends at 4 ms");
        t.fire_due(epoch + ms(10), &mut out);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(*log.lock().unwrap(), [3, 2, 1, 4]);
        assert!(t.is_empty());
    }

    /// A paused clock stands at exact deadlines: `earliest` names the first one, and
    /// `fire_due_exact` fires the entries due inside a bucket that has not ended, in order,
    /// leaving the rest of the bucket (and a fired entry's key answers `Fired`).
    #[test]
    fn exact_firing_inside_a_bucket() {
        let epoch = Instant::now();
        let log = Arc::new(Mutex::new(Vec::new()));
        let w = |n| Waker::from(Arc::new(Record(n, log.clone())));
        let mut t = Timers::new(epoch);
        let us = Duration::from_micros;
        let late = t.insert(epoch + us(3_700), seq(1), w(1));
        let first = t.insert(epoch + us(3_200), seq(2), w(2));
        t.insert(epoch + us(3_500), seq(3), w(3));
        assert_eq!(t.earliest(), Some(epoch + us(3_200)));
        assert_eq!(t.next_deadline(), Some(epoch + us(4_000)));
        let mut out = Vec::new();
        t.fire_due_exact(epoch + us(3_500), &mut out);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(*log.lock().unwrap(), [2, 3]);
        assert_eq!(t.poll(first, Waker::noop()), TimerState::Fired);
        assert_eq!(t.earliest(), Some(epoch + us(3_700)));
        assert_eq!(t.poll(late, &w(1)), TimerState::Pending);
        t.fire_due_exact(epoch + us(3_700), &mut out);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(*log.lock().unwrap(), [2, 3, 1]);
        assert!(t.is_empty());
        assert_eq!(t.earliest(), None);
    }

    #[test]
    fn cancelled_timers_leave_nothing_behind() {
        let epoch = Instant::now();
        let mut t = Timers::new(epoch);
        let keys: Vec<_> = (1..=100)
            .map(|i| {
                t.insert(
                    epoch + Duration::from_millis(i),
                    seq(i),
                    Waker::noop().clone(),
                )
            })
            .collect();
        for key in keys {
            assert_eq!(t.poll(key, Waker::noop()), TimerState::Pending);
            t.remove(key);
        }
        assert!(t.is_empty());
        assert_eq!(t.next_deadline(), None);
        // The slab is reused: the next timer takes a freed entry.
        let key = t.insert(epoch, seq(101), Waker::noop().clone());
        assert!(t.entries.len() == 100 && key.index < 100);
    }
}
