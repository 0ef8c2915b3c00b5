//! pest pairs to the AST.
//!
//! The grammar fixes the shape of every pair, but nothing here unwraps: each node is
//! filled by matching children by rule, and a missing or undecodable piece "poisons" the
//! item (a diagnostic is recorded and the item is left out of the AST), so a grammar
//! change can never turn into a panic on user input.

use pest::iterators::Pair;

use super::grammar::Rule;
use super::strings;
use crate::ast::{
    Block, Branch, Duration, FieldType, FieldTypeKind, Ident, IfChain, Item, LitKind, Literal,
    Rate, Rule as RuleDef, SchemaBlock, SchemaDecl, Stmt, StrLit, Template, Throttle, ThrottleKey,
    TimeUnit, Trigger,
};
use crate::diag::{Code, Diagnostic};
use crate::source::{SourceId, Span};

/// Builds AST items from pairs, collecting diagnostics.
pub(super) struct Builder<'a> {
    pub(super) text: &'a str,
    pub(super) file: SourceId,
    pub(super) diags: Vec<Diagnostic>,
    /// Where the text pest parsed starts in the file (pairs are relative to it).
    pub(super) base: usize,
    /// Set when the current item cannot be represented faithfully; it is then dropped.
    pub(super) poisoned: bool,
}

/// The span of a pair parsed from `text[base..]`, as offsets into the whole text.
pub(super) fn span_at(base: usize, pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(base + s.start(), base + s.end())
}

impl<'a> Builder<'a> {
    pub(super) fn new(text: &'a str, file: SourceId) -> Builder<'a> {
        Builder {
            text,
            file,
            diags: Vec::new(),
            base: 0,
            poisoned: false,
        }
    }

    pub(super) fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        span_at(self.base, pair)
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    /// One top-level item, or `None` if it was poisoned.
    pub(super) fn item(&mut self, pair: Pair<'a, Rule>) -> Option<Item> {
        self.poisoned = false;
        let item = match pair.as_rule() {
            Rule::schema_block => Item::Schema(self.schema(pair)),
            _ => Item::Rule(self.rule(pair)),
        };
        (!self.poisoned).then_some(item)
    }

    /// Records an internal inconsistency (a pair shape the builder does not expect).
    fn missing(&mut self, at: Span, what: &str) {
        self.poisoned = true;
        self.diags.push(Diagnostic::new(
            Code::Syntax,
            format!("could not read {what} here"),
            self.file,
            at,
        ));
    }

    pub(super) fn error(&mut self, d: Diagnostic) {
        self.poisoned = true;
        self.diags.push(d);
    }

    // ------------------------------------------------------------------ schema

    fn schema(&mut self, pair: Pair<'a, Rule>) -> SchemaBlock {
        let span = self.span(&pair);
        let mut decls = Vec::new();
        for p in pair.into_inner() {
            let decl_span = self.span(&p);
            match p.as_rule() {
                Rule::field_decl => decls.push(self.field_decl(p)),
                Rule::tags_decl => {
                    let decl_span = self.span(&p);
                    let tags = p.into_inner().map(|s| self.str_lit(s)).collect();
                    decls.push(SchemaDecl::Tags {
                        span: decl_span,
                        tags,
                    });
                }
                Rule::secret_decl => {
                    let name = p.into_inner().next().map(|i| Ident {
                        span: self.span(&i),
                    });
                    let name = name.unwrap_or(Ident { span: decl_span });
                    decls.push(SchemaDecl::Secret {
                        span: decl_span,
                        name,
                    });
                }
                _ => {}
            }
        }
        SchemaBlock { span, decls }
    }

    fn field_decl(&mut self, pair: Pair<'a, Rule>) -> SchemaDecl {
        let span = self.span(&pair);
        let mut name = None;
        let mut ty = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => {
                    name = Some(Ident {
                        span: self.span(&p),
                    })
                }
                Rule::field_type => ty = Some(self.field_type(p)),
                _ => {}
            }
        }
        let ty = ty.unwrap_or_else(|| {
            self.missing(span, "a field type");
            FieldType {
                span,
                kind: FieldTypeKind::Text,
            }
        });
        let name = name.unwrap_or(Ident { span });
        SchemaDecl::Field { span, name, ty }
    }

    fn field_type(&mut self, pair: Pair<'a, Rule>) -> FieldType {
        let span = self.span(&pair);
        let kind = match pair.into_inner().next() {
            Some(p) if p.as_rule() == Rule::ty_one_of => {
                FieldTypeKind::OneOf(p.into_inner().map(|s| self.str_lit(s)).collect())
            }
            Some(p) if p.as_rule() == Rule::ty_list_text => FieldTypeKind::ListOfText,
            Some(p) => match p.as_str().trim_end() {
                "number" => FieldTypeKind::Number,
                "bool" => FieldTypeKind::Bool,
                "timestamp" => FieldTypeKind::Timestamp,
                _ => FieldTypeKind::Text,
            },
            None => FieldTypeKind::Text,
        };
        FieldType { span, kind }
    }

    // ------------------------------------------------------------------ rules

    fn rule(&mut self, pair: Pair<'a, Rule>) -> RuleDef {
        let span = self.span(&pair);
        let mut name = None;
        let mut trigger = None;
        let mut throttles = Vec::new();
        let mut body = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::string => name = Some(self.str_lit(p)),
                Rule::trigger => trigger = Some(self.trigger(p)),
                Rule::throttle => throttles.push(self.throttle(p)),
                _ => body.extend(self.stmt(p)),
            }
        }
        let name = name.unwrap_or_else(|| {
            self.missing(span, "the rule name");
            StrLit {
                span,
                value: String::new(),
            }
        });
        let trigger = trigger.unwrap_or_else(|| {
            self.missing(span, "the trigger");
            Trigger { span, name: span }
        });
        RuleDef {
            span,
            name,
            trigger,
            throttles,
            body,
        }
    }

    fn trigger(&mut self, pair: Pair<'a, Rule>) -> Trigger {
        let span = self.span(&pair);
        let name = pair.into_inner().next().map_or(span, |p| self.span(&p));
        Trigger { span, name }
    }

    fn throttle(&mut self, pair: Pair<'a, Rule>) -> Throttle {
        let span = self.span(&pair);
        let mut key = None;
        let mut rate = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::throttle_key => {
                    key = Some(if p.as_str().starts_with("case") {
                        ThrottleKey::Case
                    } else {
                        ThrottleKey::Contact
                    })
                }
                Rule::rate => rate = Some(self.rate(p)),
                _ => {}
            }
        }
        let rate = rate.unwrap_or_else(|| {
            self.missing(span, "the rate");
            Rate {
                span,
                count: 0,
                per: unit_duration(span, TimeUnit::Second),
            }
        });
        Throttle { span, key, rate }
    }

    fn rate(&mut self, pair: Pair<'a, Rule>) -> Rate {
        let span = self.span(&pair);
        let mut count = 0;
        let mut per = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::int => count = self.int(&p),
                Rule::duration => per = Some(self.duration(p)),
                Rule::time_unit => per = Some(unit_duration(self.span(&p), time_unit(&p))),
                _ => {}
            }
        }
        let per = per.unwrap_or_else(|| {
            self.missing(span, "the period");
            unit_duration(span, TimeUnit::Second)
        });
        Rate { span, count, per }
    }

    pub(super) fn duration(&mut self, pair: Pair<'a, Rule>) -> Duration {
        let span = self.span(&pair);
        let mut amount = 0;
        let mut unit = TimeUnit::Second;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::int => amount = self.int(&p),
                Rule::time_unit => unit = time_unit(&p),
                _ => {}
            }
        }
        Duration { span, amount, unit }
    }

    pub(super) fn int(&mut self, pair: &Pair<'a, Rule>) -> u64 {
        pair.as_str().parse().unwrap_or_else(|_| {
            let at = self.span(pair);
            self.error(too_large(self.file, at, pair.as_str()));
            0
        })
    }

    // ------------------------------------------------------------------ statements

    fn stmt(&mut self, pair: Pair<'a, Rule>) -> Option<Stmt> {
        Some(match pair.as_rule() {
            Rule::action => Stmt::Action(self.action(pair)),
            Rule::if_chain => Stmt::If(self.if_chain(pair)),
            Rule::parallel => {
                let span = self.span(&pair);
                let actions = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::action)
                    .map(|p| self.action(p))
                    .collect();
                Stmt::Parallel { span, actions }
            }
            _ => return None,
        })
    }

    fn if_chain(&mut self, pair: Pair<'a, Rule>) -> IfChain {
        let span = self.span(&pair);
        let mut branches = Vec::new();
        let mut otherwise = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::if_branch => branches.push(self.branch(p)),
                Rule::block => otherwise = Some(self.block(p)),
                _ => {}
            }
        }
        IfChain {
            span,
            branches,
            otherwise,
        }
    }

    fn branch(&mut self, pair: Pair<'a, Rule>) -> Branch {
        let span = self.span(&pair);
        let mut cond = None;
        let mut block = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::cond => cond = Some(self.cond(p).0),
                Rule::block => block = Some(self.block(p)),
                _ => {}
            }
        }
        let cond = cond.unwrap_or_else(|| {
            self.missing(span, "the condition");
            super::cond::placeholder(span)
        });
        let block = block.unwrap_or(Block {
            span,
            stmts: Vec::new(),
        });
        Branch { span, cond, block }
    }

    fn block(&mut self, pair: Pair<'a, Rule>) -> Block {
        let span = self.span(&pair);
        let inner = pair.into_inner();
        let mut stmts = Vec::with_capacity(inner.len());
        stmts.extend(inner.filter_map(|p| self.stmt(p)));
        Block { span, stmts }
    }

    // ------------------------------------------------------------------ tokens

    pub(super) fn str_lit(&mut self, pair: Pair<'a, Rule>) -> StrLit {
        let span = self.span(&pair);
        let value = match strings::decode_plain(self.text, span.start as usize) {
            Ok((value, _)) => value,
            Err(e) => {
                self.string_error(e);
                String::new()
            }
        };
        StrLit { span, value }
    }

    pub(super) fn template(&mut self, pair: &Pair<'a, Rule>) -> Template {
        let span = self.span(pair);
        match strings::decode_template(self.text, span.start as usize) {
            Ok((tpl, _)) => tpl,
            Err(e) => {
                self.string_error(e);
                Template {
                    span,
                    parts: Vec::new(),
                }
            }
        }
    }

    pub(super) fn literal(&mut self, pair: Pair<'a, Rule>) -> Literal {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::string => LitKind::Str(self.str_lit(pair).value),
            Rule::boolean => LitKind::Bool(pair.as_str() == "true"),
            _ => match pair.as_str().parse::<f64>() {
                Ok(n) if n.is_finite() => LitKind::Num(n),
                _ => {
                    self.error(out_of_range(self.file, span, pair.as_str()));
                    LitKind::Num(0.0)
                }
            },
        };
        Literal { span, kind }
    }

    pub(super) fn string_error(&mut self, e: strings::StrError) {
        let mut d = Diagnostic::new(e.code, e.message, self.file, e.span)
            .with_label_message(e.label)
            .with_help(e.help);
        if let Some((span, msg)) = e.related {
            d = d.with_label(self.file, span, msg);
        }
        self.error(d);
    }
}

fn time_unit(pair: &Pair<'_, Rule>) -> TimeUnit {
    match pair.as_str().as_bytes().first() {
        Some(b'm') => TimeUnit::Minute,
        Some(b'h') => TimeUnit::Hour,
        Some(b'd') => TimeUnit::Day,
        _ => TimeUnit::Second,
    }
}

/// `per minute`: one unit, spanning the unit word.
fn unit_duration(span: Span, unit: TimeUnit) -> Duration {
    Duration {
        span,
        amount: 1,
        unit,
    }
}

pub(super) fn too_large(file: SourceId, span: Span, text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Syntax,
        format!("number `{text}` is too large"),
        file,
        span,
    )
    .with_label_message("too large")
    .with_help("use a smaller whole number")
}

pub(super) fn out_of_range(file: SourceId, span: Span, text: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Syntax,
        format!("number `{text}` is out of range"),
        file,
        span,
    )
    .with_label_message("not a finite number")
    .with_help("write a number between about -1.7e308 and 1.7e308")
}
