//! Conditions: the grammar's flat `term (op term)*` list to a tree, by a Pratt parser.
//!
//! Precedence: `not` binds tightest, then `and`, then `or` (spec §5); both binary
//! operators associate to the left. Depth is bounded so that a condition of thousands of
//! operators gets E0005 instead of a tree deep enough to overflow a recursive walk.

use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op as PrattOp, PrattParser};

use super::build::{span_at, Builder};
use super::grammar::Rule;
use crate::ast::{Cond, Op, Operand, Path, Test};
use crate::diag::{Code, Diagnostic};
use crate::source::Span;

/// Most `and`/`or`/`not` operators in one condition level, and deepest condition tree.
pub const MAX_COND_DEPTH: usize = 100;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(PrattOp::infix(Rule::or_op, Assoc::Left))
        .op(PrattOp::infix(Rule::and_op, Assoc::Left))
        .op(PrattOp::prefix(Rule::not_op))
});

/// A stand-in for a condition that could not be built (its item is poisoned).
pub(super) fn placeholder(span: Span) -> Cond {
    Cond::Test(Test {
        span,
        lhs: Path { span },
        op: Op::IsEmpty,
        op_span: span,
        rhs: Operand::None,
    })
}

impl<'a> Builder<'a> {
    /// Builds a `cond` pair; returns the condition and its tree depth.
    pub(super) fn cond(&mut self, pair: Pair<'a, Rule>) -> (Cond, usize) {
        let whole = self.span(&pair);
        let pairs = pair.into_inner();
        let operators = pairs
            .clone()
            .filter(|p| matches!(p.as_rule(), Rule::and_op | Rule::or_op | Rule::not_op))
            .count();
        if operators > MAX_COND_DEPTH {
            self.too_deep(whole);
            return (placeholder(whole), 1);
        }
        let base = self.base;
        let (cond, depth) = PRATT
            .map_primary(|p| match p.as_rule() {
                Rule::group => match p.into_inner().next() {
                    Some(inner) => self.cond(inner),
                    None => (placeholder(whole), 1),
                },
                _ => (Cond::Test(self.test(p)), 1),
            })
            .map_prefix(|op, (inner, d)| {
                let span = span_at(base, &op).to(inner.span());
                let inner = Box::new(inner);
                (Cond::Not { span, inner }, d + 1)
            })
            .map_infix(|(l, dl), op, (r, dr)| {
                let (l, r) = (Box::new(l), Box::new(r));
                let node = match op.as_rule() {
                    Rule::and_op => Cond::And(l, r),
                    _ => Cond::Or(l, r),
                };
                (node, dl.max(dr) + 1)
            })
            .parse(pairs);
        if depth > MAX_COND_DEPTH {
            self.too_deep(whole);
            return (placeholder(whole), 1);
        }
        (cond, depth)
    }

    fn too_deep(&mut self, at: Span) {
        let start = at.start as usize;
        self.poisoned = true;
        self.diags.push(
            Diagnostic::new(
                Code::TooDeep,
                format!("condition is nested too deeply (more than {MAX_COND_DEPTH} operators)"),
                self.file,
                Span::new(start, start + 1),
            )
            .with_label_message("this condition is too deep")
            .with_help("split the condition: use `else if` branches or separate rules"),
        );
    }

    /// `PATH OP [OPERAND]`.
    fn test(&mut self, pair: Pair<'a, Rule>) -> Test {
        let whole = self.span(&pair);
        let mut test = Test {
            span: whole,
            lhs: Path { span: whole },
            op: Op::IsEmpty,
            op_span: whole,
            rhs: Operand::None,
        };
        let mut seen_lhs = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::path if !seen_lhs => {
                    seen_lhs = true;
                    test.lhs = Path {
                        span: self.span(&p),
                    };
                }
                Rule::path => {
                    test.rhs = Operand::Path(Path {
                        span: self.span(&p),
                    })
                }
                Rule::empty_op | Rule::list_op | Rule::cmp_op => {
                    test.op_span = self.span(&p);
                    test.op = operator(p.as_rule(), p.as_str());
                }
                Rule::lit_list => {
                    let list_span = self.span(&p);
                    let items = p.into_inner().map(|l| self.literal(l)).collect();
                    test.rhs = Operand::List {
                        span: list_span,
                        items,
                    };
                }
                _ => test.rhs = Operand::Literal(self.literal(p)),
            }
        }
        test
    }
}

/// The operator of an `empty_op`, `list_op` or `cmp_op` token.
fn operator(rule: Rule, text: &str) -> Op {
    let negated = text.starts_with("not");
    match rule {
        Rule::empty_op if text.contains("not") => Op::IsNotEmpty,
        Rule::empty_op => Op::IsEmpty,
        Rule::list_op if negated => Op::NotIn,
        Rule::list_op => Op::In,
        _ => match text.as_bytes() {
            [b'=', b'=', ..] => Op::Eq,
            [b'!', b'=', ..] => Op::Ne,
            [b'<', b'=', ..] => Op::Le,
            [b'>', b'=', ..] => Op::Ge,
            [b'<', ..] => Op::Lt,
            [b'>', ..] => Op::Gt,
            [b's', ..] => Op::StartsWith,
            [b'e', ..] => Op::EndsWith,
            _ if negated => Op::NotContains,
            _ => Op::Contains,
        },
    }
}
