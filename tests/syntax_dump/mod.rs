//! A compact, readable dump of an AST for snapshots.
//!
//! Leaves print the source text under their span (so a wrong span shows up as wrong
//! text), decoded values print in Rust debug form, composite nodes print `@line:col`.

use std::fmt::Write;

use rulec::ast::*;
use rulec::source::{SourceFile, Span};

pub fn dump(file: &SourceFile, ast: &File) -> String {
    let mut d = Dumper {
        file,
        out: String::new(),
        indent: 0,
    };
    for item in &ast.items {
        match item {
            Item::Schema(s) => d.schema(s),
            Item::Rule(r) => d.rule(r),
        }
    }
    d.out
}

struct Dumper<'a> {
    file: &'a SourceFile,
    out: String,
    indent: usize,
}

impl Dumper<'_> {
    fn line(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}{}", "  ".repeat(self.indent), text.as_ref());
    }

    fn src(&self, span: Span) -> &str {
        self.file.slice(span)
    }

    fn at(&self, span: Span) -> String {
        let (l1, c1) = self.file.line_col(span.start);
        let (l2, c2) = self.file.line_col(span.end);
        format!("@{l1}:{c1}-{l2}:{c2}")
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.indent += 1;
        f(self);
        self.indent -= 1;
    }

    fn schema(&mut self, s: &SchemaBlock) {
        self.line(format!("schema {}", self.at(s.span)));
        self.nested(|d| {
            for decl in &s.decls {
                match decl {
                    SchemaDecl::Field { name, ty, .. } => {
                        let kind = match &ty.kind {
                            FieldTypeKind::OneOf(v) => {
                                format!("OneOf{:?}", v.iter().map(|s| &s.value).collect::<Vec<_>>())
                            }
                            k => format!("{k:?}"),
                        };
                        d.line(format!(
                            "field `{}`: {kind} `{}`",
                            d.src(name.span),
                            d.src(ty.span)
                        ));
                    }
                    SchemaDecl::Tags { tags, span } => d.line(format!(
                        "tags {:?} `{}`",
                        tags.iter().map(|t| &t.value).collect::<Vec<_>>(),
                        d.src(*span)
                    )),
                    SchemaDecl::Secret { name, .. } => {
                        d.line(format!("secret `{}`", d.src(name.span)))
                    }
                }
            }
        });
    }

    fn rule(&mut self, r: &Rule) {
        self.line(format!("rule {:?} {}", r.name.value, self.at(r.span)));
        self.nested(|d| {
            d.line(format!(
                "when `{}` (`{}`)",
                d.src(r.trigger.name),
                d.src(r.trigger.span)
            ));
            for t in &r.throttles {
                d.line(format!(
                    "throttle key={:?} count={} per={}x{:?} `{}`",
                    t.key,
                    t.rate.count,
                    t.rate.per.amount,
                    t.rate.per.unit,
                    d.src(t.span)
                ));
            }
            d.stmts(&r.body);
        });
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Action(a) => self.action(a),
                Stmt::Parallel { span, actions } => {
                    self.line(format!("parallel {}", self.at(*span)));
                    self.nested(|d| actions.iter().for_each(|a| d.action(a)));
                }
                Stmt::If(chain) => {
                    self.line(format!("if-chain {}", self.at(chain.span)));
                    self.nested(|d| {
                        for b in &chain.branches {
                            d.line(format!("branch {} when {}", d.at(b.span), d.cond(&b.cond)));
                            d.nested(|d| d.stmts(&b.block.stmts));
                        }
                        if let Some(block) = &chain.otherwise {
                            d.line(format!("else {}", d.at(block.span)));
                            d.nested(|d| d.stmts(&block.stmts));
                        }
                    });
                }
            }
        }
    }

    fn cond(&self, c: &Cond) -> String {
        match c {
            Cond::And(a, b) => format!("(and {} {})", self.cond(a), self.cond(b)),
            Cond::Or(a, b) => format!("(or {} {})", self.cond(a), self.cond(b)),
            Cond::Not { inner, .. } => format!("(not {})", self.cond(inner)),
            Cond::Test(t) => {
                let rhs = match &t.rhs {
                    Operand::None => String::new(),
                    Operand::Literal(l) => format!(" {}", self.lit(l)),
                    Operand::Path(p) => format!(" `{}`", self.src(p.span)),
                    Operand::List { items, .. } => format!(
                        " [{}]",
                        items
                            .iter()
                            .map(|l| self.lit(l))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                format!(
                    "(`{}` {:?}`{}`{rhs})",
                    self.src(t.lhs.span),
                    t.op,
                    self.src(t.op_span)
                )
            }
        }
    }

    fn lit(&self, l: &Literal) -> String {
        format!("{:?}`{}`", l.kind, self.src(l.span))
    }

    fn action(&mut self, a: &Action) {
        self.line(format!(
            "{} {} {}",
            a.method.as_str(),
            self.template(&a.url),
            self.at(a.span)
        ));
        self.nested(|d| {
            for h in &a.headers {
                d.line(format!(
                    "header {:?} = {}",
                    h.name.value,
                    d.template(&h.value)
                ));
            }
            if let Some(s) = &a.sign {
                let scheme = match &s.scheme {
                    SignScheme::HmacSha256 { header } => {
                        format!("hmac-sha256 header={:?}", header.as_ref().map(|h| &h.value))
                    }
                    SignScheme::StandardWebhooks => "standard-webhooks".to_owned(),
                };
                d.line(format!(
                    "sign {scheme} with `{}` `{}`",
                    d.src(s.secret.span),
                    d.src(s.span)
                ));
            }
            if let Some(t) = &a.timeout {
                d.line(format!(
                    "timeout {}x{:?} `{}`",
                    t.amount,
                    t.unit,
                    d.src(t.span)
                ));
            }
            if let Some(r) = &a.retry {
                d.line(format!("retry {:?} `{}`", r.kind, d.src(r.span)));
            }
            if let Some(body) = &a.body {
                d.line("body");
                d.nested(|d| d.json(None, body));
            }
        });
    }

    fn template(&self, t: &Template) -> String {
        let parts: Vec<String> = t
            .parts
            .iter()
            .map(|p| match p {
                TemplatePart::Text(s) => format!("{s:?}"),
                TemplatePart::Tag(tag) => self.tag(tag),
            })
            .collect();
        format!("[{}]", parts.join(" "))
    }

    fn tag(&self, tag: &MergeTag) -> String {
        let fallback = match &tag.fallback {
            Some(l) => format!(" ?? {}", self.lit(l)),
            None => String::new(),
        };
        format!(
            "tag(`{}`{fallback} in `{}`)",
            self.src(tag.path.span),
            self.src(tag.span)
        )
    }

    fn json(&mut self, key: Option<&StrLit>, j: &Json) {
        let key = key.map_or(String::new(), |k| format!("{:?}: ", k.value));
        match &j.kind {
            JsonKind::Object(members) => {
                self.line(format!("{key}{{ {}", self.at(j.span)));
                self.nested(|d| members.iter().for_each(|(k, v)| d.json(Some(k), v)));
                self.line("}");
            }
            JsonKind::Array(items) => {
                self.line(format!("{key}[ {}", self.at(j.span)));
                self.nested(|d| items.iter().for_each(|v| d.json(None, v)));
                self.line("]");
            }
            JsonKind::String(t) => self.line(format!("{key}{}", self.template(t))),
            JsonKind::Tag(tag) => self.line(format!("{key}{}", self.tag(tag))),
            other => self.line(format!("{key}{other:?} `{}`", self.src(j.span))),
        }
    }
}
