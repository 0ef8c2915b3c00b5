//! Path-sensitive facts: what a condition proves about the event when it is true (the
//! `then` block) or false (every later `else if` and the `else`).
//!
//! A fact says that an atomic test holds or fails for one path. Every test except
//! `is empty`, `!=`, `not contains` and `not in` is false on an empty value, so when such a
//! test holds the path is also known to be non-empty (`Empty` fails). `A and B` proves the
//! union of both, `A or B` the intersection, `not` swaps true and false (De Morgan).
//! Facts borrow literals from the AST: collecting them allocates nothing per node.

use crate::ast::{Cond, LitKind, Literal, Op};
use crate::schema::Slot;
use crate::source::Span;

/// A type-checked test, ready for fact extraction. Ill-typed tests become `None` in the
/// test list and prove nothing (so an error causes no follow-on warnings).
#[derive(Debug, Clone, Copy)]
pub(super) struct RTest<'a> {
    pub lhs: Slot,
    pub op: Op,
    pub rhs: Rhs<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Rhs<'a> {
    None,
    Lit(&'a LitKind),
    Path(Slot),
    List(&'a [Literal]),
}

/// The positive form of a test, without negation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Atom<'a> {
    Empty,
    Eq(&'a LitKind),
    Contains(&'a str),
    In(&'a [Literal]),
    StartsWith(&'a str),
    EndsWith(&'a str),
    /// `<`, `<=`, `>`, `>=` against a literal.
    Cmp(Op, &'a LitKind),
    /// Any comparison against another path.
    CmpPath(Op, Slot),
}

/// `atom` holds (or fails) for the value of `slot`; `origin` is the test that said so,
/// and `origin_held` whether that test was true or false on this path.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fact<'a> {
    pub slot: Slot,
    pub atom: Atom<'a>,
    pub holds: bool,
    pub origin: Span,
    pub origin_held: bool,
}

impl Fact<'_> {
    /// The path is known to hold a value.
    pub fn proves_non_empty(&self, slot: Slot) -> bool {
        self.slot == slot && matches!(self.atom, Atom::Empty) && !self.holds
    }

    fn same(&self, other: &Fact<'_>) -> bool {
        self.slot == other.slot && self.holds == other.holds && same_atom(&self.atom, &other.atom)
    }
}

/// Collects what `cond` proves when it evaluates to `holds`. `tests` holds the checked
/// tests of `cond` in source order; `next` walks them.
pub(super) fn prove<'a>(
    cond: &Cond,
    holds: bool,
    tests: &[Option<RTest<'a>>],
    next: &mut usize,
    out: &mut Vec<Fact<'a>>,
) {
    match cond {
        Cond::Test(_) => {
            let test = tests.get(*next).copied().flatten();
            *next += 1;
            if let Some(test) = test {
                test_facts(&test, holds, out);
            }
        }
        Cond::Not { inner, .. } => prove(inner, !holds, tests, next, out),
        // Both sides known: `A and B` true, or `A or B` false.
        Cond::And(a, b) if holds => {
            prove(a, true, tests, next, out);
            prove(b, true, tests, next, out);
        }
        Cond::Or(a, b) if !holds => {
            prove(a, false, tests, next, out);
            prove(b, false, tests, next, out);
        }
        // One side or the other: only what both prove.
        Cond::And(a, b) | Cond::Or(a, b) => {
            let mut left = Vec::new();
            let mut right = Vec::new();
            prove(a, holds, tests, next, &mut left);
            prove(b, holds, tests, next, &mut right);
            out.extend(left.into_iter().filter(|f| right.iter().any(|g| f.same(g))));
        }
    }
}

/// The facts of one test evaluating to `holds`.
fn test_facts<'a>(test: &RTest<'a>, holds: bool, out: &mut Vec<Fact<'a>>) {
    let test_holds = holds;
    let mut push = |slot, atom, holds| {
        out.push(Fact {
            slot,
            atom,
            holds,
            origin: test.span,
            origin_held: test_holds,
        })
    };
    let (atom, negated) = match (test.op, test.rhs) {
        (Op::IsEmpty, _) => return push(test.lhs, Atom::Empty, holds),
        (Op::IsNotEmpty, _) => return push(test.lhs, Atom::Empty, !holds),
        (op, Rhs::Path(other)) => (Atom::CmpPath(positive(op), other), is_negated(op)),
        (Op::Eq | Op::Ne, Rhs::Lit(lit)) => (Atom::Eq(lit), test.op == Op::Ne),
        (Op::Contains | Op::NotContains, Rhs::Lit(LitKind::Str(s))) => {
            (Atom::Contains(s), test.op == Op::NotContains)
        }
        (Op::In | Op::NotIn, Rhs::List(items)) => (Atom::In(items), test.op == Op::NotIn),
        (Op::StartsWith, Rhs::Lit(LitKind::Str(s))) => (Atom::StartsWith(s), false),
        (Op::EndsWith, Rhs::Lit(LitKind::Str(s))) => (Atom::EndsWith(s), false),
        (op @ (Op::Lt | Op::Le | Op::Gt | Op::Ge), Rhs::Lit(lit)) => (Atom::Cmp(op, lit), false),
        _ => return,
    };
    // The positive form is false on an empty value: when it holds, the path has a value.
    let positive_holds = holds != negated;
    push(test.lhs, atom, positive_holds);
    if positive_holds {
        push(test.lhs, Atom::Empty, false);
        if let Rhs::Path(other) = test.rhs {
            push(other, Atom::Empty, false);
        }
    }
}

fn positive(op: Op) -> Op {
    match op {
        Op::Ne => Op::Eq,
        Op::NotContains => Op::Contains,
        Op::NotIn => Op::In,
        op => op,
    }
}

fn is_negated(op: Op) -> bool {
    matches!(op, Op::Ne | Op::NotContains | Op::NotIn)
}

fn same_atom(a: &Atom<'_>, b: &Atom<'_>) -> bool {
    match (a, b) {
        (Atom::Empty, Atom::Empty) => true,
        (Atom::Eq(x), Atom::Eq(y)) => x == y,
        (Atom::Contains(x), Atom::Contains(y))
        | (Atom::StartsWith(x), Atom::StartsWith(y))
        | (Atom::EndsWith(x), Atom::EndsWith(y)) => x == y,
        (Atom::In(x), Atom::In(y)) => same_set(x, y),
        (Atom::Cmp(o, x), Atom::Cmp(p, y)) => o == p && x == y,
        (Atom::CmpPath(o, x), Atom::CmpPath(p, y)) => o == p && x == y,
        _ => false,
    }
}

fn same_set(x: &[Literal], y: &[Literal]) -> bool {
    subset(x, y) && subset(y, x)
}

fn subset(x: &[Literal], y: &[Literal]) -> bool {
    x.iter().all(|a| member(&a.kind, y))
}

fn member(value: &LitKind, set: &[Literal]) -> bool {
    set.iter().any(|b| &b.kind == value)
}

/// Whether two facts about the same path cannot both be true.
pub(super) fn contradicts(f: &Fact<'_>, g: &Fact<'_>) -> bool {
    if f.slot != g.slot {
        return false;
    }
    if same_atom(&f.atom, &g.atom) {
        return f.holds != g.holds;
    }
    match (f.holds, g.holds) {
        (true, true) => both_hold_conflict(&f.atom, &g.atom),
        (true, false) => holds_and_fails_conflict(&f.atom, &g.atom),
        (false, true) => holds_and_fails_conflict(&g.atom, &f.atom),
        (false, false) => false,
    }
}

fn both_hold_conflict(a: &Atom<'_>, b: &Atom<'_>) -> bool {
    match (a, b) {
        (Atom::Empty, other) | (other, Atom::Empty) => !matches!(other, Atom::Empty),
        (Atom::Eq(x), Atom::Eq(y)) => x != y,
        (Atom::Eq(x), Atom::In(set)) | (Atom::In(set), Atom::Eq(x)) => !member(x, set),
        (Atom::In(x), Atom::In(y)) => !x.iter().any(|a| member(&a.kind, y)),
        _ => match (interval(a), interval(b)) {
            (Some(x), Some(y)) => x.meet(y).is_empty(),
            _ => false,
        },
    }
}

/// `held` holds while `failed` fails.
fn holds_and_fails_conflict(held: &Atom<'_>, failed: &Atom<'_>) -> bool {
    match (held, failed) {
        (Atom::Eq(x), Atom::In(set)) => member(x, set),
        (Atom::In(set), Atom::Eq(x)) => set.iter().all(|a| &a.kind == *x),
        (Atom::In(x), Atom::In(y)) => subset(x, y),
        // `x > 10` cannot hold where `x > 5` failed.
        _ => match (interval(held), interval(failed)) {
            (Some(inner), Some(outer)) => outer.covers(inner),
            _ => false,
        },
    }
}

/// The numbers a numeric test admits.
#[derive(Debug, Clone, Copy)]
struct Interval {
    lo: f64,
    lo_closed: bool,
    hi: f64,
    hi_closed: bool,
}

impl Interval {
    fn meet(self, other: Interval) -> Interval {
        let (lo, lo_closed) = if self.lo > other.lo {
            (self.lo, self.lo_closed)
        } else if other.lo > self.lo {
            (other.lo, other.lo_closed)
        } else {
            (self.lo, self.lo_closed && other.lo_closed)
        };
        let (hi, hi_closed) = if self.hi < other.hi {
            (self.hi, self.hi_closed)
        } else if other.hi < self.hi {
            (other.hi, other.hi_closed)
        } else {
            (self.hi, self.hi_closed && other.hi_closed)
        };
        Interval {
            lo,
            lo_closed,
            hi,
            hi_closed,
        }
    }

    /// Every number of `inner` is in `self`.
    fn covers(self, inner: Interval) -> bool {
        let lo_ok =
            inner.lo > self.lo || (inner.lo == self.lo && (self.lo_closed || !inner.lo_closed));
        let hi_ok =
            inner.hi < self.hi || (inner.hi == self.hi && (self.hi_closed || !inner.hi_closed));
        lo_ok && hi_ok
    }

    fn is_empty(self) -> bool {
        self.lo > self.hi || (self.lo == self.hi && !(self.lo_closed && self.hi_closed))
    }
}

fn interval(atom: &Atom<'_>) -> Option<Interval> {
    let (op, n) = match atom {
        Atom::Eq(LitKind::Num(n)) => (Op::Eq, *n),
        Atom::Cmp(op, LitKind::Num(n)) => (*op, *n),
        _ => return None,
    };
    let inf = f64::INFINITY;
    let (lo, lo_closed, hi, hi_closed) = match op {
        Op::Eq => (n, true, n, true),
        Op::Lt => (-inf, false, n, false),
        Op::Le => (-inf, false, n, true),
        Op::Gt => (n, false, inf, false),
        Op::Ge => (n, true, inf, false),
        _ => return None,
    };
    Some(Interval {
        lo,
        lo_closed,
        hi,
        hi_closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(kind: LitKind) -> Literal {
        Literal {
            span: Span::default(),
            kind,
        }
    }

    fn fact(atom: Atom<'_>, holds: bool) -> Fact<'_> {
        Fact {
            slot: Slot(1),
            atom,
            holds,
            origin: Span::default(),
            origin_held: true,
        }
    }

    #[test]
    fn numeric_ranges_that_do_not_meet_contradict() {
        let five = LitKind::Num(5.0);
        let three = LitKind::Num(3.0);
        let gt5 = fact(Atom::Cmp(Op::Gt, &five), true);
        let lt3 = fact(Atom::Cmp(Op::Lt, &three), true);
        let ge3 = fact(Atom::Cmp(Op::Ge, &three), true);
        let le5 = fact(Atom::Cmp(Op::Le, &five), true);
        assert!(contradicts(&gt5, &lt3));
        assert!(!contradicts(&ge3, &le5));
        assert!(contradicts(&gt5, &fact(Atom::Eq(&five), true)));
        assert!(!contradicts(&le5, &fact(Atom::Eq(&five), true)));
        // `x > 5` failed (x empty or at most 5): `x >= 5` may still hold, `x == 6` not.
        let gt5_failed = fact(Atom::Cmp(Op::Gt, &five), false);
        let six = LitKind::Num(6.0);
        assert!(!contradicts(
            &gt5_failed,
            &fact(Atom::Cmp(Op::Ge, &five), true)
        ));
        assert!(contradicts(&gt5_failed, &fact(Atom::Eq(&six), true)));
    }

    #[test]
    fn membership_sets_contradict_when_disjoint_or_excluded() {
        let ab = [lit(LitKind::Str("a".into())), lit(LitKind::Str("b".into()))];
        let c = [lit(LitKind::Str("c".into()))];
        let a = LitKind::Str("a".into());
        assert!(contradicts(
            &fact(Atom::In(&ab), true),
            &fact(Atom::In(&c), true)
        ));
        assert!(contradicts(
            &fact(Atom::Eq(&a), true),
            &fact(Atom::In(&ab), false)
        ));
        assert!(!contradicts(
            &fact(Atom::Eq(&a), true),
            &fact(Atom::In(&ab), true)
        ));
        assert!(contradicts(
            &fact(Atom::In(&ab), false),
            &fact(Atom::In(&ab[..1]), true)
        ));
    }
}
