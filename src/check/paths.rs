//! Reading a path: unknown names (with "did you mean"), trigger availability, secrets and
//! where they may appear, merge tags that may render empty, and `??` fallbacks.

use crate::ast::{LitKind, Literal, MergeTag, Path};
use crate::diag::{did_you_mean, Code};
use crate::schema::{Availability, Emptiness, Slot, Type, CUSTOM_FIELDS, SECRETS};

use super::rule::RuleCx;

/// Where a path is read: decides whether a secret is allowed there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Condition,
    Url,
    Header,
    Body,
    Sign,
}

impl Place {
    fn describe(self) -> &'static str {
        match self {
            Place::Condition => "in a condition",
            Place::Url => "in a url",
            Place::Header => "in a header value",
            Place::Body => "in a body",
            Place::Sign => "to sign",
        }
    }
}

/// The outcome of reading a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    Value(Slot),
    /// A declared secret, where secrets are allowed.
    Secret,
    /// Already reported: prove and check nothing more about it.
    Poison,
}

impl<'a> RuleCx<'a, '_> {
    /// Resolves a path read at `place`, reporting what is wrong with it.
    pub(super) fn read(&mut self, path: Path, place: Place) -> Read {
        let text = self.file.slice(path.span);
        if let Some(name) = text.strip_prefix(SECRETS) {
            return self.read_secret(path, name, place);
        }
        let Some(slot) = self.env.lookup(text) else {
            self.unknown_path(path, text);
            return Read::Poison;
        };
        if let (Availability::OnlyUnder(only), Some(trigger)) =
            (self.env.availability(slot), self.trigger)
        {
            if only != trigger {
                let d = self
                    .diag(
                        Code::PathNotAvailable,
                        format!("`{text}` does not exist under `when {}`", trigger.as_str()),
                        path.span,
                    )
                    .with_label_message(format!("only events of `{}` carry it", only.as_str()))
                    .with_help(format!(
                        "`{text}` exists only under `when {}`: use that trigger, or read another path",
                        only.as_str()
                    ));
                self.report(d);
                return Read::Poison;
            }
        }
        if place == Place::Sign {
            let d = self
                .diag(
                    Code::TypeMismatch,
                    format!("`sign` needs a secret, found `{text}`"),
                    path.span,
                )
                .with_label_message("not a secret")
                .with_help("declare `secret NAME` in a schema block and write `sign ... with secrets.NAME`");
            self.report(d);
            return Read::Poison;
        }
        Read::Value(slot)
    }

    /// A value path (no secrets): the slot, or `None` when poisoned.
    pub(super) fn read_value(&mut self, path: Path, place: Place) -> Option<Slot> {
        match self.read(path, place) {
            Read::Value(slot) => Some(slot),
            Read::Secret | Read::Poison => None,
        }
    }

    fn read_secret(&mut self, path: Path, name: &str, place: Place) -> Read {
        if !matches!(place, Place::Header | Place::Sign) {
            let d = self
                .diag(
                    Code::MisplacedSecret,
                    format!("secret `{name}` cannot be used {}", place.describe()),
                    path.span,
                )
                .with_label_message("secrets are allowed only in header values and `sign ... with`")
                .with_help(format!(
                    "send it in a header instead: `header \"Authorization\" = \"Bearer {{{{secrets.{name}}}}}\"`, \
                     so it never lands in logs, urls or payloads"
                ));
            self.report(d);
            return Read::Poison;
        }
        if self.env.has_secret(name) {
            return Read::Secret;
        }
        let declared = self.env.schema.secrets.iter().map(String::as_str);
        let help = match did_you_mean(name, declared) {
            Some(best) => format!(
                "did you mean `secrets.{best}`? otherwise declare it in a schema block: `secret {name}`"
            ),
            None => format!("declare it in a schema block: `secret {name}`"),
        };
        let d = self
            .diag(
                Code::UndeclaredSecret,
                format!("secret `{name}` is not declared"),
                path.span,
            )
            .with_label_message("no `secret` declaration has this name")
            .with_help(help);
        self.report(d);
        Read::Poison
    }

    fn unknown_path(&mut self, path: Path, text: &str) {
        let names = self.env.path_names.iter().map(String::as_str);
        let suggestion = did_you_mean(text, names).map(str::to_string).or_else(|| {
            // `case.refund_amount` for a custom field: the prefix is easy to forget.
            let last = text.rsplit('.').next().unwrap_or(text);
            self.env
                .schema
                .custom_fields
                .iter()
                .find(|f| f.name == last)
                .map(|f| format!("{CUSTOM_FIELDS}{}", f.name))
        });
        let help = match (suggestion, text.strip_prefix(CUSTOM_FIELDS)) {
            (Some(best), _) => format!("did you mean `{best}`?"),
            (None, Some(field)) => {
                format!("declare the field in a schema block: `schema {{ field {field}: text }}`")
            }
            (None, None) => {
                "paths start with `event.`, `tenant.`, `case.`, `contact.` or `conversation.`; \
                             custom fields are read as `case.custom_fields.NAME`"
                    .to_string()
            }
        };
        let d = self
            .diag(
                Code::UnknownPath,
                format!("unknown path `{text}`"),
                path.span,
            )
            .with_label_message("not in the case schema")
            .with_help(help);
        self.report(d);
    }

    /// A merge tag in a request: its path, its fallback, and whether it may render empty.
    pub(super) fn check_tag(&mut self, tag: &'a MergeTag, place: Place, reachable: bool) {
        let slot = match self.read(tag.path, place) {
            Read::Value(slot) => slot,
            Read::Secret | Read::Poison => return,
        };
        if let Some(fallback) = &tag.fallback {
            self.check_fallback(slot, fallback);
        } else if reachable && self.uncertain == 0 && !self.known_non_empty(slot) {
            self.may_render_empty(tag, slot);
        }
    }

    fn may_render_empty(&mut self, tag: &MergeTag, slot: Slot) {
        let name = self.env.name(slot).to_string();
        let ty = self.env.ty(slot);
        let guard = format!("guard the action with `if {name} is not empty then {{ ... }}`");
        let mut help = match fallback_example(ty) {
            Some(example) => format!("{guard}, or add a fallback: `{{{{{name} ?? {example}}}}}`"),
            None => guard,
        };
        if let (Emptiness::RequiredUnder(t), Some(_)) = (self.env.emptiness(slot), self.trigger) {
            help.push_str(&format!(" (it is always set under `when {}`)", t.as_str()));
        }
        let d = self
            .diag(
                Code::MayRenderEmpty,
                format!("`{name}` may render empty"),
                tag.span,
            )
            .with_label_message("nothing on this path proves it has a value")
            .with_help(help);
        self.report(d);
    }

    fn check_fallback(&mut self, slot: Slot, fallback: &Literal) {
        let ty = self.env.ty(slot);
        let fits = match (ty, &fallback.kind) {
            (Type::Text | Type::OneOf(_), LitKind::Str(_)) => true,
            (Type::Number, LitKind::Num(_)) | (Type::Bool, LitKind::Bool(_)) => true,
            (Type::Timestamp, LitKind::Str(s)) => s.is_empty() || is_timestamp(s),
            _ => false,
        };
        if fits {
            return;
        }
        let name = self.env.name(slot).to_string();
        let literal = self.file.slice(fallback.span).to_string();
        let d = match fallback_example(ty) {
            None => self
                .diag(
                    Code::BadFallback,
                    format!("`{name}` is a list and has no fallback literal"),
                    fallback.span,
                )
                .with_label_message("remove this fallback")
                .with_help(format!(
                    "write `{{{{{name}}}}}` and guard the action with `if {name} is not empty then {{ ... }}`"
                )),
            Some(example) => self
                .diag(
                    Code::BadFallback,
                    format!(
                        "fallback `{literal}` is {} but `{name}` is {}",
                        lit_type(&fallback.kind),
                        ty.describe()
                    ),
                    fallback.span,
                )
                .with_label_message(format!("expected {}", ty.describe()))
                .with_help(format!("use a literal of the path's type: `{{{{{name} ?? {example}}}}}`")),
        };
        self.report(d);
    }
}

/// A fallback literal of a type, as it is written inside a merge tag.
pub(super) fn fallback_example(ty: &Type) -> Option<String> {
    match ty {
        Type::Text | Type::Timestamp => Some("''".into()),
        Type::Number => Some("0".into()),
        Type::Bool => Some("false".into()),
        Type::OneOf(values) => Some(format!("'{}'", values.first().map_or("", String::as_str))),
        Type::ListOfText => None,
    }
}

/// The type of a literal, as messages name it.
pub(super) fn lit_type(kind: &LitKind) -> &'static str {
    match kind {
        LitKind::Str(_) => "text",
        LitKind::Num(_) => "number",
        LitKind::Bool(_) => "bool",
    }
}

/// An RFC 3339 timestamp literal.
pub(super) fn is_timestamp(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}
