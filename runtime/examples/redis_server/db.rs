//! The keyspace: strings, lists, sets, hashes and sorted sets, with expiry that is lazy on access plus periodic
//! sampling, as Redis does it.
//!
//! Deadlines are milliseconds on a clock that reads like Unix time (so that the overflow
//! checks on `EXPIRE`/`SET EX` match Redis's) but advances with the monotonic clock, so that
//! a change of the system time does not expire keys early or late.

use std::collections::{BTreeSet, VecDeque};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hashbrown::HashMap;
use hashbrown::hash_map::EntryRef;
use indexmap::{IndexMap, IndexSet};

/// A value stored under a key.
#[derive(Debug)]
pub(crate) enum Value {
    /// A string (Redis keeps integers as strings too; `INCR` parses and rewrites them).
    Str(Vec<u8>),
    /// A list; never empty (the key is removed with its last element).
    List(VecDeque<Vec<u8>>),
    /// A set; never empty. Indexable, so that `SPOP` picks a member at random in O(1).
    Set(IndexSet<Vec<u8>>),
    /// A hash; never empty. Fields in insertion order (as Redis's small hashes answer).
    Hash(IndexMap<Vec<u8>, Vec<u8>>),
    /// A sorted set; never empty.
    ZSet(ZSet),
}

impl Value {
    /// The type's name as `TYPE` answers it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Hash(_) => "hash",
            Value::ZSet(_) => "zset",
        }
    }

    /// Whether this is a collection with nothing left in it (its key must go).
    fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::ZSet(z) => z.is_empty(),
        }
    }
}

/// A score, ordered by `f64::total_cmp` (a sorted set never holds NaN; `-0.0` is stored as
/// `0.0`, which Redis treats as equal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Score(pub(crate) f64);

impl Eq for Score {}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A sorted set: members by score, then by member bytes (Redis's order), and each member's
/// score.
#[derive(Debug, Default)]
pub(crate) struct ZSet {
    scores: HashMap<Vec<u8>, f64>,
    ordered: BTreeSet<(Score, Vec<u8>)>,
}

impl ZSet {
    /// How many members.
    pub(crate) fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether there are no members.
    pub(crate) fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `member`.
    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; its previous score, if it had one.
    pub(crate) fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let score = score + 0.0; // -0.0 becomes 0.0
        let old = self.scores.insert(member.to_vec(), score);
        if let Some(old) = old {
            self.ordered.remove(&(Score(old), member.to_vec()));
        }
        self.ordered.insert((Score(score), member.to_vec()));
        old
    }

    /// Removes and returns the lowest (`max == false`) or highest member and its score.
    pub(crate) fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let (score, member) = if max {
            self.ordered.pop_last()?
        } else {
            self.ordered.pop_first()?
        };
        self.scores.remove(&member);
        Some((member, score.0))
    }

    /// Removes `member`; whether it was there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(score) => self.ordered.remove(&(Score(score), member.to_vec())),
            None => false,
        }
    }

    /// The members in order, with their scores.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> {
        self.ordered.iter().map(|(s, m)| (m.as_slice(), s.0))
    }
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

    /// The live value under `key`, if any.
    pub(crate) fn value(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.entry(key).map(|e| &mut e.value)
    }

    /// The live value under `key`, or a new one from `make` stored there first (the caller
    /// fills it at once: collections are never left empty).
    pub(crate) fn value_or_insert(&mut self, key: &[u8], make: fn() -> Value) -> &mut Value {
        if self.entry(key).is_none() {
            self.map.insert(
                key.into(),
                Entry {
                    value: make(),
                    expires_at: None,
                },
            );
        }
        &mut self.map.get_mut(key).expect("just made live").value
    }

    /// Removes `key` if it holds a collection that is now empty (after a pop or removal).
    pub(crate) fn drop_if_empty(&mut self, key: &[u8]) {
        if self
            .map
            .get(key)
            .is_some_and(|e| e.value.is_empty_collection())
        {
            self.remove(key);
        }
    }

    /// The live keys (`KEYS`), in the map's order, as Redis answers in its hash order.
    pub(crate) fn live_keys(&self) -> impl Iterator<Item = &[u8]> {
        let now = self.now();
        self.map
            .iter()
            .filter(move |(_, e)| e.expires_at.is_none_or(|at| at > now))
            .map(|(k, _)| &**k)
    }

    /// One step of `SCAN` from `cursor`: at least `count` live keys (more when several share
    /// the last one's place) and the cursor to go on from, 0 at the end.
    ///
    /// Keys are visited in the order of a hash of their bytes that does not depend on the
    /// map's layout, and the cursor is the place of the next key in that order, so a cursor
    /// stays valid across inserts, deletes and resizes: a key present for the whole scan is
    /// returned exactly once, as Redis promises (at least once). Each step costs O(n log n)
    /// in the number of keys, which is fine for an example server.
    pub(crate) fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(&[u8], &Value)>) {
        let now = self.now();
        let mut ahead: Vec<(u64, &[u8], &Value)> = self
            .map
            .iter()
            .filter(|(_, e)| e.expires_at.is_none_or(|at| at > now))
            .map(|(k, e)| (scan_place(k), &**k, &e.value))
            .filter(|(place, _, _)| *place >= cursor)
            .collect();
        ahead.sort_unstable_by_key(|(place, _, _)| *place);
        let mut end = count.min(ahead.len());
        while end > 0 && end < ahead.len() && ahead[end].0 == ahead[end - 1].0 {
            end += 1;
        }
        let next = ahead.get(end).map_or(0, |(place, _, _)| *place);
        let batch = ahead[..end].iter().map(|(_, k, v)| (*k, *v)).collect();
        (next, batch)
    }

    /// How many keys have a deadline (`INFO keyspace`'s `expires`).
    pub(crate) fn volatile_len(&self) -> usize {
        self.volatile.len()
    }

    /// A pseudo-random number (`SPOP`'s choice).
    pub(crate) fn random(&mut self) -> u64 {
        self.next_random()
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

/// A key's place in `SCAN` order: FNV-1a of its bytes, never 0 (cursor 0 starts a scan).
fn scan_place(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h | 1
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
        // Sampling is random: a round that misses the last expired keys removes nothing,
        // so run rounds until they are all gone (each round finds one of the last few with
        // high probability), bounded.
        for _ in 0..10_000 {
            if db.len() == 2 {
                break;
            }
            db.expire_cycle(std::time::Duration::from_secs(1));
        }
        assert_eq!(db.len(), 2);
        assert!(db.set_expiry(b"stays", None));
        assert!(db.volatile.is_empty());
    }

    #[test]
    fn a_scan_sees_every_key_that_stays_once_across_inserts_and_deletes() {
        let mut db = Db::new();
        for i in 0..200u32 {
            db.set(format!("k{i}").as_bytes(), b"v", None, false);
        }
        let mut seen = std::collections::BTreeMap::<Vec<u8>, u32>::new();
        let (mut cursor, mut steps) = (0, 0);
        loop {
            let (next, batch) = db.scan(cursor, 7);
            for (k, _) in batch {
                *seen.entry(k.to_vec()).or_default() += 1;
            }
            // Churn between steps: delete some keys that stay out, add new ones (and grow
            // the map past a resize).
            steps += 1;
            db.remove(format!("k{}", steps * 2 + 1).as_bytes());
            for j in 0..4u32 {
                db.set(format!("new{steps}-{j}").as_bytes(), b"v", None, false);
            }
            if next == 0 {
                break;
            }
            cursor = next;
            assert!(steps < 10_000, "the scan does not end");
        }
        for i in (0..200u32).filter(|i| i % 2 == 0 || *i > steps * 2 + 1) {
            assert_eq!(seen.get(format!("k{i}").as_bytes()), Some(&1), "k{i}");
        }
        assert!(seen.values().all(|&n| n == 1));
    }
}
