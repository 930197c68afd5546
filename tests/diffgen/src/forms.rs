//! The widened language: forms the scale runner (`corio-diffrun`) enables, each behind one of
//! the [`FEATURES`](super::FEATURES), so that the CI slice keeps to what corio compiles today.
//!
//! Every form is valid in the plain function, terminates, and keeps the generator's invariants
//! (no suspension point in a guard, a closure or another macro's arguments; no borrow of a
//! local held across a suspension point, except where a form says so).

use std::fmt::Write as _;

use super::{Breakable, Cx, Gen, Kind, PURE, Sig, YES};

impl Gen {
    /// Whether feature `name` is on.
    pub(super) fn f(&self, name: &str) -> bool {
        self.feat.has(name)
    }

    /// Whether any feature is on (the CI slice has none).
    pub(super) fn wide(&self) -> bool {
        self.feat != super::Features::ci()
    }

    /// A leaf from the signature (`f`, `tw`, `K`, `data`, `self.k`) or a widened kind.
    pub(super) fn wide_leaf(&mut self) -> Option<String> {
        match self.rng.below(6) {
            0 | 1 if self.f("generics") => match self.sig {
                Sig::Where => Some("Into::<i64>::into(tw)".into()),
                Sig::Const => Some("(K as i64)".into()),
                Sig::OutsideRef => Some(format!("data[{}]", self.rng.below(4))),
                Sig::RefSelf | Sig::MutSelf | Sig::OwnedSelf => Some("self.k".into()),
                Sig::Generic | Sig::ImplTrait => {
                    let x = self.lit();
                    Some(format!("f({x})"))
                }
                Sig::Plain => None,
            },
            2 | 3 => {
                let id = self.pick(|v| v.kind == Kind::Slice)?;
                Some(format!("{}[{}]", self.vars[id].name, self.rng.below(2)))
            }
            4 => {
                let id = self.pick(|v| v.kind == Kind::Point)?;
                let field = ["x", "y"][self.rng.below(2)];
                Some(format!("{}.{field}", self.vars[id].name))
            }
            _ if self.f("borrow_call") => Some(format!("TABLE[{}]", self.rng.below(4))),
            _ => None,
        }
    }

    /// An `i64` expression of the widened language, if one fits here.
    pub(super) fn wide_int(&mut self, d: usize, cx: Cx) -> Option<String> {
        match self.rng.below(20) {
            0 | 1 if self.f("generics") => match self.sig {
                Sig::Generic | Sig::ImplTrait => {
                    let a = self.int(d, cx);
                    Some(format!("f({a})"))
                }
                Sig::OutsideRef => {
                    let a = self.int(d, cx);
                    Some(format!("data[(({a}) & 3i64) as usize]"))
                }
                Sig::Const => {
                    let a = self.int(d, cx);
                    let i = self.int(d, cx);
                    Some(format!("[{a}; K][(({i}) & 1i64) as usize]"))
                }
                Sig::MutSelf | Sig::OwnedSelf if cx.mv => {
                    let a = self.int(d, cx);
                    Some(format!("{{ self.k = self.k ^ {a}; self.k }}"))
                }
                _ => None,
            },
            2..=4 if self.f("borrow_call") => {
                // A borrow that ends inside the expression, before any later operand's
                // suspension point. Generated in the order of the text: the later operand
                // must see what the borrow's operands move (seed 1012 async case 34 used `x`
                // after `measure(&[ctx.consume(x), …])` moved it, E0382).
                let borrow = match self.rng.below(4) {
                    0 => {
                        let v = self.pick(|v| v.kind == Kind::Vec)?;
                        format!("measure(&{})", self.vars[v].name)
                    }
                    1 => {
                        let s = self.pick(|v| v.kind == Kind::Str)?;
                        format!("key(&{})", self.vars[s].name)
                    }
                    2 => {
                        let n = self.pick(|v| matches!(v.kind, Kind::Noisy | Kind::Guard))?;
                        format!("peek(&{})", self.vars[n].name)
                    }
                    _ => {
                        let a = self.int(d, cx);
                        let b = self.int(d, cx);
                        format!("measure(&[{a}, {b}])")
                    }
                };
                let later = self.int(d, cx);
                Some(format!("mix({borrow}, {later})"))
            }
            5..=19 if self.f("exprs") => self.expr_form(d, cx),
            _ => None,
        }
    }

    /// `[x; n]`, ranges, casts, unary minus, struct literals, closures, diverging operands.
    fn expr_form(&mut self, d: usize, cx: Cx) -> Option<String> {
        Some(match self.rng.below(12) {
            0 => {
                let a = self.int(d, cx);
                let i = self.int(d, cx);
                format!("[{a}; 3][(({i}) & 1i64) as usize]")
            }
            1 => {
                let a = self.int(d, cx);
                format!("(0i64..(({a}) & 7i64)).sum::<i64>()")
            }
            2 => {
                let lo = self.int(d, cx);
                let hi = self.int(d, cx);
                let x = self.int(d, cx);
                // Parenthesized: `… as i64 < y` reads `i64<` as generic arguments.
                format!("(((({lo}) & 15i64)..=(({hi}) & 15i64)).contains(&(({x}) & 15i64)) as i64)")
            }
            3 => {
                let a = self.int(d, cx);
                let ty = ["i32", "u16", "i8", "u64"][self.rng.below(4)];
                format!("(({a}) as {ty} as i64)")
            }
            4 => {
                let c = self.cond(d, cx);
                format!("({c} as i64)")
            }
            5 => {
                let a = self.int(d, cx);
                format!("(-(({a}) & 1023i64))")
            }
            6 => {
                let a = self.int(d, cx);
                let field = ["x", "y"][self.rng.below(2)];
                match self.pick(|v| v.kind == Kind::Point) {
                    Some(base) if self.rng.chance(60) => {
                        let base = self.vars[base].name.clone();
                        format!("(Pt {{ x: {a}, ..{base} }}).{field}")
                    }
                    _ => {
                        let b = self.int(d, cx);
                        format!("(Pt {{ x: {a}, y: {b} }}).{field}")
                    }
                }
            }
            7 => {
                let a = self.int(d, cx);
                format!("W({a}).0")
            }
            8 if cx.y && cx.mv => {
                // A diverging operand: `return`, `break` or `continue` in a branch.
                let c = self.cond(d, cx);
                // Only a labeled `break`/`continue` or a `return`: this may be a `while`
                // condition, where an unlabeled one is E0590.
                let div = match self.diverge(cx) {
                    Some(d) if d.starts_with("break '") || d.starts_with("continue '") => d,
                    _ => {
                        let e = self.int(d + 1, cx);
                        format!("return Ok({e})")
                    }
                };
                let div = div.trim_end_matches(';').to_string();
                let a = self.int(d, cx);
                format!("(if {c} {{ {div} }} else {{ {a} }})")
            }
            9 => {
                // A `move` closure called at once: its argument may suspend.
                let x = self
                    .pick_kind(Kind::Int)
                    .unwrap_or_else(|| self.param.into());
                let a = self.int(d, cx);
                format!("(move |z: i64| z ^ {x})({a})")
            }
            10 => {
                // A borrowing closure called at once, with an argument that does not suspend.
                let x = self
                    .pick_kind(Kind::Int)
                    .unwrap_or_else(|| self.param.into());
                let a = self.int(d, PURE);
                format!("(|z: i64| z.wrapping_sub({x}))({a})")
            }
            _ => {
                // `?` on an `Option`, in a closure returning one (a leaf: no `?` on a
                // `Result` inside it).
                let a = self.int_leaf(PURE);
                format!("(|| -> Option<i64> {{ Some(chk({a}).ok()? ^ 1i64) }})().unwrap_or(-2i64)")
            }
        })
    }

    /// A statement of the widened language (falls back to a simple one).
    pub(super) fn wide_stmt(&mut self) -> String {
        let mut forms: Vec<fn(&mut Gen) -> Option<String>> = Vec::new();
        if self.f("bare_arms") {
            forms.push(|g| Some(g.match_bare()));
        }
        if self.f("deferred") {
            forms.push(|g| Some(g.deferred_across()));
        }
        if self.f("typed_by_break") {
            forms.push(|g| Some(g.typed_block()));
        }
        if self.f("borrow_call") {
            forms.push(Gen::borrow_stmt);
        }
        if self.f("patterns") {
            forms.push(|g| Some(g.match_cmd()));
            forms.push(|g| Some(g.match_point()));
            forms.push(|g| Some(g.match_tuple()));
            forms.push(|g| Some(g.match_array()));
            forms.push(|g| Some(g.match_w()));
            forms.push(|g| Some(g.if_let_else_if()));
            forms.push(|g| Some(g.let_chain()));
            forms.push(Gen::slice_if_let);
        }
        if self.f("exprs") {
            forms.push(|g| Some(g.let_point()));
            forms.push(Gen::closure_stmts);
        }
        if self.f("generics") {
            forms.push(Gen::sig_stmt);
        }
        if self.f("borrow_branch") {
            // Twice: it often finds nothing to borrow and declares it first.
            forms.push(Gen::borrow_branch);
            forms.push(Gen::borrow_branch);
        }
        // At most one per program, in a few percent of them: such a program is rejected
        // whole, so it checks the error and nothing else.
        if self.f("rules")
            && !self.ruled
            && self.rng.chance(3)
            && let Some(s) = self.rule_stmt()
        {
            self.ruled = true;
            return s;
        }
        if forms.is_empty() {
            return self.simple_stmt();
        }
        let form = forms[self.rng.below(forms.len())];
        match form(self) {
            Some(s) => s,
            None => self.simple_stmt(),
        }
    }

    /// An arm's body: a block, or (with `bare_arms`) often a bare expression; with its comma.
    fn arm_body(&mut self) -> String {
        if self.f("bare_arms") && self.rng.chance(40) {
            format!("{},", self.bare_arm())
        } else {
            self.branch_block(true)
        }
    }

    /// A bare expression of type `()` for a match arm: an assignment, a compound assignment,
    /// a call, a method call, a `return`/`break`/`continue`, a macro, a move, a suspension
    /// point inside a call.
    fn bare_arm(&mut self) -> String {
        loop {
            match self.rng.below(11) {
                0 => {
                    if let Some(x) = self.pick_mut(Kind::Int) {
                        let e = self.int(1, YES);
                        return format!("{x} = {e}");
                    }
                }
                1 => {
                    if let Some(x) = self.pick_mut(Kind::Int) {
                        let e = self.int(1, YES);
                        let op = ["^=", "|=", "&="][self.rng.below(3)];
                        return format!("{x} {op} {e}");
                    }
                }
                2 => {
                    let e = self.int(1, YES);
                    return format!("ctx.emit({e})");
                }
                3 => {
                    if let Some(id) = self.pick_place(|v| v.kind == Kind::Vec) {
                        let name = self.vars[id].name.clone();
                        let e = self.borrowing(id, |g| g.int(1, YES));
                        return format!("{name}.push({e})");
                    }
                }
                4 => {
                    if let Some(d) = self.diverge(YES) {
                        return d.trim_end_matches(';').to_string();
                    }
                }
                5 => {
                    if let Some(n) = self.take(&[Kind::Noisy], YES) {
                        return format!("drop({n})");
                    }
                }
                6 => {
                    let e = self.int(1, PURE);
                    return format!("assert_ne!(({e}) & 1i64, 2i64)");
                }
                7 | 8 => {
                    let e = self.int(1, YES);
                    let y = self.suspend(e, YES);
                    return format!("ctx.emit({y})");
                }
                9 => {
                    if let Some(t) = self.pick_mut(Kind::Pair) {
                        let e = self.int(1, YES);
                        return format!("{t}.{} = {e}", self.rng.below(2));
                    }
                }
                _ => return "()".into(),
            }
        }
    }

    /// An arm that never matches and diverges: `panic!`, `unreachable!`.
    fn dead_arm(&mut self) -> String {
        match self.rng.below(3) {
            0 => "panic!(\"masked: {}\", 8)".into(),
            1 => "unreachable!()".into(),
            _ => "unreachable!(\"masked\")".into(),
        }
    }

    /// A statement `match` whose arms mix blocks and bare expressions, with an arm that
    /// cannot match and panics.
    fn match_bare(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let scrutinee = self.int(0, YES);
        let bind = self.fresh_name();
        let arms = self.branches(5, |g, i| match i {
            0 => format!("0 => {},", g.bare_arm()),
            1 => format!("1 | 5 => {}", g.branch_block(true)),
            2 => format!("8..=i64::MAX => {},", g.dead_arm()),
            3 => {
                g.push_scope();
                g.declare(&bind, Kind::Int, false);
                let guard = g.cond(1, PURE);
                let body = g.bare_arm();
                g.pop_scope();
                format!("{bind} if {guard} => {body},")
            }
            _ => format!("_ => {},", g.bare_arm()),
        });
        format!("match ({scrutinee}) & 7i64 {{\n{}\n}}", arms.join("\n"))
    }

    /// `let a: i64; let b;` before a suspension point, assigned after it in both branches.
    fn deferred_across(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let a = format!("d{}", self.next_id());
        let b = format!("d{}", self.next_id());
        let y = self.yield_stmt();
        let c = self.cond(0, YES);
        let arms = self.branches(2, |g, _| {
            let n = g.inner_len().min(2);
            g.push_scope();
            let body = g.stmts(n);
            let e1 = g.int(0, YES);
            let e2 = g.int(1, YES);
            g.pop_scope();
            (body, e1, e2)
        });
        self.declare(&a, Kind::Int, false);
        self.declare(&b, Kind::Int, false);
        let (x, z) = (&arms[0], &arms[1]);
        format!(
            "let {a}: i64;\nlet {b};\n{y}\nif {c} {{\n{}{a} = {};\n{b} = {};\n}} else {{\n{}{b} = {};\n{a} = {};\n}}",
            x.0, x.1, x.2, z.0, z.1, z.2
        )
    }

    /// `let r = 'l: { …; if c { break 'l Some(e); } …; None };`: the block's type comes from
    /// its breaks.
    fn typed_block(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let id = self.next_id();
        let l = format!("'o{id}");
        let r = format!("o{id}");
        self.breakables.push(Breakable {
            label: Some(l.clone()),
            is_loop: false,
            value: true,
            wrap: true,
        });
        self.push_scope();
        let n = self.inner_len().min(3);
        let first = self.stmts(n);
        let c = self.cond(1, YES);
        let e = self.int(1, YES);
        let y = self.yield_stmt();
        let m = self.inner_len().min(2);
        let second = self.stmts(m);
        self.pop_scope();
        self.breakables.pop();
        let dflt = self.int(1, YES);
        let name = self.fresh_name();
        self.declare(&name, Kind::Int, false);
        format!(
            "let {r} = {l}: {{\n{first}if {c} {{ break {l} Some({e}); }}\n{y}\n{second}None\n}};\n\
             let {name} = match {r} {{ Some(v) => v, None => {dflt} }};"
        )
    }

    /// Borrows that end before the next suspension point (`let k = measure(&v);`), and
    /// references to outside data kept across one.
    fn borrow_stmt(&mut self) -> Option<String> {
        let k = self.fresh_name();
        let init = match self.rng.below(6) {
            0 => {
                let v = self.pick(|v| v.kind == Kind::Vec)?;
                format!("measure(&{})", self.vars[v].name)
            }
            1 => {
                let s = self.pick(|v| v.kind == Kind::Str)?;
                format!("key(&{})", self.vars[s].name)
            }
            2 => {
                let n = self.pick(|v| matches!(v.kind, Kind::Noisy | Kind::Guard))?;
                format!("peek(&{})", self.vars[n].name)
            }
            3 => {
                let from = self.rng.below(3);
                self.declare(&k, Kind::Slice, false);
                return Some(format!("let {k} = &TABLE[{from}..];"));
            }
            4 => {
                let init = if self.sig == Sig::OutsideRef && self.f("generics") {
                    "&data[1..]"
                } else {
                    "&TABLE"
                };
                self.declare(&k, Kind::Slice, false);
                return Some(format!("let {k}: &[i64] = {init};"));
            }
            _ => {
                // A loop over outside data, suspending in its body.
                self.budget = self.budget.saturating_sub(1);
                let bind = self.fresh_name();
                self.push_scope();
                self.loop_depth += 1;
                self.declare(&bind, Kind::Int, false);
                self.loop_depth -= 1;
                let take = self.rng.range(1, 3);
                let body = self.loop_body(None, false, "");
                self.pop_scope();
                return Some(format!("for &{bind} in TABLE.iter().take({take}) {body}"));
            }
        };
        self.declare(&k, Kind::Int, false);
        Some(format!("let {k} = {init};"))
    }

    /// `match ctx.cmd(e) { … }` with enum, tuple-variant, struct-variant, `x @ range`,
    /// or-patterns and a guard; one variant holds an `N`, moved into its arm.
    fn match_cmd(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let e = self.int(0, YES);
        let b = self.fresh_name();
        let arms = self.branches(6, |g, i| {
            g.push_scope();
            let out = match i {
                0 => {
                    g.declare(&b, Kind::Int, false);
                    format!("Cmd::Push({b} @ 0..=9) => {}", g.arm_body())
                }
                1 => {
                    g.declare(&b, Kind::Int, false);
                    let guard = g.cond(1, PURE);
                    format!("Cmd::Push({b}) if {guard} => {}", g.arm_body())
                }
                2 => format!("Cmd::Pop | Cmd::Push(_) => {}", g.arm_body()),
                3 => {
                    g.declare(&b, Kind::Int, false);
                    format!(
                        "Cmd::Add {{ a: {b}, b: 0 }} | Cmd::Add {{ a: 0, b: {b} }} => {}",
                        g.arm_body()
                    )
                }
                4 => {
                    g.declare("a", Kind::Int, false);
                    format!("Cmd::Add {{ a, .. }} => {}", g.arm_body())
                }
                _ => {
                    g.declare(&b, Kind::Noisy, false);
                    format!("Cmd::Hold({b}) => {}", g.arm_body())
                }
            };
            g.pop_scope();
            out
        });
        format!("match ctx.cmd({e}) {{\n{}\n}}", arms.join("\n"))
    }

    /// `match Pt { … } { Pt { x: 0, y } => …, Pt { x: b @ (1 | 2), .. } => …, … }`.
    fn match_point(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let a = self.int(0, YES);
        let scrutinee = match self.pick(|v| v.kind == Kind::Point) {
            Some(p) if self.rng.chance(50) => {
                let p = self.vars[p].name.clone();
                format!("(Pt {{ y: {a}, ..{p} }})")
            }
            _ => {
                let b = self.int(1, YES);
                format!("(Pt {{ x: ({a}) & 3i64, y: {b} }})")
            }
        };
        let b = self.fresh_name();
        let arms = self.branches(4, |g, i| {
            g.push_scope();
            let out = match i {
                0 => {
                    g.declare("y", Kind::Int, false);
                    format!("Pt {{ x: 0, y }} => {}", g.arm_body())
                }
                1 => {
                    g.declare(&b, Kind::Int, false);
                    format!("Pt {{ x: {b} @ (1 | 2), .. }} => {}", g.arm_body())
                }
                2 => {
                    g.declare("x", Kind::Int, false);
                    format!("Pt {{ x, y: ..=-1 }} => {}", g.arm_body())
                }
                _ => format!("Pt {{ .. }} => {}", g.arm_body()),
            };
            g.pop_scope();
            out
        });
        format!("match {scrutinee} {{\n{}\n}}", arms.join("\n"))
    }

    /// `match (a, b) { (0, n) | (n, 0) => …, (n @ 1..=3, _) => …, (_, 10..) => …, … }`.
    fn match_tuple(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let a = self.int(0, YES);
        let b = self.int(0, YES);
        let n = self.fresh_name();
        let mut m = self.fresh_name();
        while m == n {
            m = self.fresh_name();
        }
        let arms = self.branches(5, |g, i| {
            g.push_scope();
            let out = match i {
                0 => {
                    g.declare(&n, Kind::Int, false);
                    format!("(0, {n}) | ({n}, 0) => {}", g.arm_body())
                }
                1 => {
                    g.declare(&n, Kind::Int, false);
                    format!("({n} @ 1..=3, _) => {}", g.arm_body())
                }
                2 => format!("(_, 10..) => {}", g.arm_body()),
                3 => {
                    g.declare(&n, Kind::Int, false);
                    g.declare(&m, Kind::Int, false);
                    let guard = g.cond(1, PURE);
                    format!("({n}, {m}) if {guard} => {}", g.arm_body())
                }
                _ => format!("_ => {}", g.arm_body()),
            };
            g.pop_scope();
            out
        });
        format!("match ({a}, {b}) {{\n{}\n}}", arms.join("\n"))
    }

    /// `match [a, b, c] { [0, .., z] => …, [first, rest @ ..] if … => …, [_, m, _] => … }`.
    fn match_array(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let a = self.int(0, YES);
        let b = self.int(1, YES);
        let c = self.int(1, YES);
        let x = self.fresh_name();
        let arms = self.branches(3, |g, i| {
            g.push_scope();
            let out = match i {
                0 => {
                    g.declare(&x, Kind::Int, false);
                    format!("[0, .., {x}] => {}", g.arm_body())
                }
                1 => {
                    g.declare(&x, Kind::Int, false);
                    let guard = g.cond(1, PURE);
                    format!(
                        "[{x}, rest @ ..] if rest.len() == 2 && {guard} => {}",
                        g.arm_body()
                    )
                }
                _ => {
                    g.declare(&x, Kind::Int, false);
                    format!("[_, {x}, _] => {}", g.arm_body())
                }
            };
            g.pop_scope();
            out
        });
        format!("match [{a}, {b}, {c}] {{\n{}\n}}", arms.join("\n"))
    }

    /// `match W(e) { W(0) => …, W(n @ (1 | 2)) => …, W(..=-1) => …, W(n) => … }`.
    fn match_w(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let e = self.int(0, YES);
        let n = self.fresh_name();
        let arms = self.branches(5, |g, i| {
            g.push_scope();
            let out = match i {
                0 => format!("W(0) => {}", g.arm_body()),
                1 => {
                    g.declare(&n, Kind::Int, false);
                    format!("W({n} @ (1 | 2)) => {}", g.arm_body())
                }
                2 => format!("W(..=-1) => {}", g.arm_body()),
                3 => format!("W(i64::MIN..=-1) => {},", g.dead_arm()),
                _ => {
                    g.declare(&n, Kind::Int, false);
                    format!("W({n}) => {}", g.arm_body())
                }
            };
            g.pop_scope();
            out
        });
        format!("match W({e}) {{\n{}\n}}", arms.join("\n"))
    }

    /// `if let … { } else if let … { } else if let … { } else { }`.
    fn if_let_else_if(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let first = match self.pick_place(|v| v.kind == Kind::Vec) {
            Some(v) => format!("{}.pop()", self.vars[v].name),
            None => {
                let e = self.int(1, YES);
                format!("chk({e}).ok()")
            }
        };
        let e2 = self.int(1, YES);
        let e3 = self.int(1, YES);
        let (b1, b2, b3) = (self.fresh_name(), self.fresh_name(), self.fresh_name());
        let blocks = self.branches(4, |g, i| {
            g.push_scope();
            match i {
                0 => g.declare(&b1, Kind::Int, false),
                1 => g.declare(&b2, Kind::Int, false),
                2 => g.declare(&b3, Kind::Int, false),
                _ => {}
            }
            let b = g.branch_block(true);
            g.pop_scope();
            b
        });
        format!(
            "if let Some({b1}) = {first} {}\nelse if let Ok({b2}) = chk({e2}) {}\n\
             else if let W({b3} @ 0..=5) = W({e3}) {}\nelse {}",
            blocks[0], blocks[1], blocks[2], blocks[3]
        )
    }

    /// `if let Some(a) = … && let Ok(b) = chk(a ^ …) && cond { } else { }`.
    fn let_chain(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let e = self.int(1, YES);
        let a = self.fresh_name();
        let mut b = self.fresh_name();
        while b == a {
            b = self.fresh_name();
        }
        self.push_scope();
        self.declare(&a, Kind::Int, false);
        let e2 = self.int(1, YES);
        self.declare(&b, Kind::Int, false);
        let c = self.cond(1, YES);
        self.pop_scope();
        let blocks = self.branches(2, |g, i| {
            g.push_scope();
            if i == 0 {
                g.declare(&a, Kind::Int, false);
                g.declare(&b, Kind::Int, false);
            }
            let out = g.branch_block(true);
            g.pop_scope();
            out
        });
        format!(
            "if let Some({a}) = chk({e}).ok() && let Ok({b}) = chk({a} ^ {e2}) && {c} {} else {}",
            blocks[0], blocks[1]
        )
    }

    /// `if let [first, .., last] = v[..] { … } else { … }`: a slice pattern on a place, its
    /// bindings copied out.
    fn slice_if_let(&mut self) -> Option<String> {
        let v = self.pick(|v| v.kind == Kind::Vec)?;
        self.budget = self.budget.saturating_sub(1);
        let v = self.vars[v].name.clone();
        let a = self.fresh_name();
        let mut z = self.fresh_name();
        while z == a {
            z = self.fresh_name();
        }
        let blocks = self.branches(2, |g, i| {
            g.push_scope();
            if i == 0 {
                g.declare(&a, Kind::Int, false);
                g.declare(&z, Kind::Int, false);
            }
            let out = g.branch_block(true);
            g.pop_scope();
            out
        });
        Some(format!(
            "if let [{a}, .., {z}] = {v}[..] {} else {}",
            blocks[0], blocks[1]
        ))
    }

    /// `let p = Pt { x, y };` or `Pt { y: e, ..base }`, or a field assignment.
    fn let_point(&mut self) -> String {
        if let Some(id) = self.pick_place(|v| v.kind == Kind::Point)
            && self.rng.chance(30)
        {
            let name = self.vars[id].name.clone();
            let e = self.int(0, YES);
            let field = ["x", "y"][self.rng.below(2)];
            return format!("{name}.{field} = {e};");
        }
        let a = self.int(0, YES);
        let init = match self.pick(|v| v.kind == Kind::Point) {
            Some(base) if self.rng.chance(50) => {
                let base = self.vars[base].name.clone();
                format!("Pt {{ y: {a}, ..{base} }}")
            }
            _ => {
                let b = self.int(0, YES);
                format!("Pt {{ x: {a}, y: {b} }}")
            }
        };
        let name = self.fresh_name();
        let mutable = self.rng.chance(50);
        self.declare(&name, Kind::Point, mutable);
        let m = if mutable { "mut " } else { "" };
        format!("let {m}{name} = {init};")
    }

    /// Closures that borrow locals, called before the next suspension point; closures that
    /// capture nothing (or only outside data), kept across one.
    fn closure_stmts(&mut self) -> Option<String> {
        match self.rng.below(3) {
            0 => {
                let x = self.pick_kind(Kind::Int)?;
                let a = self.int(1, PURE);
                let b = self.int(1, PURE);
                let k = self.fresh_name();
                self.declare(&k, Kind::Int, false);
                Some(format!(
                    "let {k} = {{ let cl = |z: i64| z.wrapping_add({x}); cl({a}) ^ cl({b}) }};"
                ))
            }
            1 => {
                // A name of its own: the arguments must not name the borrowed binding.
                let acc = format!("acc{}", self.next_id());
                let e = self.int(0, YES);
                let a = self.int(1, PURE);
                let b = self.int(1, PURE);
                self.declare(&acc, Kind::Int, true);
                Some(format!(
                    "let mut {acc} = {e};\n{{ let mut add = |z: i64| {acc} ^= z; add({a}); add({b}); }}"
                ))
            }
            _ => {
                let name = self.fresh_name();
                let k = self.rng.range(1, 9);
                let init = if self.rng.chance(50) {
                    format!("|z: i64| z.wrapping_mul({k})")
                } else {
                    format!("|z: i64| z ^ TABLE[{}]", self.rng.below(4))
                };
                self.declare(&name, Kind::Closure, false);
                Some(format!("let {name} = {init};"))
            }
        }
    }

    /// What the signature offers: `self.k` assignments, `for` over `data`, `f(e)`.
    fn sig_stmt(&mut self) -> Option<String> {
        match self.sig {
            Sig::MutSelf | Sig::OwnedSelf => {
                let e = self.int(0, YES);
                Some(if self.rng.chance(50) {
                    format!("self.k = {e};")
                } else {
                    format!("self.k ^= {e};")
                })
            }
            Sig::OutsideRef => {
                self.budget = self.budget.saturating_sub(1);
                let bind = self.fresh_name();
                self.push_scope();
                self.loop_depth += 1;
                self.declare(&bind, Kind::Int, false);
                self.loop_depth -= 1;
                let body = self.loop_body(None, false, "");
                self.pop_scope();
                Some(format!("for &{bind} in data.iter().take(2) {body}"))
            }
            Sig::Generic | Sig::ImplTrait => {
                let e = self.int(0, YES);
                let k = self.fresh_name();
                self.declare(&k, Kind::Int, false);
                Some(format!("let {k} = f({e});"))
            }
            _ => None,
        }
    }

    /// A value construct that suspends in one branch while another branch's value borrows a
    /// local (F-diag-2): `let s = if c { …; yield_!(e); "ab" } else { &line[..] };`, a `match`
    /// whose arms are such values or `(borrow, suspension)` pairs, and a `let … else` whose
    /// pattern binds borrows of a local and whose `else` suspends. The borrow is used before
    /// the next suspension point (then the borrowing rule does not apply), and the borrowed
    /// local is neither mutated nor moved in the construct.
    pub(super) fn borrow_branch(&mut self) -> Option<String> {
        self.budget = self.budget.saturating_sub(1);
        // F-diag-2d: `let b;` first, maybe a suspension point, then the construct assigns `b`
        // in every branch. Written first, so the suspension point cannot use what follows.
        let mut deferred = None;
        if self.f("deferred_borrow") && self.rng.chance(40) {
            let y = if self.rng.chance(60) {
                format!("{}\n", self.yield_stmt())
            } else {
                String::new()
            };
            deferred = Some(y);
        }
        // A visible `String` or `Vec<i64>`, or a new one (most programs have none in scope).
        let mut decl = String::new();
        let found = self.pick(|v| matches!(v.kind, Kind::Str | Kind::Vec));
        let id = match found {
            Some(id) if self.rng.chance(50) => id,
            _ => {
                let name = self.fresh_name();
                // No suspension point inside `format!`/`vec!` (a macro the pass cannot see
                // into).
                let in_macro = Cx { y: false, mv: true };
                let init = match self.rng.below(4) {
                    0 => format!("{}.to_string()", self.int(0, YES)),
                    1 => format!("format!(\"a-{{}}\", {})", self.int(1, in_macro)),
                    2 => {
                        let a = self.int(1, in_macro);
                        let b = self.int(1, in_macro);
                        format!("vec![{a}, {b}, {}i64]", self.rng.range(-9, 9))
                    }
                    _ => format!("vec![{}]", self.int(1, in_macro)),
                };
                let kind = if init.starts_with("vec!") {
                    Kind::Vec
                } else {
                    Kind::Str
                };
                let mutable = self.rng.chance(30);
                let m = if mutable { "mut " } else { "" };
                let _ = writeln!(decl, "let {m}{name} = {init};");
                self.declare(&name, kind, mutable);
                self.vars.len() - 1
            }
        };
        let src = self.vars[id].name.clone();
        let is_str = self.vars[id].kind == Kind::Str;
        let n = self.next_id();
        let b = format!("br{n}");
        let k = self.rng.range(1, 3);
        let out = self.borrowing(id, |g| {
            if deferred.is_none() && g.rng.chance(30) {
                return g.borrow_let_else(&src, is_str, &b);
            }
            // The borrowed values and the `'static` ones of the same type.
            let borrowed = |g: &mut Gen| -> String {
                match (is_str, g.rng.below(3)) {
                    (true, 0) => format!("{src}.as_str()"),
                    (true, 1) => format!("&{src}[..{src}.len().min({k})]"),
                    (true, _) => format!("{src}.trim_start_matches('-')"),
                    (false, 0) => format!("&{src}[..]"),
                    (false, 1) => format!("&{src}[..{src}.len().min({k})]"),
                    (false, _) => format!("{src}.as_slice()"),
                }
            };
            let fixed = |g: &mut Gen| -> String {
                if is_str {
                    ["\"ab\"", "\"\"", "\"x-1\""][g.rng.below(3)].to_string()
                } else {
                    format!("&TABLE[..{}]", g.rng.range(0, 4))
                }
            };
            let pair = deferred.is_none() && g.rng.chance(30);
            // One branch value: borrowed or not, and (with `pair`) an `i64` beside it that may
            // suspend; a suspending branch runs statements first, one of them a suspension
            // point. A borrowing branch may suspend before it borrows.
            let branch = |g: &mut Gen, borrows: bool, suspends: bool| -> String {
                g.push_scope();
                let mut stmts = String::new();
                if suspends || g.rng.chance(20) {
                    if g.rng.chance(40) {
                        stmts.push_str(&g.simple_stmt());
                        stmts.push('\n');
                    }
                    stmts.push_str(&g.yield_stmt());
                    stmts.push('\n');
                }
                // A statement may have shadowed the borrowed name: then this branch does not
                // borrow.
                let borrows = borrows && g.visible().contains(&id);
                let v = if borrows { borrowed(g) } else { fixed(g) };
                let v = if pair {
                    // Beside a borrow, no suspension point: that would hold the borrow across
                    // it (the borrowing rule).
                    let cx = Cx {
                        y: !borrows,
                        mv: true,
                    };
                    let e = if suspends && !borrows && g.rng.chance(50) {
                        let inner = g.int(1, cx);
                        g.suspend(inner, cx)
                    } else {
                        g.int(1, cx)
                    };
                    format!("({v}, {e})")
                } else {
                    v
                };
                g.pop_scope();
                if deferred.is_some() {
                    format!("{{\n{stmts}{b} = {v};\n}}")
                } else if stmts.is_empty() && g.rng.chance(50) {
                    v
                } else {
                    format!("{{\n{stmts}{v}\n}}")
                }
            };
            let arms = 2 + g.rng.below(2);
            // The condition or scrutinee first: it runs first, so what it moves is moved in
            // every branch.
            let head = if arms == 2 && g.rng.chance(60) {
                let c = g.cond(1, YES);
                format!("if {c} ")
            } else {
                let e = g.int(1, YES);
                format!("match ({e}) & 3i64 ")
            };
            let lender = g.rng.below(arms);
            let mut suspender = g.rng.below(arms);
            if suspender == lender {
                suspender = (lender + 1) % arms;
            }
            let values = g.branches(arms, |g, i| {
                let borrows = i == lender || (i != suspender && g.rng.chance(50));
                branch(g, borrows, i == suspender)
            });
            let value = if head.starts_with("if") {
                let block = |v: &String| {
                    if v.starts_with('{') {
                        v.clone()
                    } else {
                        format!("{{ {v} }}")
                    }
                };
                format!("{head}{} else {}", block(&values[0]), block(&values[1]))
            } else {
                let mut arms_text = String::new();
                for (i, v) in values.iter().enumerate() {
                    let pat = if i + 1 == values.len() {
                        "_".to_string()
                    } else {
                        format!("{i}")
                    };
                    let _ = writeln!(arms_text, "{pat} => {v},");
                }
                format!("{head}{{\n{arms_text}}}")
            };
            let ty = if is_str { "&str" } else { "&[i64]" };
            let (pat, ty, used) = if pair {
                let e = format!("e{n}");
                (
                    format!("({b}, {e})"),
                    format!("({ty}, i64)"),
                    format!(" ^ {e}"),
                )
            } else {
                (b.clone(), ty.to_string(), String::new())
            };
            let ann = if g.rng.chance(50) {
                format!(": {ty}")
            } else {
                String::new()
            };
            let used = g.use_borrow(&b, is_str, &used);
            Some(match &deferred {
                Some(_) => format!("{value}\n{used}"),
                None => format!("let {pat}{ann} = {value};\n{used}"),
            })
        })?;
        Some(match deferred {
            // The type written or inferred from the assignments.
            Some(y) => {
                let ty = if is_str { "&str" } else { "&[i64]" };
                let ann = if self.rng.chance(50) {
                    format!(": {ty}")
                } else {
                    String::new()
                };
                format!("let {b}{ann};\n{y}{decl}{out}")
            }
            None => decl + &out,
        })
    }

    /// `ctx.tick(key(b) ^ …);`: the borrow `b`, used (and so checked) before the next
    /// suspension point.
    fn use_borrow(&mut self, b: &str, is_str: bool, more: &str) -> String {
        let f = if is_str { "key" } else { "measure" };
        format!("ctx.tick({f}({b}) ^ ({b}.len() as i64){more});")
    }

    /// `let Some((a, z)) = s.split_once('b') else { …; yield_!(e); return …; };` (or
    /// `[first, .., last]`, `Some(x)` over a local `Vec`): the pattern binds borrows of `src`,
    /// the `else` suspends and diverges.
    fn borrow_let_else(&mut self, src: &str, is_str: bool, b: &str) -> Option<String> {
        let z = format!("{b}z");
        let (pat, init, use_stmt) = match (is_str, self.rng.below(2)) {
            (true, 0) => {
                let c = ['a', 'b', '1', '2', '-'][self.rng.below(5)];
                (
                    format!("Some(({b}, {z}))"),
                    format!("{src}.split_once('{c}')"),
                    self.use_borrow(b, true, &format!(" ^ key({z})")),
                )
            }
            (true, _) => (
                format!("Some({b})"),
                format!(
                    "{src}.strip_prefix('{}')",
                    ['a', '1', '-'][self.rng.below(3)]
                ),
                self.use_borrow(b, true, ""),
            ),
            // `&i64`s borrowing the `Vec`.
            (false, 0) => (
                format!("[{z}, .., {b}]"),
                format!("{src}.as_slice()"),
                format!("ctx.tick(*{b} ^ {z}.wrapping_mul(3));"),
            ),
            (false, _) => (
                format!("Some({b})"),
                format!("{src}.iter().max()"),
                format!("ctx.tick(*{b});"),
            ),
        };
        self.push_scope();
        let mut end = String::new();
        if self.rng.chance(30) {
            end.push_str(&self.simple_stmt());
            end.push('\n');
        }
        end.push_str(&self.yield_stmt());
        end.push('\n');
        let div = match self.diverge(YES) {
            Some(d) => d,
            None => {
                let e = self.int(1, YES);
                format!("return Ok({e});")
            }
        };
        end.push_str(&div);
        self.pop_scope();
        Some(format!(
            "let {pat} = {init} else {{\n{end}\n}};\n{use_stmt}"
        ))
    }

    /// A documented rule applies: a borrow of a local (or a closure borrowing one) held across
    /// a suspension point, or a binding partially moved before one and used after it.
    fn rule_stmt(&mut self) -> Option<String> {
        let id = self.next_id();
        // A suspension point that assigns nothing: the borrowed binding stays unchanged.
        let k = self.lit();
        let y = format!("ctx.tick({});", self.suspend(k, YES));
        Some(match self.rng.below(3) {
            0 => {
                let v = self.pick(|v| matches!(v.kind, Kind::Vec | Kind::Str))?;
                let v = self.vars[v].name.clone();
                format!("let r{id} = &{v};\n{y}\nctx.tick(r{id}.len() as i64);")
            }
            1 => {
                let x = self.pick_kind(Kind::Int)?;
                format!("let cl{id} = |z: i64| z ^ {x};\n{y}\nctx.tick(cl{id}(1i64));")
            }
            _ => {
                let a = self.int(1, YES);
                format!(
                    "let pm{id} = (ctx.noisy({a}), ctx.noisy(2i64));\nlet first{id} = pm{id}.0;\n{y}\n\
                     ctx.tick(first{id}.val() ^ pm{id}.1.val());"
                )
            }
        })
    }

    /// The end of a body with `diverging_tail`: its last statement diverges.
    pub(super) fn diverging_tail(&mut self) -> String {
        // The yield statement comes first in the program, so it is generated first: the tail
        // sees the bindings it declares (a `let b` shadowing a `let mut b`) and the values it
        // moves (seed 1009 async case 19 assigned to the immutable `b` the yield declared).
        let choice = self.rng.below(5);
        let y = matches!(choice, 1 | 4).then(|| self.yield_stmt());
        let tail = self.int(0, YES);
        match choice {
            0 => format!("return Ok({tail});\n}}\n"),
            1 => {
                let y = y.unwrap_or_default();
                format!("{y}\nreturn Err({tail});\n}}\n")
            }
            2 => {
                let c = self.cond(0, YES);
                // The tail was written before the condition: where the condition moves a
                // binding the tail reads, the tail is written again (seed 1072 case 213:
                // `if (mix(s, ctx.consume(q)) <= 4i64) { return Ok(yield_!(q.val())); }`,
                // E0382 in the plain form). Other programs keep their text.
                let moved_then_read = c.match_indices("ctx.consume(").any(|(at, m)| {
                    let name: String = c[at + m.len()..]
                        .chars()
                        .take_while(|&ch| ch.is_alphanumeric() || ch == '_')
                        .collect();
                    crate::reads_noisy(&tail, &name)
                });
                let tail = if moved_then_read {
                    self.int(0, YES)
                } else {
                    tail
                };
                let b = self.int(0, YES);
                format!("if {c} {{ return Ok({tail}); }}\nloop {{ return Ok({b}); }}\n}}\n")
            }
            3 => {
                let b = self.int(0, YES);
                format!(
                    "match ({tail}) & 1i64 {{ 0 => return Ok({b}), _ => return Err(1i64) }}\n}}\n"
                )
            }
            _ => {
                let y = y.unwrap_or_default();
                let end = [
                    "panic!(\"not reached\")",
                    "unreachable!()",
                    "std::process::exit(3)",
                ][self.rng.below(3)];
                let p = self.param;
                format!("{y}\nif ({p} | 1i64) != 0i64 {{ return Ok({tail}); }}\n{end};\n}}\n")
            }
        }
    }

    /// A block whose last statement diverges after a suspension point (`{ …; yield; return
    /// Ok(e); }`), for a branch of a value `if`.
    pub(super) fn diverging_block(&mut self) -> String {
        self.push_scope();
        let n = self.inner_len().min(2);
        let body = self.stmts(n);
        let y = self.yield_stmt();
        let end = self
            .diverge(YES)
            .unwrap_or_else(|| "return Ok(0i64);".into());
        self.pop_scope();
        format!("{{\n{body}{y}\n{end}\n}}")
    }
}
