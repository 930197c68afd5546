//! Sets, hashes and sorted sets: the commands redis-benchmark's default test list and
//! first-time redis-cli users reach for (SADD/SPOP, HSET/HGET, ZADD/ZPOPMIN and their
//! neighbours), with Redis 7's replies and errors.

use indexmap::{IndexMap, IndexSet};

use super::super::db::{Value, ZSet};
use super::super::resp::{Argv, Reply, parse_i64};
use super::{After, Ctx, NOT_INTEGER, SYNTAX, WRONGTYPE, error, index_range, int};

const NOT_FLOAT: &str = "ERR value is not a valid float";
const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

/// Runs `f` on the set under `key` (`None` when missing), or replies WRONGTYPE.
macro_rules! typed {
    ($c:expr, $key:expr, $variant:ident, |$db:ident, $v:ident| $body:expr) => {{
        let mut $db = $c.server.db.lock();
        match $db.value($key) {
            Some(Value::$variant(_)) | None => {}
            Some(_) => return error($c, WRONGTYPE),
        }
        let $v = match $db.value($key) {
            Some(Value::$variant(v)) => Some(v),
            _ => None,
        };
        $body
    }};
}

// ---- sets ----

pub(super) fn sadd(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    let Value::Set(set) = db.value_or_insert(a.get(1), || Value::Set(IndexSet::new())) else {
        return error(c, WRONGTYPE);
    };
    let added = a.iter_from(2).filter(|m| set.insert(m.to_vec())).count();
    int(c, added as i64)
}

pub(super) fn srem(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Set, |db, set| {
        let n = set.map_or(0, |s| a.iter_from(2).filter(|m| s.swap_remove(*m)).count());
        db.drop_if_empty(a.get(1));
        int(c, n as i64)
    })
}

pub(super) fn scard(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Set, |db, set| int(
        c,
        set.map_or(0, |s| s.len()) as i64
    ))
}

pub(super) fn sismember(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Set, |db, set| {
        let yes = set.is_some_and(|s| s.contains(a.get(2)));
        int(c, i64::from(yes))
    })
}

pub(super) fn smembers(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Set, |db, set| {
        let set = set.map(|s| &*s);
        c.out.array(set.map_or(0, IndexSet::len));
        for m in set.into_iter().flatten() {
            c.out.bulk(m);
        }
        After::Continue
    })
}

/// SPOP key [count]: members removed at random; with a count, an array (empty when the
/// key is missing).
pub(super) fn spop(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let count = match a.len() {
        2 => None,
        3 => match parse_i64(a.get(2)) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return error(c, NOT_POSITIVE),
        },
        _ => return error(c, SYNTAX),
    };
    let key = a.get(1);
    let mut db = c.server.db.lock();
    let len = match db.value(key) {
        None => 0,
        Some(Value::Set(s)) => s.len(),
        Some(_) => return error(c, WRONGTYPE),
    };
    let n = count.unwrap_or(1).min(len);
    let picks: Vec<u64> = (0..n).map(|_| db.random()).collect();
    let Some(Value::Set(set)) = db.value(key) else {
        match count {
            None => c.out.nil(),
            Some(_) => c.out.array(0),
        }
        return After::Continue;
    };
    if count.is_some() {
        c.out.array(n);
    }
    for r in picks {
        let i = (r % set.len() as u64) as usize;
        let m = set.swap_remove_index(i).expect("index in range");
        c.out.bulk(&m);
    }
    if count.is_none() && n == 0 {
        c.out.nil();
    }
    db.drop_if_empty(key);
    After::Continue
}

// ---- hashes ----

/// HSET key field value [field value …] (the number of new fields), HMSET (OK).
pub(super) fn hset(c: &mut Ctx<'_>, a: Argv<'_>, name: &str) -> After {
    if !a.len().is_multiple_of(2) {
        return error(
            c,
            &format!("ERR wrong number of arguments for '{name}' command"),
        );
    }
    let mut db = c.server.db.lock();
    let Value::Hash(h) = db.value_or_insert(a.get(1), || Value::Hash(IndexMap::new())) else {
        return error(c, WRONGTYPE);
    };
    let mut added = 0;
    for i in (2..a.len()).step_by(2) {
        if h.insert(a.get(i).to_vec(), a.get(i + 1).to_vec()).is_none() {
            added += 1;
        }
    }
    if name == "hmset" {
        c.out.simple("OK");
        return After::Continue;
    }
    int(c, added)
}

pub(super) fn hget(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Hash, |db, h| {
        match h.and_then(|h| h.get(a.get(2))) {
            Some(v) => c.out.bulk(v),
            None => c.out.nil(),
        }
        After::Continue
    })
}

pub(super) fn hdel(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Hash, |db, h| {
        let n = h.map_or(0, |h| {
            a.iter_from(2)
                .filter(|f| h.shift_remove(*f).is_some())
                .count()
        });
        db.drop_if_empty(a.get(1));
        int(c, n as i64)
    })
}

pub(super) fn hlen(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Hash, |db, h| int(
        c,
        h.map_or(0, |h| h.len()) as i64
    ))
}

pub(super) fn hexists(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), Hash, |db, h| {
        int(c, i64::from(h.is_some_and(|h| h.contains_key(a.get(2)))))
    })
}

/// HGETALL (fields and values), HKEYS, HVALS.
pub(super) fn hgetall(c: &mut Ctx<'_>, a: Argv<'_>, keys: bool, values: bool) -> After {
    typed!(c, a.get(1), Hash, |db, h| {
        let h = h.map(|h| &*h);
        let per = usize::from(keys) + usize::from(values);
        c.out.array(per * h.map_or(0, IndexMap::len));
        for (k, v) in h.into_iter().flatten() {
            if keys {
                c.out.bulk(k);
            }
            if values {
                c.out.bulk(v);
            }
        }
        After::Continue
    })
}

// ---- sorted sets ----

/// Parses a score as Redis does (`strtod`: decimal, exponent, `inf`/`-inf`; no NaN).
fn parse_score(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    if text.is_empty() || text.trim() != text {
        return None;
    }
    let v = match text.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => text.parse::<f64>().ok()?,
    };
    (!v.is_nan()).then_some(v)
}

/// A score as Redis 7.0 prints it: C's `%.17g` (`0.1` is `0.10000000000000001`), `inf`
/// and `-inf` for the infinities.
pub(super) fn push_score(c: &mut Ctx<'_>, v: f64) {
    c.out.bulk(format_g17(v).as_bytes());
}

/// `printf("%.17g", v)`.
fn format_g17(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // 17 significant digits in scientific form gives the decimal exponent %g decides on.
    let sci = format!("{v:.16e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..17).contains(&exp) {
        trim(format!("{v:.*}", (16 - exp) as usize))
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa.to_string()), exp.abs())
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] score member [score member …].
pub(super) fn zadd(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut i = 2;
    while i < a.len() {
        match a.get(i).to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            b"CH" => ch = true,
            b"INCR" => return error(c, "ERR ZADD INCR is not supported by this server"),
            _ => break,
        }
        i += 1;
    }
    let pairs = a.len() - i;
    if pairs == 0 || !pairs.is_multiple_of(2) {
        return error(c, SYNTAX);
    }
    if nx && xx {
        return error(
            c,
            "ERR XX and NX options at the same time are not compatible",
        );
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return error(
            c,
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        );
    }
    let mut scores = Vec::with_capacity(pairs / 2);
    for j in (i..a.len()).step_by(2) {
        match parse_score(a.get(j)) {
            Some(s) => scores.push((s, a.get(j + 1))),
            None => return error(c, NOT_FLOAT),
        }
    }
    let mut db = c.server.db.lock();
    match db.value(a.get(1)) {
        None if xx => return int(c, 0),
        Some(Value::ZSet(_)) | None => {}
        Some(_) => return error(c, WRONGTYPE),
    }
    let Value::ZSet(z) = db.value_or_insert(a.get(1), || Value::ZSet(ZSet::default())) else {
        unreachable!("checked above");
    };
    let (mut added, mut changed) = (0, 0);
    for (score, member) in scores {
        match z.score(member) {
            None if xx => {}
            None => {
                z.insert(member, score);
                added += 1;
            }
            Some(_) if nx => {}
            Some(old) => {
                let skip = (gt && score <= old) || (lt && score >= old) || score == old;
                if !skip {
                    z.insert(member, score);
                    changed += 1;
                }
            }
        }
    }
    db.drop_if_empty(a.get(1));
    int(c, if ch { added + changed } else { added })
}

/// ZPOPMIN/ZPOPMAX key [count]: member, score pairs, flat.
pub(super) fn zpop(c: &mut Ctx<'_>, a: Argv<'_>, max: bool) -> After {
    let count = match a.len() {
        2 => 1,
        3 => match parse_i64(a.get(2)) {
            Some(n) if n >= 0 => n as usize,
            _ => return error(c, NOT_POSITIVE),
        },
        _ => return error(c, SYNTAX),
    };
    typed!(c, a.get(1), ZSet, |db, z| {
        let Some(z) = z else {
            c.out.array(0);
            return After::Continue;
        };
        let n = count.min(z.len());
        c.out.array(2 * n);
        for _ in 0..n {
            let (m, s) = z.pop(max).expect("counted");
            c.out.bulk(&m);
            push_score(c, s);
        }
        db.drop_if_empty(a.get(1));
        After::Continue
    })
}

pub(super) fn zcard(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), ZSet, |db, z| int(
        c,
        z.map_or(0, |z| z.len()) as i64
    ))
}

pub(super) fn zscore(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), ZSet, |db, z| {
        match z.and_then(|z| z.score(a.get(2))) {
            Some(s) => push_score(c, s),
            None => c.out.nil(),
        }
        After::Continue
    })
}

pub(super) fn zrem(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    typed!(c, a.get(1), ZSet, |db, z| {
        let n = z.map_or(0, |z| a.iter_from(2).filter(|m| z.remove(m)).count());
        db.drop_if_empty(a.get(1));
        int(c, n as i64)
    })
}

/// ZRANGE key start stop [WITHSCORES], by rank (BYSCORE/BYLEX/REV/LIMIT are refused with
/// a syntax error).
pub(super) fn zrange(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let with_scores = match a.len() {
        4 => false,
        5 if a.get(4).eq_ignore_ascii_case(b"WITHSCORES") => true,
        _ => return error(c, SYNTAX),
    };
    let (Some(start), Some(stop)) = (parse_i64(a.get(2)), parse_i64(a.get(3))) else {
        return error(c, NOT_INTEGER);
    };
    typed!(c, a.get(1), ZSet, |db, z| {
        let Some(z) = z.map(|z| &*z) else {
            c.out.array(0);
            return After::Continue;
        };
        let Some((start, n)) = index_range(start, stop, z.len()) else {
            c.out.array(0);
            return After::Continue;
        };
        c.out.array(if with_scores { 2 * n } else { n });
        for (m, s) in z.iter().skip(start).take(n) {
            c.out.bulk(m);
            if with_scores {
                push_score(c, s);
            }
        }
        After::Continue
    })
}

#[cfg(test)]
mod tests {
    use super::format_g17;

    #[test]
    fn scores_print_as_c_g17() {
        for (v, want) in [
            (0.1, "0.10000000000000001"),
            (1.5, "1.5"),
            (1000.0, "1000"),
            (-2.0, "-2"),
            (1e20, "1e+20"),
            (1.25e-7, "1.2499999999999999e-07"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(format_g17(v), want, "{v}");
        }
    }
}
