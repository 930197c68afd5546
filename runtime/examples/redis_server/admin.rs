//! The commands around the data: KEYS, TYPE, SELECT, INFO, COMMAND, CLIENT, and the small
//! string commands (APPEND, STRLEN, SETNX, GETSET) that redis-cli users try early.

use super::super::resp::{Argv, Reply, parse_i64};
use super::{After, Ctx, NAMES, NOT_INTEGER, WRONGTYPE, error, glob, int, lossy, ok};

/// KEYS pattern: every live key matching the glob (Redis's order is its hash order, so
/// clients sort; so do the tests).
pub(super) fn keys(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let db = c.server.db.lock();
    let pattern = a.get(1);
    let matching: Vec<&[u8]> = db.live_keys().filter(|k| glob(pattern, k)).collect();
    c.out.array(matching.len());
    for k in matching {
        c.out.bulk(k);
    }
    After::Continue
}

/// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type]: a step of an iteration over the keys
/// (see `Db::scan` for the order and the guarantee). MATCH and TYPE filter a step's keys after
/// they were chosen, as in Redis, so a step may return none before the end.
pub(super) fn scan(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let Some(cursor) = std::str::from_utf8(a.get(1))
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return error(c, "ERR invalid cursor");
    };
    let (mut pattern, mut count, mut kind) = (None, 10usize, None);
    let mut i = 2;
    while i < a.len() {
        let (opt, value) = (a.get(i), (i + 1 < a.len()).then(|| a.get(i + 1)));
        match (opt.to_ascii_uppercase().as_slice(), value) {
            (b"MATCH", Some(p)) => pattern = Some(p),
            (b"COUNT", Some(n)) => match parse_i64(n) {
                Some(n) if n >= 1 => count = n as usize,
                Some(_) => return error(c, "ERR syntax error"),
                None => return error(c, NOT_INTEGER),
            },
            (b"TYPE", Some(t)) => kind = Some(t),
            _ => return error(c, "ERR syntax error"),
        }
        i += 2;
    }
    let db = c.server.db.lock();
    let (next, batch) = db.scan(cursor, count);
    let keys: Vec<&[u8]> = batch
        .into_iter()
        .filter(|(k, v)| {
            pattern.is_none_or(|p| glob(p, k))
                && kind.is_none_or(|t| t.eq_ignore_ascii_case(v.type_name().as_bytes()))
        })
        .map(|(k, _)| k)
        .collect();
    c.out.array(2);
    c.out.bulk(next.to_string().as_bytes());
    c.out.array(keys.len());
    for k in keys {
        c.out.bulk(k);
    }
    After::Continue
}

pub(super) fn type_(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let name = c
        .server
        .db
        .lock()
        .value(a.get(1))
        .map_or("none", |v| v.type_name());
    c.out.simple(name);
    After::Continue
}

/// SELECT index: this server has one database, as Redis with `databases 1`.
pub(super) fn select(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    match parse_i64(a.get(1)) {
        None => error(c, NOT_INTEGER),
        Some(0) => ok(c),
        Some(_) => error(c, "ERR DB index is out of range"),
    }
}

/// INFO [section …]: the fields clients read (`redis_version`, `redis_mode`, the keyspace),
/// in Redis's text format.
pub(super) fn info(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let wanted = |section: &str| {
        a.len() == 1
            || a.iter_from(1).any(|s| {
                s.eq_ignore_ascii_case(section.as_bytes())
                    || s.eq_ignore_ascii_case(b"all")
                    || s.eq_ignore_ascii_case(b"default")
                    || s.eq_ignore_ascii_case(b"everything")
            })
    };
    let mut text = String::new();
    if wanted("server") {
        text.push_str(&format!(
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:{}\r\narch_bits:{}\r\nprocess_id:{}\r\nexecutable:corio redis_server example\r\n",
            std::env::consts::OS,
            usize::BITS,
            std::process::id()
        ));
    }
    if wanted("stats") {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(&format!(
            "# Stats\r\ntotal_connections_received:{}\r\n",
            c.server.connections.get()
        ));
    }
    if wanted("persistence") {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str(
            "# Persistence\r\nloading:0\r\naof_enabled:0\r\nrdb_changes_since_last_save:0\r\n",
        );
    }
    if wanted("keyspace") {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        text.push_str("# Keyspace\r\n");
        let db = c.server.db.lock();
        if db.len() > 0 {
            text.push_str(&format!(
                "db0:keys={},expires={},avg_ttl=0\r\n",
                db.len(),
                db.volatile_len()
            ));
        }
    }
    c.out.bulk(text.as_bytes());
    After::Continue
}

/// COMMAND [COUNT | DOCS | INFO name …]: the command table. Each entry is Redis's shape
/// (name, arity, flags, first/last key, step, categories, tips, key specs, subcommands),
/// with what this server knows: name and arity.
pub(super) fn command(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let entry = |c: &mut Ctx<'_>, name: &str, arity: i32| {
        c.out.array(10);
        c.out.bulk(name.as_bytes());
        c.out.int(i64::from(arity));
        c.out.array(0);
        for _ in 0..3 {
            c.out.int(0);
        }
        for _ in 0..4 {
            c.out.array(0);
        }
    };
    if a.len() == 1 {
        c.out.array(NAMES.len());
        for &(name, arity) in NAMES {
            entry(c, name, arity);
        }
        return After::Continue;
    }
    let sub = a.get(1);
    if sub.eq_ignore_ascii_case(b"COUNT") && a.len() == 2 {
        return int(c, NAMES.len() as i64);
    }
    if sub.eq_ignore_ascii_case(b"DOCS") {
        // No documentation: an empty map (redis-cli then shows no hints).
        c.out.array(0);
        return After::Continue;
    }
    if sub.eq_ignore_ascii_case(b"INFO") {
        c.out.array(a.len() - 2);
        for name in a.iter_from(2) {
            match NAMES
                .iter()
                .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
            {
                Some(&(n, arity)) => entry(c, n, arity),
                None => c.out.nil(),
            }
        }
        return After::Continue;
    }
    error(
        c,
        &format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            lossy(sub, 128)
        ),
    )
}

/// CLIENT SETNAME/GETNAME/SETINFO/ID: what client libraries send when they connect.
pub(super) fn client(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let sub = a.get(1).to_ascii_uppercase();
    match (sub.as_slice(), a.len()) {
        (b"SETNAME", 3) => {
            if a.get(2).iter().any(|&b| b <= b' ' || b > b'~') {
                return error(
                    c,
                    "ERR Client names cannot contain spaces, newlines or special characters.",
                );
            }
            *c.client.name.borrow_mut() = (!a.get(2).is_empty()).then(|| a.get(2).to_vec());
            ok(c)
        }
        (b"GETNAME", 2) => {
            match &*c.client.name.borrow() {
                Some(n) => c.out.bulk(n),
                None => c.out.nil(),
            }
            After::Continue
        }
        (b"SETINFO", 4) => ok(c),
        (b"ID", 2) => int(c, c.client.id as i64),
        _ => error(
            c,
            &format!(
                "ERR unknown subcommand '{}'. Try CLIENT HELP.",
                lossy(a.get(1), 128)
            ),
        ),
    }
}

/// HELLO [protover [AUTH user pass] [SETNAME name]]: the handshake of RESP3-aware clients.
/// This server speaks RESP2 only, so `HELLO 3` gets Redis's `NOPROTO` (a client then stays
/// on RESP2); `HELLO` and `HELLO 2` answer the server's description. The default user has no
/// password, as Redis's: AUTH with any password succeeds.
pub(super) fn hello(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    if a.len() >= 2 {
        match parse_i64(a.get(1)) {
            None => return error(c, "ERR Protocol version is not an integer or out of range"),
            Some(2) => {}
            Some(_) => return error(c, "NOPROTO unsupported protocol version"),
        }
    }
    let mut name = None;
    let mut i = 2;
    while i < a.len() {
        let opt = a.get(i).to_ascii_uppercase();
        match opt.as_slice() {
            b"AUTH" if i + 2 < a.len() => i += 3,
            b"SETNAME" if i + 1 < a.len() => {
                name = Some(a.get(i + 1));
                i += 2;
            }
            _ => {
                return error(
                    c,
                    &format!(
                        "ERR Syntax error in HELLO option '{}'",
                        lossy(a.get(i), 128)
                    ),
                );
            }
        }
    }
    if let Some(name) = name {
        *c.client.name.borrow_mut() = (!name.is_empty()).then(|| name.to_vec());
    }
    c.out.array(14);
    for (key, value) in [("server", "redis"), ("version", "7.0.15")] {
        c.out.bulk(key.as_bytes());
        c.out.bulk(value.as_bytes());
    }
    c.out.bulk(b"proto");
    c.out.int(2);
    c.out.bulk(b"id");
    c.out.int(c.client.id as i64);
    for (key, value) in [("mode", "standalone"), ("role", "master")] {
        c.out.bulk(key.as_bytes());
        c.out.bulk(value.as_bytes());
    }
    c.out.bulk(b"modules");
    c.out.array(0);
    After::Continue
}

pub(super) fn append(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    match db.get_str(a.get(1)) {
        Err(_) => error(c, WRONGTYPE),
        Ok(Some(s)) => {
            s.extend_from_slice(a.get(2));
            let n = s.len();
            int(c, n as i64)
        }
        Ok(None) => {
            db.set(a.get(1), a.get(2), None, false);
            int(c, a.get(2).len() as i64)
        }
    }
}

pub(super) fn strlen(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    match c.server.db.lock().get_str(a.get(1)) {
        Err(_) => error(c, WRONGTYPE),
        Ok(s) => int(c, s.map_or(0, |s| s.len()) as i64),
    }
}

pub(super) fn setnx(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    if db.exists(a.get(1)) {
        return int(c, 0);
    }
    db.set(a.get(1), a.get(2), None, false);
    int(c, 1)
}

/// GETSET key value: the old string (nil when none), and the new value without a deadline.
pub(super) fn getset(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    match db.get_str(a.get(1)) {
        Err(_) => return error(c, WRONGTYPE),
        Ok(Some(old)) => c.out.bulk(old),
        Ok(None) => c.out.nil(),
    }
    db.set(a.get(1), a.get(2), None, false);
    After::Continue
}
