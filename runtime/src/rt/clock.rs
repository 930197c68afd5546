//! The loop's clock: real time, or virtual time that only moves when told to or when every
//! task waits on a timer.
//!
//! A paused clock stands still at the instant it was paused; [`Clock::advance`] moves it
//! forward, and the loop moves it to the next timer's deadline when nothing else can happen
//! (`executor::drive`). Virtual instants are `std::time::Instant`s on the same axis as real
//! ones (the pause instant plus what was advanced), so timers, `sleep_until` and `timeout`
//! work unchanged: they ask the clock for "now" instead of `Instant::now()`.
//!
//! The seeded schedule mode (`Builder::seed`) adds a deterministic choice of the next ready
//! task: [`Rng`], a xorshift generator, so that the same seed gives the same schedule.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Real or virtual "now" of one loop.
#[derive(Debug)]
pub(crate) struct Clock {
    /// `Some(now)` while paused: the virtual instant.
    paused: Cell<Option<Instant>>,
    /// After a resume: the virtual instant it resumed at and the real instant it did, so that
    /// time runs on from where it stood (tokio's `resume`). `None`: plain real time.
    resumed: Cell<Option<(Instant, Instant)>>,
}

impl Clock {
    /// A clock on real time.
    pub(crate) fn new() -> Self {
        Self {
            paused: Cell::new(None),
            resumed: Cell::new(None),
        }
    }

    /// Now: virtual while paused, real otherwise (shifted by what a pause and its advances
    /// moved it).
    pub(crate) fn now(&self) -> Instant {
        if let Some(now) = self.paused.get() {
            return now;
        }
        match self.resumed.get() {
            Some((virtual_at, real_at)) => virtual_at + real_at.elapsed(),
            None => Instant::now(),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.get().is_some()
    }

    /// Stops the clock at the current instant; does nothing if it is already paused.
    pub(crate) fn pause(&self) {
        if self.paused.get().is_none() {
            self.paused.set(Some(self.now()));
        }
    }

    /// Lets the clock run at the pace of real time again, from the virtual instant it
    /// stands at.
    pub(crate) fn resume(&self) {
        if let Some(now) = self.paused.take() {
            self.resumed.set(Some((now, Instant::now())));
        }
    }

    /// Moves a paused clock forward by `by`. Returns whether it was paused.
    pub(crate) fn advance(&self, by: Duration) -> bool {
        match self.paused.get() {
            Some(now) => {
                self.paused.set(Some(now.checked_add(by).unwrap_or(now)));
                true
            }
            None => false,
        }
    }

    /// Moves a paused clock forward to `to` if that is ahead of it.
    pub(crate) fn advance_to(&self, to: Instant) {
        if let Some(now) = self.paused.get()
            && to > now
        {
            self.paused.set(Some(to));
        }
    }
}

/// A xorshift64* generator: small, fast, and the same sequence for the same seed on every
/// platform, which is all a seeded schedule needs.
#[derive(Debug, Clone)]
pub(crate) struct Rng(Cell<u64>);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // Never zero (xorshift's fixed point); mixed so that nearby seeds diverge at once.
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        Self(Cell::new(if mixed == 0 { 1 } else { mixed }))
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&self, n: usize) -> usize {
        // The modulo bias is irrelevant for schedules of a few dozen tasks.
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paused_clock_moves_only_when_advanced() {
        let clock = Clock::new();
        assert!(!clock.is_paused());
        assert!(!clock.advance(Duration::from_secs(1)));
        clock.pause();
        let t0 = clock.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), t0);
        clock.pause();
        assert_eq!(clock.now(), t0, "pausing again keeps the virtual instant");
        assert!(clock.advance(Duration::from_secs(5)));
        assert_eq!(clock.now(), t0 + Duration::from_secs(5));
        clock.advance_to(t0);
        assert_eq!(clock.now(), t0 + Duration::from_secs(5), "never backwards");
        clock.advance_to(t0 + Duration::from_secs(7));
        assert_eq!(clock.now(), t0 + Duration::from_secs(7));
        clock.resume();
        assert!(!clock.is_paused());
        let resumed = clock.now();
        assert!(
            resumed >= t0 + Duration::from_secs(7),
            "time runs on from where it stood"
        );
        assert!(resumed < t0 + Duration::from_secs(8));
    }

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let a = Rng::new(42);
        let b = Rng::new(42);
        let c = Rng::new(43);
        let xs: Vec<_> = (0..8).map(|_| a.below(1000)).collect();
        let ys: Vec<_> = (0..8).map(|_| b.below(1000)).collect();
        let zs: Vec<_> = (0..8).map(|_| c.below(1000)).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert!(Rng::new(0).next_u64() != 0);
    }
}
