//! The keyspace: strings and lists, with expiry that is lazy on access plus periodic
//! sampling, as Redis does it.
//!
//! Deadlines are milliseconds on a clock that reads like Unix time (so that the overflow
//! checks on `EXPIRE`/`SET EX` match Redis's) but advances with the monotonic clock, so that
//! a change of the system time does not expire keys early or late.

use std::collections::VecDeque;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use indexmap::IndexSet;

/// A value stored under a key.
#[derive(Debug)]
pub(crate) enum Value {
    /// A string (Redis keeps integers as strings too; `INCR` parses and rewrites them).
    Str(Vec<u8>),
    /// A list; never empty (the key is removed with its last element).
    List(VecDeque<Vec<u8>>),
}

/// A value and its deadline.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    /// When the key expires, in ms on [`Db::now`]'s clock; `None`: never.
    pub(crate) expires_at: Option<i64>,
}

/// The operation met a key of the other type (`-WRONGTYPE`).
#[derive(Debug)]
pub(crate) struct WrongType;

/// All keys of the server.
#[derive(Debug)]
pub(crate) struct Db {
    map: HashMap<Box<[u8]>, Entry>,
    /// The keys that have a deadline, for the periodic sampling (indexable to pick at random).
    volatile: IndexSet<Box<[u8]>>,
    start: Instant,
    start_unix_ms: i64,
    rng: u64,
}

/// Keys the periodic cycle looks at per round, and the expired share that makes it go on
/// (Redis's `ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP` and its 25 %).
const SAMPLE: usize = 20;

impl Db {
    pub(crate) fn new() -> Self {
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Db {
            map: HashMap::new(),
            volatile: IndexSet::new(),
            start: Instant::now(),
            start_unix_ms: unix,
            rng: 0x9E37_79B9_7F4A_7C15 ^ unix as u64,
        }
    }

    /// The current time in ms (Unix-like, monotonic).
    pub(crate) fn now(&self) -> i64 {
        self.start_unix_ms + self.start.elapsed().as_millis() as i64
    }

    /// The live entry under `key`; an expired one is removed on the way (lazy expiry).
    pub(crate) fn entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        match self.map.entry_ref(key) {
            EntryRef::Vacant(_) => None,
            EntryRef::Occupied(e) => {
                if let Some(at) = e.get().expires_at
                    && at <= self.start_unix_ms + self.start.elapsed().as_millis() as i64
                {
                    e.remove();
                    self.volatile.swap_remove(key);
                    return None;
                }
                Some(e.into_mut())
            }
        }
    }

    /// Whether `key` is live.
    pub(crate) fn exists(&mut self, key: &[u8]) -> bool {
        self.entry(key).is_some()
    }

    /// The string under `key`, if any.
    pub(crate) fn get_str(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>, WrongType> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::Str(s),
                ..
            }) => Ok(Some(s)),
            Some(_) => Err(WrongType),
        }
    }

    /// The list under `key`, if any.
    pub(crate) fn get_list(
        &mut self,
        key: &[u8],
    ) -> Result<Option<&mut VecDeque<Vec<u8>>>, WrongType> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry {
                value: Value::List(l),
                ..
            }) => Ok(Some(l)),
            Some(_) => Err(WrongType),
        }
    }

    /// The list under `key`, created empty when missing (the caller pushes at once).
    pub(crate) fn list_or_create(
        &mut self,
        key: &[u8],
    ) -> Result<&mut VecDeque<Vec<u8>>, WrongType> {
        if self.entry(key).is_none() {
            self.map.insert(
                key.into(),
                Entry {
                    value: Value::List(VecDeque::new()),
                    expires_at: None,
                },
            );
        }
        match self.map.get_mut(key) {
            Some(Entry {
                value: Value::List(l),
                ..
            }) => Ok(l),
            _ => Err(WrongType),
        }
    }

    /// Stores a string, reusing the old string's allocation when there is one. `keep_ttl`
    /// keeps the old deadline; otherwise `expires_at` replaces it.
    pub(crate) fn set(
        &mut self,
        key: &[u8],
        value: &[u8],
        expires_at: Option<i64>,
        keep_ttl: bool,
    ) {
        let had_deadline = match self.map.get_mut(key) {
            Some(entry) => {
                match &mut entry.value {
                    Value::Str(s) => {
                        s.clear();
                        s.extend_from_slice(value);
                    }
                    other => *other = Value::Str(value.to_vec()),
                }
                if keep_ttl {
                    return;
                }
                std::mem::replace(&mut entry.expires_at, expires_at).is_some()
            }
            None => {
                self.map.insert(
                    key.into(),
                    Entry {
                        value: Value::Str(value.to_vec()),
                        expires_at,
                    },
                );
                false
            }
        };
        match (had_deadline, expires_at.is_some()) {
            (true, false) => {
                self.volatile.swap_remove(key);
            }
            (false, true) => {
                self.volatile.insert(key.into());
            }
            _ => {}
        }
    }

    /// Removes `key`; whether it was live.
    pub(crate) fn remove(&mut self, key: &[u8]) -> bool {
        let live = self.exists(key);
        if live && self.map.remove(key).is_some_and(|e| e.expires_at.is_some()) {
            self.volatile.swap_remove(key);
        }
        live
    }

    /// Removes `key` if it holds an empty list (after a pop).
    pub(crate) fn drop_if_empty_list(&mut self, key: &[u8]) {
        if matches!(self.map.get(key), Some(Entry { value: Value::List(l), .. }) if l.is_empty()) {
            self.remove(key);
        }
    }

    /// Sets or clears the deadline of a live key; whether the key exists.
    pub(crate) fn set_expiry(&mut self, key: &[u8], at: Option<i64>) -> bool {
        let Some(entry) = self.entry(key) else {
            return false;
        };
        let had = std::mem::replace(&mut entry.expires_at, at).is_some();
        if at.is_some() && !had {
            self.volatile.insert(key.into());
        } else if at.is_none() && had {
            self.volatile.swap_remove(key);
        }
        true
    }

    /// How many keys (expired ones not yet collected included, as in Redis).
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Removes every key.
    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.volatile.clear();
    }

    /// One round of active expiry: samples keys with a deadline and removes the expired
    /// ones; goes on while more than a quarter of a sample had expired, up to `budget`.
    /// Returns how many keys it removed.
    pub(crate) fn expire_cycle(&mut self, budget: std::time::Duration) -> usize {
        let started = Instant::now();
        let mut removed = 0;
        loop {
            let now = self.now();
            let mut expired = 0;
            let rounds = SAMPLE.min(self.volatile.len());
            for _ in 0..rounds {
                let i = self.next_random() as usize % self.volatile.len();
                let key = &self.volatile[i];
                if self
                    .map
                    .get(key)
                    .and_then(|e| e.expires_at)
                    .is_some_and(|at| at <= now)
                {
                    let key = self.volatile.swap_remove_index(i).expect("index in range");
                    self.map.remove(&key);
                    expired += 1;
                }
            }
            removed += expired;
            if rounds == 0 || expired * 4 <= rounds || started.elapsed() >= budget {
                return removed;
            }
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: sampling needs spread, not secrecy.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod db_tests {
    use super::*;

    #[test]
    fn lazy_and_active_expiry() {
        let mut db = Db::new();
        let now = db.now();
        db.set(b"gone", b"1", Some(now - 1), false);
        db.set(b"stays", b"2", Some(now + 60_000), false);
        db.set(b"plain", b"3", None, false);
        assert_eq!(db.len(), 3);
        assert!(db.get_str(b"gone").unwrap().is_none());
        assert_eq!(db.len(), 2);
        for i in 0..100u32 {
            db.set(&i.to_be_bytes(), b"x", Some(now - 1), false);
        }
        while db.expire_cycle(std::time::Duration::from_secs(1)) > 0 {}
        assert_eq!(db.len(), 2);
        assert!(db.set_expiry(b"stays", None));
        assert!(db.volatile.is_empty());
    }
}
