//! `macro_rules!` defined inside the body, whose textual scope the state machine would lose.
//!
//! A `macro_rules!` in a block is visible from its definition to the end of that block. The
//! pass hoists the body's items to the top of the step closure (the code after a definition
//! can end up in any arm), so two definitions of one name in different blocks, or a use of
//! an outer macro of that name before the local definition, would all see the last one
//! (time's `SignedDuration::fmt` defines `item!` once per branch of an `if`). Such
//! definitions get names of their own (`__corio_macro1_item`), and every use in their
//! textual scope is renamed with them, also inside other macros' arguments
//! (`vec![item!(x)]`); a macro whose name is defined once and used only in its scope keeps
//! its name.
//!
//! ```text
//! if a { macro_rules! item { … } item!(1); }         if a { macro_rules! __corio_macro1_item { … } __corio_macro1_item!(1); }
//! else { macro_rules! item { … } item!(2); }   →      else { macro_rules! __corio_macro2_item { … } __corio_macro2_item!(2); }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::format_ident;
use syn::visit_mut::VisitMut;
use syn::{Block, Ident, Item, Stmt};

/// Renames the body's `macro_rules!` whose textual scope the hoisting would change.
pub(crate) fn rename_local_macros(block: &mut Block) {
    let mut survey = Walk::default();
    survey.visit_block_mut(&mut block.clone());
    let needs: BTreeSet<String> = survey
        .defined
        .iter()
        .filter(|(name, n)| **n > 1 || survey.unscoped.contains(*name))
        .map(|(name, _)| name.clone())
        .collect();
    if needs.is_empty() {
        return;
    }
    let mut rename = Walk {
        rename: Some(needs),
        ..Walk::default()
    };
    rename.visit_block_mut(block);
}

#[derive(Default)]
struct Walk {
    /// The names to rename (the second walk); `None` in the survey.
    rename: Option<BTreeSet<String>>,
    /// Definitions in scope, innermost block last: (name, the name it gets).
    scopes: Vec<Vec<(String, Ident)>>,
    /// How many times each name is defined in the body.
    defined: BTreeMap<String, usize>,
    /// Names used where none of the body's definitions of that name is in scope.
    unscoped: BTreeSet<String>,
    renamed: usize,
}

impl Walk {
    fn lookup(&self, name: &str) -> Option<&Ident> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, to)| to)
    }

    /// A use of macro `name!`: its new name, if it has one.
    fn use_of(&mut self, name: &Ident) -> Option<Ident> {
        let key = name.to_string();
        match self.lookup(&key) {
            Some(to) => Some(to.clone()),
            None => {
                self.unscoped.insert(key);
                None
            }
        }
    }

    /// `name!` inside a macro's tokens (another macro's arguments, a definition's rules).
    fn tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = Vec::with_capacity(trees.len());
        for (i, tree) in trees.iter().enumerate() {
            match tree {
                TokenTree::Ident(id)
                    if matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                        && id != "macro_rules" =>
                {
                    let to = self.use_of(id).unwrap_or_else(|| id.clone());
                    out.push(TokenTree::Ident(to));
                }
                TokenTree::Group(g) => {
                    let mut new = Group::new(g.delimiter(), self.tokens(g.stream()));
                    new.set_span(g.span());
                    out.push(TokenTree::Group(new));
                }
                other => out.push(other.clone()),
            }
        }
        out.into_iter().collect()
    }

    fn define(&mut self, m: &mut syn::ItemMacro) {
        let Some(name) = m.ident.clone() else {
            return;
        };
        let key = name.to_string();
        *self.defined.entry(key.clone()).or_default() += 1;
        let to = match &self.rename {
            Some(set) if set.contains(&key) => {
                self.renamed += 1;
                let mut to = format_ident!("__corio_macro{}_{}", self.renamed, name);
                to.set_span(name.span());
                to
            }
            _ => name.clone(),
        };
        // in scope from here on, including its own rules (a recursive macro)
        self.scopes
            .last_mut()
            .expect("a definition is inside a block")
            .push((key, to.clone()));
        m.ident = Some(to);
        let tokens = std::mem::take(&mut m.mac.tokens);
        m.mac.tokens = self.tokens(tokens);
    }
}

impl VisitMut for Walk {
    fn visit_block_mut(&mut self, b: &mut Block) {
        self.scopes.push(Vec::new());
        for stmt in &mut b.stmts {
            match stmt {
                Stmt::Item(Item::Macro(m)) if m.mac.path.is_ident("macro_rules") => self.define(m),
                stmt => self.visit_stmt_mut(stmt),
            }
        }
        self.scopes.pop();
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        if let Some(name) = mac.path.get_ident().cloned()
            && let Some(to) = self.use_of(&name)
            && to != name
        {
            mac.path = to.into();
        }
        let tokens = std::mem::take(&mut mac.tokens);
        mac.tokens = self.tokens(tokens);
    }
}
