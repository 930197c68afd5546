//! The commands: lookup, arity, subscribe-mode rules, and each command's Redis semantics.
//!
//! Every command writes its reply into the connection's output buffer; none allocates on
//! the way except to store new keys and values.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use corio::Loops;

use super::db::{Db, WrongType};
use super::pubsub::{Client, LoopCounts, PubSub};
use super::resp::{Argv, Reply, parse_i64};

#[path = "admin.rs"]
mod admin;
#[path = "collections.rs"]
mod collections;

/// What the server shares between the connections of one loop.
#[derive(Debug)]
pub(crate) struct Server {
    /// The keys: one keyspace for every loop of the server.
    pub(crate) db: Keyspace,
    /// This loop's subscribers (a published message reaches the other loops' through
    /// their remote handles, see [`publish`]).
    pub(crate) pubsub: RefCell<PubSub>,
    /// The server's loops when it runs on several (`--loops N`).
    pub(crate) loops: Option<Loops>,
    /// Connections this loop accepted (Redis's `total_connections_received`, per loop).
    pub(crate) connections: Cell<u64>,
}

impl Server {
    /// A server on one loop.
    pub(crate) fn new() -> Self {
        Server {
            db: Keyspace::default(),
            pubsub: RefCell::new(PubSub::default()),
            loops: None,
            connections: Cell::new(0),
        }
    }

    /// This loop's part of a server on several loops, which share `db` and `counts`.
    pub(crate) fn on_loop(db: Keyspace, loops: Loops, counts: LoopCounts) -> Self {
        Server {
            db,
            pubsub: RefCell::new(PubSub::on_loop(loops.index(), loops.len(), counts)),
            loops: Some(loops),
            connections: Cell::new(0),
        }
    }

    /// Makes this the server that messages published on other loops are delivered to on
    /// this thread.
    pub(crate) fn serve_here(self: &Rc<Self>) {
        HERE.with_borrow_mut(|here| *here = Some(self.clone()));
    }
}

thread_local! {
    /// The server of the loop on this thread, for messages published on another loop.
    static HERE: RefCell<Option<Rc<Server>>> = const { RefCell::new(None) };
}

/// How many connections the loop on this thread accepted (0 without a server here).
#[allow(dead_code, reason = "the integration tests read it")]
pub(crate) fn connections_here() -> u64 {
    HERE.with_borrow(|here| here.as_ref().map_or(0, |s| s.connections.get()))
}

/// The keyspace, shared by the loops of a multi-loop server. Each command holds the lock
/// for its own run only (never across an await), so a command is atomic as in Redis; on
/// one loop the lock is never contended.
#[derive(Debug, Clone)]
pub(crate) struct Keyspace(Arc<Mutex<Db>>);

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace(Arc::new(Mutex::new(Db::new())))
    }
}

impl Keyspace {
    /// The keys, for one command.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Db> {
        // A panic in a command leaves the keyspace as it was between two of its steps,
        // which is what Redis would have after a crash: serve on.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum After {
    /// Read the next command.
    Continue,
    /// Send what is buffered, then close (QUIT).
    Close,
}

/// Everything a command can touch.
struct Ctx<'a> {
    server: &'a Server,
    client: &'a Rc<Client>,
    out: &'a mut Vec<u8>,
}

type Handler = fn(&mut Ctx<'_>, Argv<'_>) -> After;

/// A command's name as Redis spells it in errors, its arity (n: exactly n arguments with
/// the name; -n: at least n) and its code.
struct Command {
    name: &'static str,
    arity: i32,
    run: Handler,
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

macro_rules! commands {
    ($($upper:literal => $name:literal, $arity:expr, $run:expr;)*) => {
        /// Every command's name and arity, in table order (`COMMAND`, `COMMAND COUNT`).
        const NAMES: &[(&str, i32)] = &[$(($name, $arity)),*];

        /// Finds a command by its name, in any case, without allocating.
        fn lookup(name: &[u8]) -> Option<&'static Command> {
            let mut upper = [0u8; 16];
            let upper = upper.get_mut(..name.len())?;
            upper.copy_from_slice(name);
            upper.make_ascii_uppercase();
            match &*upper {
                $($upper => Some(&Command { name: $name, arity: $arity, run: $run }),)*
                _ => None,
            }
        }
    };
}

commands! {
    b"GET" => "get", 2, get;
    b"SET" => "set", -3, set;
    b"PING" => "ping", -1, ping;
    b"ECHO" => "echo", 2, echo;
    b"QUIT" => "quit", -1, quit;
    b"DEL" => "del", -2, del;
    b"EXISTS" => "exists", -2, exists;
    b"INCR" => "incr", 2, |c, a| incr_by(c, a.get(1), 1);
    b"DECR" => "decr", 2, |c, a| incr_by(c, a.get(1), -1);
    b"INCRBY" => "incrby", 3, |c, a| with_int(c, a.get(2), |c, n| incr_by(c, a.get(1), n));
    b"DECRBY" => "decrby", 3, |c, a| with_int(c, a.get(2), |c, n| match n.checked_neg() {
        Some(n) => incr_by(c, a.get(1), n),
        None => error(c, "ERR decrement would overflow"),
    });
    b"MGET" => "mget", -2, mget;
    b"MSET" => "mset", -3, mset;
    b"EXPIRE" => "expire", -3, |c, a| expire(c, a, 1000, "expire");
    b"PEXPIRE" => "pexpire", -3, |c, a| expire(c, a, 1, "pexpire");
    b"TTL" => "ttl", 2, |c, a| ttl(c, a, 1000);
    b"PTTL" => "pttl", 2, |c, a| ttl(c, a, 1);
    b"PERSIST" => "persist", 2, persist;
    b"DBSIZE" => "dbsize", 1, |c, _| { let n = c.server.db.lock().len(); int(c, n as i64) };
    b"FLUSHALL" => "flushall", -1, flushall;
    b"LPUSH" => "lpush", -3, |c, a| push(c, a, VecDeque::push_front);
    b"RPUSH" => "rpush", -3, |c, a| push(c, a, VecDeque::push_back);
    b"LPOP" => "lpop", -2, |c, a| pop(c, a, VecDeque::pop_front);
    b"RPOP" => "rpop", -2, |c, a| pop(c, a, VecDeque::pop_back);
    b"LLEN" => "llen", 2, llen;
    b"LRANGE" => "lrange", 4, lrange;
    b"PUBLISH" => "publish", 3, publish;
    b"SUBSCRIBE" => "subscribe", -2, subscribe;
    b"UNSUBSCRIBE" => "unsubscribe", -1, unsubscribe;
    b"CONFIG" => "config", -2, config;
    b"SADD" => "sadd", -3, collections::sadd;
    b"SREM" => "srem", -3, collections::srem;
    b"SCARD" => "scard", 2, collections::scard;
    b"SISMEMBER" => "sismember", 3, collections::sismember;
    b"SMEMBERS" => "smembers", 2, collections::smembers;
    b"SPOP" => "spop", -2, collections::spop;
    b"HSET" => "hset", -4, |c, a| collections::hset(c, a, "hset");
    b"HMSET" => "hmset", -4, |c, a| collections::hset(c, a, "hmset");
    b"HGET" => "hget", 3, collections::hget;
    b"HDEL" => "hdel", -3, collections::hdel;
    b"HLEN" => "hlen", 2, collections::hlen;
    b"HEXISTS" => "hexists", 3, collections::hexists;
    b"HGETALL" => "hgetall", 2, |c, a| collections::hgetall(c, a, true, true);
    b"HKEYS" => "hkeys", 2, |c, a| collections::hgetall(c, a, true, false);
    b"HVALS" => "hvals", 2, |c, a| collections::hgetall(c, a, false, true);
    b"ZADD" => "zadd", -4, collections::zadd;
    b"ZPOPMIN" => "zpopmin", -2, |c, a| collections::zpop(c, a, false);
    b"ZPOPMAX" => "zpopmax", -2, |c, a| collections::zpop(c, a, true);
    b"ZCARD" => "zcard", 2, collections::zcard;
    b"ZSCORE" => "zscore", 3, collections::zscore;
    b"ZREM" => "zrem", -3, collections::zrem;
    b"ZRANGE" => "zrange", -4, collections::zrange;
    b"KEYS" => "keys", 2, admin::keys;
    b"SCAN" => "scan", -2, admin::scan;
    b"TYPE" => "type", 2, admin::type_;
    b"SELECT" => "select", 2, admin::select;
    b"INFO" => "info", -1, admin::info;
    b"COMMAND" => "command", -1, admin::command;
    b"CLIENT" => "client", -2, admin::client;
    b"HELLO" => "hello", -1, admin::hello;
    b"APPEND" => "append", 3, admin::append;
    b"STRLEN" => "strlen", 2, admin::strlen;
    b"SETNX" => "setnx", 3, admin::setnx;
    b"GETSET" => "getset", 3, admin::getset;
}

/// Runs one request (`argv.get(0)` is the command name) and appends its reply to `out`.
pub(crate) fn execute(
    server: &Server,
    client: &Rc<Client>,
    out: &mut Vec<u8>,
    argv: Argv<'_>,
) -> After {
    let name = argv.get(0);
    let in_multi = client.multi.borrow().is_some();
    if let Some(after) = transaction(server, client, out, argv) {
        return after;
    }
    let Some(cmd) = lookup(name) else {
        if in_multi {
            client.multi_failed.set(true);
        }
        let mut msg = format!(
            "ERR unknown command '{}', with args beginning with: ",
            lossy(name, 128)
        );
        let mut args = String::new();
        for arg in argv.iter_from(1) {
            if args.len() >= 128 {
                break;
            }
            args.push_str(&format!("'{}' ", lossy(arg, 128 - args.len())));
        }
        msg.push_str(&args);
        out.error(&msg);
        return After::Continue;
    };
    let n = argv.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || n < -cmd.arity {
        if in_multi {
            client.multi_failed.set(true);
        }
        out.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.name
        ));
        return After::Continue;
    }
    if in_multi && cmd.name != "quit" {
        if let Some(queue) = client.multi.borrow_mut().as_mut() {
            queue.push(argv.to_owned_argv());
        }
        out.simple("QUEUED");
        return After::Continue;
    }
    if client.subscribed() && !matches!(cmd.name, "subscribe" | "unsubscribe" | "ping" | "quit") {
        out.error(&format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            cmd.name
        ));
        return After::Continue;
    }
    (cmd.run)(
        &mut Ctx {
            server,
            client,
            out,
        },
        argv,
    )
}

/// MULTI, EXEC and DISCARD: `Some` when `argv` is one of them (answered here), else `None`.
/// Between MULTI and EXEC every other command is checked (name, arity) and queued; EXEC runs
/// the queue with nothing in between, so on one loop a transaction is atomic as in Redis
/// (on several loops each command still takes the keyspace lock for itself). WATCH is not
/// implemented.
fn transaction(
    server: &Server,
    client: &Rc<Client>,
    out: &mut Vec<u8>,
    argv: Argv<'_>,
) -> Option<After> {
    let name = argv.get(0);
    let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
    if !(is(b"MULTI") || is(b"EXEC") || is(b"DISCARD")) {
        return None;
    }
    let in_multi = client.multi.borrow().is_some();
    if argv.len() != 1 {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let msg = format!("wrong number of arguments for '{lower}' command");
        if in_multi && is(b"EXEC") {
            // A refused EXEC ends the transaction at once, as Redis's execCommandAbort.
            client.multi.borrow_mut().take();
            client.multi_failed.set(false);
            out.error(&format!(
                "EXECABORT Transaction discarded because of: {msg}"
            ));
        } else {
            if in_multi {
                client.multi_failed.set(true);
            }
            out.error(&format!("ERR {msg}"));
        }
        return Some(After::Continue);
    }
    if client.subscribed() {
        return None; // the subscribe-mode error, from `execute`
    }
    if is(b"MULTI") {
        if in_multi {
            out.error("ERR MULTI calls can not be nested");
        } else {
            *client.multi.borrow_mut() = Some(Vec::new());
            client.multi_failed.set(false);
            out.simple("OK");
        }
        return Some(After::Continue);
    }
    let queued = client.multi.borrow_mut().take();
    let failed = client.multi_failed.replace(false);
    let Some(queued) = queued else {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        let upper = lower.to_ascii_uppercase();
        out.error(&format!("ERR {upper} without MULTI"));
        return Some(After::Continue);
    };
    if is(b"DISCARD") {
        out.simple("OK");
        return Some(After::Continue);
    }
    if failed {
        out.error("EXECABORT Transaction discarded because of previous errors.");
        return Some(After::Continue);
    }
    out.array(queued.len());
    let mut after = After::Continue;
    for request in &queued {
        if execute(server, client, out, request.argv()) == After::Close {
            after = After::Close;
        }
    }
    Some(after)
}

/// At most `max` bytes of `b`, as text.
fn lossy(b: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
}

fn error(c: &mut Ctx<'_>, msg: &str) -> After {
    c.out.error(msg);
    After::Continue
}

fn ok(c: &mut Ctx<'_>) -> After {
    c.out.simple("OK");
    After::Continue
}

fn int(c: &mut Ctx<'_>, n: i64) -> After {
    c.out.int(n);
    After::Continue
}

/// Parses an integer argument, or replies the not-an-integer error.
fn with_int(c: &mut Ctx<'_>, arg: &[u8], then: impl FnOnce(&mut Ctx<'_>, i64) -> After) -> After {
    match parse_i64(arg) {
        Some(n) => then(c, n),
        None => error(c, NOT_INTEGER),
    }
}

fn ping(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    if a.len() > 2 {
        return error(c, "ERR wrong number of arguments for 'ping' command");
    }
    let msg = (a.len() == 2).then(|| a.get(1));
    if c.client.subscribed() {
        c.out.array(2);
        c.out.bulk(b"pong");
        c.out.bulk(msg.unwrap_or(b""));
    } else {
        match msg {
            Some(m) => c.out.bulk(m),
            None => c.out.simple("PONG"),
        }
    }
    After::Continue
}

fn echo(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    c.out.bulk(a.get(1));
    After::Continue
}

fn quit(c: &mut Ctx<'_>, _: Argv<'_>) -> After {
    ok(c);
    After::Close
}

fn get(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    match c.server.db.lock().get_str(a.get(1)) {
        Ok(Some(v)) => c.out.bulk(v),
        Ok(None) => c.out.nil(),
        Err(WrongType) => c.out.error(WRONGTYPE),
    }
    After::Continue
}

fn set(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let (mut nx, mut xx, mut keep_ttl, mut get) = (false, false, false, false);
    let mut expire: Option<(i64, i64)> = None; // (amount, ms per unit)
    let mut i = 3;
    while i < a.len() {
        let opt = a.get(i);
        let next = (i + 1 < a.len()).then(|| a.get(i + 1));
        if opt.eq_ignore_ascii_case(b"NX") && !xx {
            nx = true;
        } else if opt.eq_ignore_ascii_case(b"XX") && !nx {
            xx = true;
        } else if opt.eq_ignore_ascii_case(b"GET") {
            get = true;
        } else if opt.eq_ignore_ascii_case(b"KEEPTTL") && expire.is_none() {
            keep_ttl = true;
        } else if (opt.eq_ignore_ascii_case(b"EX") || opt.eq_ignore_ascii_case(b"PX"))
            && expire.is_none()
            && !keep_ttl
            && let Some(next) = next
        {
            let Some(n) = parse_i64(next) else {
                return error(c, NOT_INTEGER);
            };
            expire = Some((
                n,
                if opt.eq_ignore_ascii_case(b"EX") {
                    1000
                } else {
                    1
                },
            ));
            i += 1;
        } else {
            return error(c, SYNTAX);
        }
        i += 1;
    }
    let mut db = c.server.db.lock();
    let expires_at = match expire {
        None => None,
        Some((n, unit)) => {
            let now = db.now();
            match n
                .checked_mul(unit)
                .filter(|_| n > 0)
                .and_then(|ms| ms.checked_add(now))
            {
                Some(at) => Some(at),
                None => return error(c, "ERR invalid expire time in 'set' command"),
            }
        }
    };
    let key = a.get(1);
    // With GET the reply is the old string (nil when none) whether or not the value is
    // set; a key of another type refuses the whole command.
    let old = if get {
        match db.get_str(key) {
            Err(WrongType) => return error(c, WRONGTYPE),
            Ok(old) => Some(old.map(|s| s.clone())),
        }
    } else {
        None
    };
    let reply = |c: &mut Ctx<'_>, set: bool| {
        match &old {
            Some(Some(v)) => c.out.bulk(v),
            Some(None) => c.out.nil(),
            None if set => c.out.simple("OK"),
            None => c.out.nil(),
        }
        After::Continue
    };
    if nx || xx {
        let exists = db.exists(key);
        if (nx && exists) || (xx && !exists) {
            return reply(c, false);
        }
    }
    db.set(key, a.get(2), expires_at, keep_ttl);
    reply(c, true)
}

fn del(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    let n = a.iter_from(1).filter(|k| db.remove(k)).count();
    int(c, n as i64)
}

fn exists(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    let n = a.iter_from(1).filter(|k| db.exists(k)).count();
    int(c, n as i64)
}

fn incr_by(c: &mut Ctx<'_>, key: &[u8], by: i64) -> After {
    let mut db = c.server.db.lock();
    let slot = match db.get_str(key) {
        Err(WrongType) => return error(c, WRONGTYPE),
        Ok(slot) => slot,
    };
    let old = match &slot {
        None => 0,
        Some(s) => match parse_i64(s) {
            Some(n) => n,
            None => return error(c, NOT_INTEGER),
        },
    };
    let Some(new) = old.checked_add(by) else {
        return error(c, "ERR increment or decrement would overflow");
    };
    match slot {
        // Rewrite the digits in place: INCR on an existing key allocates nothing.
        Some(s) => {
            s.clear();
            super::resp::push_int(s, new);
        }
        None => {
            let mut s = Vec::with_capacity(20);
            super::resp::push_int(&mut s, new);
            db.set(key, &s, None, false);
        }
    }
    int(c, new)
}

fn mget(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    c.out.array(a.len() - 1);
    for key in a.iter_from(1) {
        match db.get_str(key) {
            Ok(Some(v)) => c.out.bulk(v),
            _ => c.out.nil(),
        }
    }
    After::Continue
}

fn mset(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    if a.len().is_multiple_of(2) {
        return error(c, "ERR wrong number of arguments for 'mset' command");
    }
    let mut db = c.server.db.lock();
    for i in (1..a.len()).step_by(2) {
        db.set(a.get(i), a.get(i + 1), None, false);
    }
    ok(c)
}

/// EXPIRE/PEXPIRE key amount [NX|XX|GT|LT], `unit` ms per amount.
fn expire(c: &mut Ctx<'_>, a: Argv<'_>, unit: i64, name: &str) -> After {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in a.iter_from(3) {
        match opt.to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => return error(c, &format!("ERR Unsupported option {}", lossy(opt, 128))),
        }
    }
    if nx && (xx || gt || lt) {
        return error(
            c,
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        );
    }
    if gt && lt {
        return error(
            c,
            "ERR GT and LT options at the same time are not compatible",
        );
    }
    let Some(amount) = parse_i64(a.get(2)) else {
        return error(c, NOT_INTEGER);
    };
    let mut db = c.server.db.lock();
    let now = db.now();
    let Some(at) = amount.checked_mul(unit).and_then(|ms| ms.checked_add(now)) else {
        return error(c, &format!("ERR invalid expire time in '{name}' command"));
    };
    let key = a.get(1);
    let Some(entry) = db.entry(key) else {
        return int(c, 0);
    };
    // A key without a deadline counts as having an infinite one for GT and LT.
    let current = entry.expires_at;
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|cur| at <= cur))
        || (lt && current.is_some_and(|cur| at >= cur));
    if refused {
        return int(c, 0);
    }
    if at <= now {
        db.remove(key);
    } else {
        db.set_expiry(key, Some(at));
    }
    int(c, 1)
}

/// TTL/PTTL: -2 no key, -1 no deadline, else the time left in `unit` ms, rounded.
fn ttl(c: &mut Ctx<'_>, a: Argv<'_>, unit: i64) -> After {
    let mut db = c.server.db.lock();
    let now = db.now();
    let left = match db.entry(a.get(1)) {
        None => -2,
        Some(e) => match e.expires_at {
            None => -1,
            Some(at) => ((at - now).max(0) + unit / 2) / unit,
        },
    };
    int(c, left)
}

fn persist(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut db = c.server.db.lock();
    let had = db.entry(a.get(1)).is_some_and(|e| e.expires_at.is_some());
    if had {
        db.set_expiry(a.get(1), None);
    }
    int(c, i64::from(had))
}

fn flushall(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    if a.len() > 2
        || (a.len() == 2
            && !a.get(1).eq_ignore_ascii_case(b"SYNC")
            && !a.get(1).eq_ignore_ascii_case(b"ASYNC"))
    {
        return error(c, SYNTAX);
    }
    c.server.db.lock().clear();
    ok(c)
}

fn push(c: &mut Ctx<'_>, a: Argv<'_>, at_end: fn(&mut VecDeque<Vec<u8>>, Vec<u8>)) -> After {
    let mut db = c.server.db.lock();
    let list = match db.list_or_create(a.get(1)) {
        Ok(l) => l,
        Err(WrongType) => return error(c, WRONGTYPE),
    };
    for v in a.iter_from(2) {
        at_end(list, v.to_vec());
    }
    let n = list.len();
    int(c, n as i64)
}

/// LPOP/RPOP key [count].
fn pop(c: &mut Ctx<'_>, a: Argv<'_>, take: fn(&mut VecDeque<Vec<u8>>) -> Option<Vec<u8>>) -> After {
    let count = match a.len() {
        2 => None,
        3 => match parse_i64(a.get(2)) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return error(c, "ERR value is out of range, must be positive"),
        },
        _ => {
            return error(
                c,
                &format!(
                    "ERR wrong number of arguments for '{}' command",
                    lossy(&a.get(0).to_ascii_lowercase(), 16)
                ),
            );
        }
    };
    let key = a.get(1);
    let mut db = c.server.db.lock();
    let list = match db.get_list(key) {
        Err(WrongType) => return error(c, WRONGTYPE),
        Ok(None) => {
            match count {
                None => c.out.nil(),
                Some(_) => c.out.nil_array(),
            }
            return After::Continue;
        }
        Ok(Some(l)) => l,
    };
    match count {
        None => {
            let v = take(list).expect("stored lists are not empty");
            c.out.bulk(&v);
        }
        Some(n) => {
            let n = n.min(list.len());
            c.out.array(n);
            for _ in 0..n {
                let v = take(list).expect("counted");
                c.out.bulk(&v);
            }
        }
    }
    db.drop_if_empty(key);
    After::Continue
}

fn llen(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let n = match c.server.db.lock().get_list(a.get(1)) {
        Err(WrongType) => return error(c, WRONGTYPE),
        Ok(l) => l.map_or(0, |l| l.len()),
    };
    int(c, n as i64)
}

fn lrange(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let (Some(start), Some(stop)) = (parse_i64(a.get(2)), parse_i64(a.get(3))) else {
        return error(c, NOT_INTEGER);
    };
    let mut db = c.server.db.lock();
    let list = match db.get_list(a.get(1)) {
        Err(WrongType) => return error(c, WRONGTYPE),
        Ok(None) => {
            c.out.array(0);
            return After::Continue;
        }
        Ok(Some(l)) => l,
    };
    let Some((start, n)) = index_range(start, stop, list.len()) else {
        c.out.array(0);
        return After::Continue;
    };
    c.out.array(n);
    for v in list.range(start..start + n) {
        c.out.bulk(v);
    }
    After::Continue
}

/// Redis's inclusive `start..=stop` over `len` items, negative indexes counting from the end
/// (LRANGE, ZRANGE): the first index and the count, or `None` when the range is empty.
fn index_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 {
        len + stop
    } else {
        stop.min(len - 1)
    };
    (start <= stop && start < len).then(|| (start as usize, (stop - start + 1) as usize))
}

/// Delivers to this loop's subscribers at once and to the other loops' at their next turn
/// (in the order published from here); the count includes the subscribers there.
fn publish(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let (channel, message) = (a.get(1), a.get(2));
    let mut n = c.server.pubsub.borrow_mut().publish(channel, message);
    if let Some(loops) = &c.server.loops {
        for (index, subscribers) in c.server.pubsub.borrow().elsewhere(channel) {
            let (channel, message) = (channel.to_vec(), message.to_vec());
            let delivered = loops.remote(index).call_soon_threadsafe(move || {
                HERE.with_borrow(|here| {
                    if let Some(server) = here {
                        server.pubsub.borrow_mut().publish(&channel, &message);
                    }
                });
            });
            // A loop that has finished has no subscribers left to count.
            if delivered.is_ok() {
                n += subscribers;
            }
        }
    }
    int(c, n as i64)
}

fn subscribe(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut pubsub = c.server.pubsub.borrow_mut();
    for channel in a.iter_from(1) {
        pubsub.subscribe(c.client, channel, c.out);
    }
    After::Continue
}

fn unsubscribe(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let mut pubsub = c.server.pubsub.borrow_mut();
    if a.len() == 1 {
        pubsub.unsubscribe_all(c.client, c.out);
    }
    for channel in a.iter_from(1) {
        pubsub.unsubscribe(c.client, channel, c.out);
    }
    After::Continue
}

/// The configuration CONFIG GET reports: what this server does, spelled as redis.conf
/// would (it never persists anything). redis-benchmark reads `save` and `appendonly` at
/// start and warns when they are missing.
const CONFIG: &[(&str, &str)] = &[("save", ""), ("appendonly", "no")];

/// CONFIG GET pattern…: the matching parameters as name, value pairs (an empty array when
/// none match); other subcommands are unknown.
fn config(c: &mut Ctx<'_>, a: Argv<'_>) -> After {
    let sub = a.get(1);
    if sub.eq_ignore_ascii_case(b"GET") {
        if a.len() < 3 {
            return error(c, "ERR wrong number of arguments for 'config|get' command");
        }
        let matching = || {
            CONFIG.iter().filter(|(name, _)| {
                a.iter_from(2)
                    .any(|p| glob(&p.to_ascii_lowercase(), name.as_bytes()))
            })
        };
        c.out.array(2 * matching().count());
        for (name, value) in matching() {
            c.out.bulk(name.as_bytes());
            c.out.bulk(value.as_bytes());
        }
        return After::Continue;
    }
    error(
        c,
        &format!(
            "ERR unknown subcommand '{}'. Try CONFIG HELP.",
            lossy(sub, 128)
        ),
    )
}

/// Whether `text` matches the glob `pattern`, as Redis's `stringmatchlen` (KEYS, CONFIG
/// GET): `*`, `?`, `[abc]`, `[^abc]`, `[a-z]`, and `\\x` for a literal `x`.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((b'[', rest)) => {
            let Some((&t, text_rest)) = text.split_first() else {
                return false;
            };
            let (negate, mut p) = match rest.split_first() {
                Some((b'^', r)) => (true, r),
                _ => (false, rest),
            };
            let mut hit = false;
            loop {
                match p {
                    [] => break, // an unclosed class ends the pattern, as in Redis
                    [b']', r @ ..] => {
                        p = r;
                        break;
                    }
                    [b'\\', x, r @ ..] => {
                        hit |= *x == t;
                        p = r;
                    }
                    [lo, b'-', hi, r @ ..] if *hi != b']' => {
                        let (lo, hi) = if lo <= hi { (*lo, *hi) } else { (*hi, *lo) };
                        hit |= (lo..=hi).contains(&t);
                        p = r;
                    }
                    [x, r @ ..] => {
                        hit |= *x == t;
                        p = r;
                    }
                }
            }
            hit != negate && glob(p, text_rest)
        }
        Some((b'\\', rest)) if !rest.is_empty() => {
            text.first() == Some(&rest[0]) && glob(&rest[1..], &text[1..])
        }
        Some((&p, rest)) => text.first() == Some(&p) && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_case_and_refuses_long_names() {
        assert_eq!(lookup(b"get").map(|c| c.name), Some("get"));
        assert_eq!(
            lookup(b"UnSuBsCrIbE").map(|c| (c.name, c.arity)),
            Some(("unsubscribe", -1))
        );
        assert!(lookup(b"GETX").is_none());
        assert!(lookup(&[b'A'; 100]).is_none());
        assert!(lookup(b"").is_none());
    }

    #[test]
    fn config_patterns() {
        assert!(glob(b"*", b"save"));
        assert!(glob(b"app?ndonly", b"appendonly"));
        assert!(glob(b"*only", b"appendonly"));
        assert!(!glob(b"save*x", b"save"));
        assert!(!glob(b"sav", b"save"));
        assert!(glob(b"h[ae]llo", b"hallo"));
        assert!(!glob(b"h[^e]llo", b"hello"));
        assert!(glob(b"h[a-c]llo", b"hbllo"));
        assert!(!glob(b"h[a-c]llo", b"hdllo"));
        assert!(glob(b"a\\*b", b"a*b"));
        assert!(!glob(b"a\\*b", b"axb"));
    }
}
