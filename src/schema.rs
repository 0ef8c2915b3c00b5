//! The case schema: the built-in paths of spec §3, custom fields, tags and secrets
//! declared in `schema { }` blocks, and what each trigger guarantees.
//!
//! Every readable path has a [`Slot`]: built-ins first (fixed order), then custom fields
//! in declaration order. The VM decodes an event into one value per slot, so evaluating a
//! rule never looks a field up by name.

/// A value type of the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Text,
    Number,
    Bool,
    Timestamp,
    ListOfText,
    /// `one of ("a", "b")`: text restricted to these values.
    OneOf(Vec<String>),
}

impl Type {
    /// How the type is written in rules and messages.
    pub fn describe(&self) -> String {
        match self {
            Type::Text => "text".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Timestamp => "timestamp".into(),
            Type::ListOfText => "list of text".into(),
            Type::OneOf(values) => {
                let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
                format!("one of ({})", quoted.join(", "))
            }
        }
    }

    /// Text-like: `text` or `one of`.
    pub fn is_textual(&self) -> bool {
        matches!(self, Type::Text | Type::OneOf(_))
    }
}

/// The six events a rule can be triggered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Trigger {
    Created,
    Updated,
    Closed,
    Reopened,
    Tagged,
    Assigned,
}

impl Trigger {
    pub const ALL: [Trigger; 6] = [
        Trigger::Created,
        Trigger::Updated,
        Trigger::Closed,
        Trigger::Reopened,
        Trigger::Tagged,
        Trigger::Assigned,
    ];

    /// The event `type` string, also how `when` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Created => "case.created",
            Trigger::Updated => "case.updated",
            Trigger::Closed => "case.closed",
            Trigger::Reopened => "case.reopened",
            Trigger::Tagged => "case.tagged",
            Trigger::Assigned => "case.assigned",
        }
    }

    pub fn parse(name: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// Index of a path's value in a decoded event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u16);

/// When a path may be empty (absent, `""`, `null` or `[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emptiness {
    /// Required: an event without it is rejected.
    Never,
    /// May be empty under every trigger.
    Maybe,
    /// May be empty, except under this trigger (where the event must carry it).
    RequiredUnder(Trigger),
}

/// Where a path can be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Always,
    /// Exists only under this trigger (`event.tag` under `case.tagged`).
    OnlyUnder(Trigger),
}

/// A built-in path of spec §3.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The dotted name rules use.
    pub name: &'static str,
    /// Where the value sits in the event JSON.
    pub json: &'static [&'static str],
    pub ty: BuiltinType,
    pub emptiness: Emptiness,
    pub availability: Availability,
}

/// The built-in types (a `Copy` mirror of [`Type`] for the static table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinType {
    Text,
    Timestamp,
    ListOfText,
    Status,
    Priority,
}

const STATUS: [&str; 4] = ["open", "pending", "solved", "closed"];
const PRIORITY: [&str; 4] = ["low", "normal", "high", "urgent"];

impl BuiltinType {
    pub fn to_type(self) -> Type {
        match self {
            BuiltinType::Text => Type::Text,
            BuiltinType::Timestamp => Type::Timestamp,
            BuiltinType::ListOfText => Type::ListOfText,
            BuiltinType::Status => Type::OneOf(STATUS.iter().map(|s| s.to_string()).collect()),
            BuiltinType::Priority => Type::OneOf(PRIORITY.iter().map(|s| s.to_string()).collect()),
        }
    }
}

macro_rules! builtin {
    ($name:literal, [$($seg:literal),+], $ty:ident, $empty:expr) => {
        builtin!($name, [$($seg),+], $ty, $empty, Availability::Always)
    };
    ($name:literal, [$($seg:literal),+], $ty:ident, $empty:expr, $avail:expr) => {
        Builtin { name: $name, json: &[$($seg),+], ty: BuiltinType::$ty, emptiness: $empty, availability: $avail }
    };
}

use Emptiness::{Maybe, Never, RequiredUnder};

/// The built-in paths, in slot order.
pub const BUILTINS: &[Builtin] = &[
    builtin!("event.id", ["id"], Text, Never),
    builtin!("event.type", ["type"], Text, Never),
    builtin!("event.at", ["at"], Timestamp, Never),
    builtin!(
        "event.tag",
        ["tag"],
        Text,
        RequiredUnder(Trigger::Tagged),
        Availability::OnlyUnder(Trigger::Tagged)
    ),
    builtin!("tenant.slug", ["tenant", "slug"], Text, Never),
    builtin!("tenant.name", ["tenant", "name"], Text, Maybe),
    builtin!("case.id", ["case", "id"], Text, Never),
    builtin!("case.human_id", ["case", "human_id"], Text, Never),
    builtin!("case.status", ["case", "status"], Status, Never),
    builtin!("case.priority", ["case", "priority"], Priority, Maybe),
    builtin!("case.subject", ["case", "subject"], Text, Maybe),
    builtin!("case.tags", ["case", "tags"], ListOfText, Maybe),
    builtin!("case.created_at", ["case", "created_at"], Timestamp, Never),
    builtin!("case.updated_at", ["case", "updated_at"], Timestamp, Never),
    builtin!(
        "case.closed_at",
        ["case", "closed_at"],
        Timestamp,
        RequiredUnder(Trigger::Closed)
    ),
    builtin!(
        "case.assigned_agent.id",
        ["case", "assigned_agent", "id"],
        Text,
        RequiredUnder(Trigger::Assigned)
    ),
    builtin!(
        "case.assigned_agent.email",
        ["case", "assigned_agent", "email"],
        Text,
        RequiredUnder(Trigger::Assigned)
    ),
    builtin!(
        "case.assigned_agent.name",
        ["case", "assigned_agent", "name"],
        Text,
        RequiredUnder(Trigger::Assigned)
    ),
    builtin!("contact.id", ["contact", "id"], Text, Never),
    builtin!("contact.email", ["contact", "email"], Text, Maybe),
    builtin!("contact.name", ["contact", "name"], Text, Maybe),
    builtin!("contact.phone", ["contact", "phone"], Text, Maybe),
    builtin!(
        "contact.customer_level",
        ["contact", "customer_level"],
        Text,
        Maybe
    ),
    builtin!("conversation.id", ["conversation", "id"], Text, Maybe),
    builtin!("conversation.url", ["conversation", "url"], Text, Maybe),
];

/// The prefix of custom field paths.
pub const CUSTOM_FIELDS: &str = "case.custom_fields.";
/// The prefix of secret references.
pub const SECRETS: &str = "secrets.";

/// A custom field declared with `field NAME: TYPE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomField {
    pub name: String,
    pub ty: Type,
}

/// Everything rules may read: the built-ins plus the declarations of every file's
/// `schema { }` blocks. Built by `check`, used by `plan` and `vm`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    pub custom_fields: Vec<CustomField>,
    /// Declared tags; when empty, tag literals are not checked.
    pub tags: Vec<String>,
    pub secrets: Vec<String>,
}

/// What the schema knows of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathInfo {
    pub slot: Slot,
    pub ty: Type,
    pub emptiness: Emptiness,
    pub availability: Availability,
}

impl PathInfo {
    /// Whether the path may be empty in an event of this trigger.
    pub fn may_be_empty(&self, trigger: Trigger) -> bool {
        match self.emptiness {
            Emptiness::Never => false,
            Emptiness::Maybe => true,
            Emptiness::RequiredUnder(t) => t != trigger,
        }
    }

    pub fn available(&self, trigger: Trigger) -> bool {
        match self.availability {
            Availability::Always => true,
            Availability::OnlyUnder(t) => t == trigger,
        }
    }
}

impl Schema {
    /// Resolves a dotted path (`case.custom_fields.refund_amount`).
    pub fn resolve(&self, path: &str) -> Option<PathInfo> {
        if let Some(name) = path.strip_prefix(CUSTOM_FIELDS) {
            let index = self.custom_fields.iter().position(|f| f.name == name)?;
            return Some(PathInfo {
                slot: Slot((BUILTINS.len() + index) as u16),
                ty: self.custom_fields[index].ty.clone(),
                emptiness: Emptiness::Maybe,
                availability: Availability::Always,
            });
        }
        let index = BUILTINS.iter().position(|b| b.name == path)?;
        let b = &BUILTINS[index];
        Some(PathInfo {
            slot: Slot(index as u16),
            ty: b.ty.to_type(),
            emptiness: b.emptiness,
            availability: b.availability,
        })
    }

    /// Number of slots a decoded event has.
    pub fn slot_count(&self) -> usize {
        BUILTINS.len() + self.custom_fields.len()
    }

    /// The dotted name of a slot.
    pub fn slot_name(&self, slot: Slot) -> String {
        let i = slot.0 as usize;
        match BUILTINS.get(i) {
            Some(b) => b.name.to_string(),
            None => format!(
                "{CUSTOM_FIELDS}{}",
                self.custom_fields[i - BUILTINS.len()].name
            ),
        }
    }

    /// Every readable path name, for "did you mean".
    pub fn path_names(&self) -> Vec<String> {
        let mut names: Vec<String> = BUILTINS.iter().map(|b| b.name.to_string()).collect();
        names.extend(
            self.custom_fields
                .iter()
                .map(|f| format!("{CUSTOM_FIELDS}{}", f.name)),
        );
        names
    }

    pub fn has_secret(&self, name: &str) -> bool {
        self.secrets.iter().any(|s| s == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_and_custom_fields_get_distinct_slots() {
        let schema = Schema {
            custom_fields: vec![CustomField {
                name: "refund_amount".into(),
                ty: Type::Number,
            }],
            ..Schema::default()
        };
        let id = schema.resolve("case.id").unwrap();
        let amount = schema.resolve("case.custom_fields.refund_amount").unwrap();
        assert_ne!(id.slot, amount.slot);
        assert_eq!(amount.ty, Type::Number);
        assert!(amount.may_be_empty(Trigger::Closed));
        assert_eq!(
            schema.slot_name(amount.slot),
            "case.custom_fields.refund_amount"
        );
        assert!(schema.resolve("case.nope").is_none());
    }

    #[test]
    fn closed_at_is_required_only_under_case_closed() {
        let info = Schema::default().resolve("case.closed_at").unwrap();
        assert!(!info.may_be_empty(Trigger::Closed));
        assert!(info.may_be_empty(Trigger::Updated));
        let tag = Schema::default().resolve("event.tag").unwrap();
        assert!(tag.available(Trigger::Tagged));
        assert!(!tag.available(Trigger::Closed));
    }
}
