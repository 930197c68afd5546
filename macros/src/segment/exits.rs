//! Where each way out of a piece of user code goes: `return`, `?`, and `break`/`continue`
//! to a loop or block that contains a suspension point become [`Exit`]s, resolved against
//! the loops and blocks around the code (`Lower::active`), with a spanned error and a remedy
//! when there is none.
//!
//! Input: a piece of verbatim code, walked by `verbatim::Verbatim` (which puts a placeholder
//! for a [`Part::Exit`] at each way out, and one for each free name, resolved here). Output:
//! a [`Piece`]: the bindings it reads and assigns, its exits, their values cut into `Code`.
//!
//! ```text
//! 'outer: loop { … if done { break 'outer; } … }     Exit { kind: Goto(<state after the loop>) }
//! let v = f()?;                                       Exit { kind: Return(from_residual(r)) }
//! continue 'block;   ('block is a labeled block)      error: names a labeled block, not a loop
//! ```

use super::{Cont, Lower};
use crate::analyze::facts;
use crate::plan::{Exit, ExitKind, Facts, Part, Piece};
use crate::verbatim::{self, RawExit, Verbatim};

impl Lower<'_> {
    pub(super) fn cont_exit(&mut self, k: Cont) -> usize {
        let kind = match k {
            Cont::Goto(s) => ExitKind::Goto(s),
            Cont::FallOff => ExitKind::Return(None),
        };
        self.exits.push(Exit {
            kind,
            assign: None,
            def: None,
            scope: self.scope.stack.clone(),
            inner: Vec::new(),
            facts: Facts::default(),
        });
        self.exits.len() - 1
    }

    fn find_target(
        &self,
        label: Option<&str>,
        _is_continue: bool,
    ) -> Option<(usize, Cont, Option<usize>)> {
        self.active.iter().rev().copied().find(|&(t, _, _)| {
            let target = &self.targets[t];
            match label {
                Some(l) => target.label.as_deref() == Some(l),
                None => target.is_loop,
            }
        })
    }

    /// Analyses a piece of verbatim code: its reads, and its exits (placeholders in it).
    pub(super) fn piece(&mut self, visit: impl FnOnce(&mut Verbatim)) -> Piece {
        let holes = std::mem::take(&mut self.holes);
        let base = holes.0.len();
        let mut v = Verbatim::analyse(self.exits.len(), holes);
        visit(&mut v);
        // The names the walk found free resolve here, where the scope is the piece's.
        for part in v.holes.0[base..].iter_mut().flatten() {
            match part {
                Part::Name(ident, b) | Part::Field(ident, b) => {
                    *b = self.scope.resolve(&ident.to_string())
                }
                Part::Format { text, names, .. } => {
                    let chars: Vec<char> = text.chars().collect();
                    for (start, end, b) in names {
                        let name: String = chars[*start..*end].iter().collect();
                        *b = self.scope.resolve(&name);
                    }
                }
                _ => {}
            }
        }
        let uses = v
            .uses
            .iter()
            .filter_map(|n| self.scope.resolve(n))
            .collect();
        let assigns = v
            .assigns
            .iter()
            .filter_map(|n| self.scope.resolve(n))
            .collect();
        let mut exits = Vec::new();
        for found in v.exits {
            let (kind, assign) = match found.exit {
                RawExit::Return(value) => (
                    ExitKind::Return(value.map(|e| verbatim::cut(&e, &mut v.holes))),
                    None,
                ),
                RawExit::Break {
                    label,
                    value,
                    tokens,
                } => match self.find_target(label.as_deref(), false) {
                    Some((t, cont, _)) => {
                        let assign = match (value, &self.targets[t].value) {
                            (Some(e), Some(temp)) => {
                                Some((temp.clone(), verbatim::cut(&e, &mut v.holes)))
                            }
                            (Some(e), None) => {
                                self.errors.error(&e, "`break` with a value needs a `loop` or labeled block used as a value");
                                None
                            }
                            (None, _) => None,
                        };
                        let kind = match cont {
                            Cont::Goto(s) => ExitKind::Goto(s),
                            Cont::FallOff => ExitKind::Return(None),
                        };
                        (kind, assign)
                    }
                    None => {
                        let message = match &label {
                            Some(l) => format!(
                                "`break '{l}` has no enclosing loop or block labeled `'{l}`: \
                                 check the label, or label the loop or block it leaves \
                                 (`'{l}: loop {{ ... }}`)"
                            ),
                            None => "`break` outside of a loop: a `break` without a label \
                                     leaves the innermost `loop`, `while` or `for`; move it \
                                     into one, or label the block it leaves \
                                     (`'done: { ... break 'done; }`)"
                                .to_string(),
                        };
                        self.errors.push(syn::Error::new_spanned(tokens, message));
                        (ExitKind::Return(None), None)
                    }
                },
                RawExit::Continue { label, tokens } => {
                    let found = self.find_target(label.as_deref(), true);
                    match found.and_then(|(_, _, head)| head) {
                        Some(head) => (ExitKind::Goto(head), None),
                        None => {
                            let message = match (&label, found) {
                                (Some(l), Some(_)) => format!(
                                    "`continue '{l}` names a labeled block, not a loop: \
                                     `continue` goes to a loop's next iteration; leave the \
                                     block with `break '{l}`"
                                ),
                                (Some(l), None) => format!(
                                    "`continue '{l}` has no enclosing loop labeled `'{l}`: \
                                     check the label, or label the loop (`'{l}: loop {{ ... }}`)"
                                ),
                                (None, _) => "`continue` outside of a loop: it goes to the \
                                              next iteration of the innermost `loop`, `while` \
                                              or `for`; move it into one"
                                    .to_string(),
                            };
                            self.errors.push(syn::Error::new_spanned(tokens, message));
                            (ExitKind::Return(None), None)
                        }
                    }
                }
            };
            let def = assign
                .as_ref()
                .and_then(|(t, _)| self.scope.resolve(&t.to_string()));
            let facts = match (&kind, &assign) {
                (_, Some((_, code))) | (ExitKind::Return(Some(code)), None) => {
                    facts::of(code.source())
                }
                _ => Facts::default(),
            };
            self.exits.push(Exit {
                kind,
                assign,
                def,
                scope: self.scope.stack.clone(),
                inner: found.inner,
                facts,
            });
            exits.push(self.exits.len() - 1);
        }
        self.holes = v.holes;
        Piece {
            scope: self.scope.stack.clone(),
            uses,
            assigns,
            exits,
            facts: Facts::default(),
        }
    }
}
