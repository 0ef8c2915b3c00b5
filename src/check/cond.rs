//! Type-checking conditions (spec §5): each test's operator against its operand types,
//! `one of` values, declared tags. A test that fails is poisoned: it proves nothing.

use crate::ast::{Cond, LitKind, Literal, Op, Operand, Test};
use crate::diag::{did_you_mean, Code};
use crate::schema::{Slot, Type};
use crate::source::Span;

use super::facts::{RTest, Rhs};
use super::paths::{is_timestamp, lit_type, Place};
use super::rule::RuleCx;

/// A failed test: the message and the fix.
struct Mismatch {
    message: String,
    help: String,
}

impl<'a> RuleCx<'a, '_> {
    /// Checks every test of a condition, pushing each (or `None`) onto `self.tests`.
    pub(super) fn check_cond(&mut self, cond: &'a Cond) {
        match cond {
            Cond::And(a, b) | Cond::Or(a, b) => {
                self.check_cond(a);
                self.check_cond(b);
            }
            Cond::Not { inner, .. } => self.check_cond(inner),
            Cond::Test(test) => {
                let checked = self.check_test(test);
                self.tests.push(checked);
            }
        }
    }

    fn check_test(&mut self, test: &'a Test) -> Option<RTest<'a>> {
        let lhs = self.read_value(test.lhs, Place::Condition);
        let rhs = match &test.rhs {
            Operand::None => Some(Rhs::None),
            Operand::Literal(lit) => Some(Rhs::Lit(&lit.kind)),
            Operand::Path(path) => self.read_value(*path, Place::Condition).map(Rhs::Path),
            Operand::List { items, .. } => Some(Rhs::List(items)),
        };
        let (lhs, rhs) = (lhs?, rhs?);
        if let Err(m) = self.type_test(test, lhs, rhs) {
            let lhs_text = self.file.slice(test.lhs.span);
            let label = format!("`{lhs_text}` is {}", self.env.ty(lhs).describe());
            let d = self
                .diag(Code::TypeMismatch, m.message, test.span)
                .with_label_message(label)
                .with_help(m.help);
            self.report(d);
            return None;
        }
        if !self.literals_possible(test, lhs) {
            return None;
        }
        Some(RTest {
            lhs,
            op: test.op,
            rhs,
            span: test.span,
        })
    }

    /// The operator applied to these operand types.
    fn type_test(&self, test: &Test, lhs: Slot, rhs: Rhs<'_>) -> Result<(), Mismatch> {
        let ty = self.env.ty(lhs);
        let path = self.file.slice(test.lhs.span);
        let op = test.op;
        let rhs_ty = match rhs {
            Rhs::None => return Ok(()),
            Rhs::Path(slot) => RhsType::Path(self.env.ty(slot)),
            Rhs::Lit(kind) => RhsType::Lit(kind),
            Rhs::List(items) => RhsType::List(items),
        };
        match op {
            Op::IsEmpty | Op::IsNotEmpty => Ok(()),
            Op::Eq | Op::Ne => equality(op, path, ty, rhs_ty),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => ordering(op, path, ty, rhs_ty),
            Op::Contains | Op::NotContains => containment(op, path, ty, rhs_ty),
            Op::In | Op::NotIn => membership(op, path, ty, rhs_ty),
            Op::StartsWith | Op::EndsWith => affix(op, path, ty, rhs_ty),
        }
    }

    /// `one of` values and declared tags: literals that can never match.
    fn literals_possible(&mut self, test: &'a Test, lhs: Slot) -> bool {
        let items: &[Literal] = match &test.rhs {
            Operand::Literal(lit) => std::slice::from_ref(lit),
            Operand::List { items, .. } => items,
            Operand::None | Operand::Path(_) => return true,
        };
        let is_tag = match test.op {
            Op::Contains | Op::NotContains => Some(lhs) == self.env.case_tags,
            Op::Eq | Op::Ne | Op::In | Op::NotIn => Some(lhs) == self.env.event_tag,
            _ => false,
        };
        let mut ok = true;
        for item in items {
            let LitKind::Str(value) = &item.kind else {
                continue;
            };
            if let Type::OneOf(values) = self.env.ty(lhs) {
                if matches!(test.op, Op::Eq | Op::Ne | Op::In | Op::NotIn)
                    && !values.contains(value)
                {
                    self.impossible_value(test, lhs, item.span, value);
                    ok = false;
                }
            }
            if is_tag && self.env.checks_tags() && !self.env.has_tag(value) {
                self.undeclared_tag(item.span, value);
                ok = false;
            }
        }
        ok
    }

    fn impossible_value(&mut self, test: &Test, lhs: Slot, span: Span, value: &str) {
        let Type::OneOf(values) = self.env.ty(lhs) else {
            return;
        };
        let path = self.file.slice(test.lhs.span);
        let allowed = quoted_list(values);
        let help = match did_you_mean(value, values.iter().map(String::as_str)) {
            Some(best) => format!("did you mean `\"{best}\"`? `{path}` is one of {allowed}"),
            None => format!("`{path}` is one of {allowed}"),
        };
        let d = self
            .diag(
                Code::ImpossibleLiteral,
                format!("`\"{value}\"` is not a possible value of `{path}`"),
                span,
            )
            .with_label_message("this comparison can never match")
            .with_help(help);
        self.report(d);
    }

    fn undeclared_tag(&mut self, span: Span, value: &str) {
        let tags = &self.env.schema.tags;
        let help = match did_you_mean(value, tags.iter().map(String::as_str)) {
            Some(best) => format!(
                "did you mean `\"{best}\"`? otherwise declare it in a schema block: `tags \"{value}\"`"
            ),
            None => format!(
                "declared tags are {}; declare it in a schema block: `tags \"{value}\"`",
                quoted_list(tags)
            ),
        };
        let d = self
            .diag(
                Code::UndeclaredTag,
                format!("tag `\"{value}\"` is not declared"),
                span,
            )
            .with_label_message("not a declared tag")
            .with_help(help);
        self.report(d);
    }
}

/// The right-hand side's type, as the rules below see it.
#[derive(Clone, Copy)]
enum RhsType<'t> {
    Path(&'t Type),
    Lit(&'t LitKind),
    List(&'t [Literal]),
}

impl RhsType<'_> {
    fn describe(&self) -> String {
        match self {
            RhsType::Path(ty) => ty.describe(),
            RhsType::Lit(kind) => lit_type(kind).to_string(),
            RhsType::List(items) if items.iter().all(|l| matches!(l.kind, LitKind::Str(_))) => {
                "a list of text".to_string()
            }
            RhsType::List(_) => "a list".to_string(),
        }
    }
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cannot_compare(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>, help: String) -> Mismatch {
    Mismatch {
        message: format!(
            "`{}` cannot compare `{path}` ({}) with {}",
            op.as_str(),
            ty.describe(),
            rhs.describe()
        ),
        help,
    }
}

/// The membership operator that fits a list, for `==`-style mistakes on `case.tags`.
fn use_contains(op: Op, path: &str, rhs: RhsType<'_>) -> String {
    let word = if matches!(op, Op::Ne | Op::NotIn) {
        "not contains"
    } else {
        "contains"
    };
    let value = match rhs {
        RhsType::Lit(LitKind::Str(s)) => format!("\"{s}\""),
        RhsType::List(items) => match items.first().map(|l| &l.kind) {
            Some(LitKind::Str(s)) => format!("\"{s}\""),
            _ => "\"...\"".into(),
        },
        _ => "\"...\"".into(),
    };
    format!("use `{word}` to test membership: `{path} {word} {value}`")
}

fn textual(ty: &Type) -> bool {
    ty.is_textual()
}

/// Path-to-path comparisons: the same type, or two text-like types.
fn compatible(a: &Type, b: &Type) -> bool {
    a == b || (textual(a) && textual(b))
}

fn equality(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>) -> Result<(), Mismatch> {
    let fits = match (ty, rhs) {
        (_, RhsType::List(_)) if textual(ty) => {
            let word = if op == Op::Ne { "not in" } else { "in" };
            return Err(cannot_compare(
                op,
                path,
                ty,
                rhs,
                format!(
                    "use `{word}` to compare with several values: `{path} {word} [\"a\", \"b\"]`"
                ),
            ));
        }
        (Type::ListOfText, _) => false,
        (_, RhsType::Path(other)) => compatible(ty, other),
        (Type::Text | Type::OneOf(_), RhsType::Lit(LitKind::Str(_))) => true,
        (Type::Number, RhsType::Lit(LitKind::Num(_))) => true,
        (Type::Bool, RhsType::Lit(LitKind::Bool(_))) => true,
        (Type::Timestamp, RhsType::Lit(LitKind::Str(s))) => is_timestamp(s),
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let help = match (ty, rhs) {
        (Type::ListOfText, _) => use_contains(op, path, rhs),
        (_, RhsType::Path(_)) => format!("compare `{path}` with a {} value", ty_word(ty)),
        _ => literal_help(op, path, ty),
    };
    Err(cannot_compare(op, path, ty, rhs, help))
}

fn ordering(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>) -> Result<(), Mismatch> {
    let fits = match (ty, rhs) {
        (Type::Number, RhsType::Lit(LitKind::Num(_))) => true,
        (Type::Timestamp, RhsType::Lit(LitKind::Str(s))) => is_timestamp(s),
        (Type::Number | Type::Timestamp, RhsType::Path(other)) => ty == other,
        (Type::Number | Type::Timestamp, _) => false,
        (Type::ListOfText, _) => {
            return Err(cannot_compare(
                op,
                path,
                ty,
                rhs,
                use_contains(op, path, rhs),
            ));
        }
        _ => {
            return Err(cannot_compare(op, path, ty, rhs,
                format!(
                    "`{}` compares numbers and timestamps; compare text with `==`, `in [...]` or `starts with`",
                    op.as_str()
                ),
            ));
        }
    };
    if fits {
        return Ok(());
    }
    Err(cannot_compare(
        op,
        path,
        ty,
        rhs,
        literal_help(op, path, ty),
    ))
}

fn containment(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>) -> Result<(), Mismatch> {
    let rhs_textual = match rhs {
        RhsType::Lit(LitKind::Str(_)) => true,
        RhsType::Path(other) => textual(other),
        _ => false,
    };
    match ty {
        Type::ListOfText | Type::Text | Type::OneOf(_) if rhs_textual => Ok(()),
        Type::ListOfText | Type::Text | Type::OneOf(_) => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            format!(
                "`{}` looks for text: `{path} {} \"...\"`",
                op.as_str(),
                op.as_str()
            ),
        )),
        _ => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            literal_help(Op::Eq, path, ty),
        )),
    }
}

fn membership(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>) -> Result<(), Mismatch> {
    if *ty == Type::ListOfText {
        return Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            use_contains(op, path, rhs),
        ));
    }
    if !textual(ty) {
        let help = format!(
            "`{}` tests text against a list of strings; for {} use `==` joined with `or`",
            op.as_str(),
            ty.describe()
        );
        return Err(cannot_compare(op, path, ty, rhs, help));
    }
    match rhs {
        RhsType::List(items) => match items.iter().find(|l| !matches!(l.kind, LitKind::Str(_))) {
            None => Ok(()),
            Some(bad) => Err(cannot_compare(
                op,
                path,
                ty,
                RhsType::Lit(&bad.kind),
                format!(
                    "write every value of the list as a string: `{path} {} [\"a\", \"b\"]`",
                    op.as_str()
                ),
            )),
        },
        _ => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            format!(
                "`{}` takes a list of literals: `{path} {} [\"a\", \"b\"]`",
                op.as_str(),
                op.as_str()
            ),
        )),
    }
}

fn affix(op: Op, path: &str, ty: &Type, rhs: RhsType<'_>) -> Result<(), Mismatch> {
    let rhs_textual = match rhs {
        RhsType::Lit(LitKind::Str(_)) => true,
        RhsType::Path(other) => textual(other),
        _ => false,
    };
    match ty {
        Type::Text | Type::OneOf(_) if rhs_textual => Ok(()),
        Type::Text | Type::OneOf(_) => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            format!(
                "`{}` takes text: `{path} {} \"...\"`",
                op.as_str(),
                op.as_str()
            ),
        )),
        Type::ListOfText => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            use_contains(op, path, rhs),
        )),
        _ => Err(cannot_compare(
            op,
            path,
            ty,
            rhs,
            literal_help(Op::Eq, path, ty),
        )),
    }
}

fn ty_word(ty: &Type) -> &'static str {
    match ty {
        Type::Text | Type::OneOf(_) => "text",
        Type::Number => "number",
        Type::Bool => "bool",
        Type::Timestamp => "timestamp",
        Type::ListOfText => "list of text",
    }
}

/// How to write a literal the path can be compared with.
fn literal_help(op: Op, path: &str, ty: &Type) -> String {
    let op = op.as_str();
    match ty {
        Type::Number => format!("compare numbers with a number, without quotes: `{path} {op} 100`"),
        Type::Bool => format!("compare with `true` or `false`: `{path} == true`"),
        Type::Timestamp => format!(
            "compare with an RFC 3339 timestamp or a timestamp path: `{path} {op} \"2026-05-10T14:03:00Z\"`"
        ),
        Type::Text => format!("compare text with a string in double quotes: `{path} {op} \"...\"`"),
        Type::OneOf(values) => format!("compare with one of its values: `{path} {op} \"{}\"`", values.first().map_or("", String::as_str)),
        Type::ListOfText => format!("use `contains` to test membership: `{path} contains \"...\"`"),
    }
}
