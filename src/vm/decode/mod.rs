//! Decoding one JSON event into slots, once, for every rule to share.
//!
//! The event is walked along a static tree of the built-in paths (plus the plan's custom
//! fields) and each known leaf is written straight into its slot; unknown fields are
//! skipped without being built. Then the event type and the required fields (spec §10)
//! are checked. Two walks share the tree, the slots and the leaf rules ([`leaf`]): a
//! scanner of our own for the usual event ([`scan`]), and serde_json for everything it
//! leaves and for the error messages ([`visit`]).

use std::sync::LazyLock;

use leaf::{LeafSeed, Mismatch, Outcome};

use super::value::Value;
use crate::plan::{FieldSpec, Plan, ValueType};
use crate::schema::{Emptiness, Trigger, BUILTINS};

mod leaf;
mod scan;
#[cfg(test)]
mod tests;
mod visit;

/// A decoded event: its trigger and one value per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    trigger: Trigger,
    slots: Vec<Value>,
}

static MISSING: Value = Value::Missing;

/// The slot of a built-in path, at compile time (a wrong name fails the build, never a
/// run: the function is only used in `const` items).
const fn builtin_slot(name: &str) -> u16 {
    let mut i = 0;
    while i < BUILTINS.len() {
        let a = BUILTINS[i].name.as_bytes();
        let b = name.as_bytes();
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i as u16;
            }
        }
        i += 1;
    }
    panic!("not a built-in path")
}

const ID: u16 = builtin_slot("event.id");
const TYPE: u16 = builtin_slot("event.type");
const CASE_ID: u16 = builtin_slot("case.id");
const CONTACT_ID: u16 = builtin_slot("contact.id");

impl Event {
    /// `id`.
    pub fn id(&self) -> &str {
        self.text(ID)
    }

    /// `case.id`.
    pub fn case_id(&self) -> &str {
        self.text(CASE_ID)
    }

    /// `contact.id`.
    pub fn contact_id(&self) -> &str {
        self.text(CONTACT_ID)
    }

    /// The event type.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// The value of a slot (absent for a slot the event does not have).
    pub fn value(&self, slot: u16) -> &Value {
        self.slots.get(slot as usize).unwrap_or(&MISSING)
    }

    fn text(&self, slot: u16) -> &str {
        match self.value(slot) {
            Value::Text(s) => s,
            _ => "",
        }
    }
}

/// Why an event was rejected. `Display` names the field; the caller adds the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Not valid JSON, or not an object.
    Json(String),
    /// A required field is absent, `""` or `null`.
    Missing { field: String },
    /// A field holds a value of the wrong type.
    Invalid {
        field: String,
        expected: String,
        found: String,
    },
    /// `type` is not one of the six triggers.
    UnknownType { found: String },
}

impl EventError {
    /// The JSON path of the field at fault, if there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            EventError::Json(_) => None,
            EventError::Missing { field } | EventError::Invalid { field, .. } => Some(field),
            EventError::UnknownType { .. } => Some("type"),
        }
    }
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Json(e) => write!(f, "invalid event: {e}"),
            EventError::Missing { field } => {
                write!(f, "required field `{field}` is missing, empty or null")
            }
            EventError::Invalid {
                field,
                expected,
                found,
            } => write!(f, "field `{field}` must be {expected}, found `{found}`"),
            EventError::UnknownType { found } => write!(
                f,
                "unknown event type `{found}` in field `type` (expected one of {})",
                Trigger::ALL
                    .iter()
                    .map(|t| format!("`{}`", t.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl std::error::Error for EventError {}

/// Decodes one JSON event for a plan (its custom fields decide how those decode).
pub fn decode_event(plan: &Plan, json: &str) -> Result<Event, EventError> {
    match scan::decode(State::new(plan), json) {
        Some(state) => state.finish(),
        None => decode_with_serde(plan, json),
    }
}

/// The serde walk: any event the fast path leaves, and the errors' wording.
fn decode_with_serde(plan: &Plan, json: &str) -> Result<Event, EventError> {
    let mut state = State::new(plan);
    let walked = visit::walk(&mut state, json);
    if let Some(error) = state.error {
        return Err(error);
    }
    walked.map_err(|e| EventError::Json(e.to_string()))?;
    state.finish()
}

// A bit per built-in slot in `State::present` and `REQUIRED`.
const _: () = assert!(BUILTINS.len() <= 64);

/// Per trigger (`Trigger as usize`), a bit per built-in slot the event must carry.
static REQUIRED: LazyLock<[u64; Trigger::ALL.len()]> = LazyLock::new(|| {
    let mut masks = [0u64; Trigger::ALL.len()];
    for trigger in Trigger::ALL {
        for (slot, b) in BUILTINS.iter().enumerate() {
            let required = match b.emptiness {
                Emptiness::Never => true,
                Emptiness::RequiredUnder(t) => t == trigger,
                Emptiness::Maybe => false,
            };
            if required {
                masks[trigger as usize] |= 1 << slot;
            }
        }
    }
    masks
});

struct State<'p> {
    slots: Vec<Value>,
    error: Option<EventError>,
    /// The last leaf found not of its type, until `record` names it.
    mismatch: Option<Mismatch>,
    fields: &'p [FieldSpec],
    /// Bit per slot: kept (read by some rule). Slots past the mask are all kept.
    keep: [u64; 4],
    /// Bit per built-in slot: present and not empty (for the required-field check).
    present: u64,
}

/// A JSON object of the event: its known children.
struct Node {
    /// JSON path, for messages (`case.assigned_agent`); empty for the root.
    name: String,
    children: Vec<(&'static str, Child)>,
}

enum Child {
    /// A built-in leaf: its slot and type (kept here rather than looked up per leaf).
    Leaf(u16, ValueType),
    Object(Node),
    CustomFields,
}

static TREE: LazyLock<Node> = LazyLock::new(|| {
    let mut root = Node {
        name: String::new(),
        children: Vec::new(),
    };
    for (slot, b) in BUILTINS.iter().enumerate() {
        insert(&mut root, b.json, slot as u16);
    }
    if let Some((_, Child::Object(case))) = root.children.iter_mut().find(|c| c.0 == "case") {
        case.children.push(("custom_fields", Child::CustomFields));
    }
    root
});

impl Node {
    /// The child a key names (`None` for an unknown key).
    fn child(&self, key: &str) -> Option<&Child> {
        self.children
            .iter()
            .find(|c| same_key(c.0, key))
            .map(|c| &c.1)
    }
}

/// The declared custom field a key of `case.custom_fields` names.
fn field_index(fields: &[FieldSpec], key: &str) -> Option<usize> {
    fields.iter().position(|f| f.name == key)
}

fn insert(node: &mut Node, path: &'static [&'static str], slot: u16) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        let ty = ValueType::from(&BUILTINS[slot as usize].ty.to_type());
        node.children.push((first, Child::Leaf(slot, ty)));
        return;
    }
    let position = node.children.iter().position(|c| c.0 == *first);
    let index = position.unwrap_or_else(|| {
        let name = if node.name.is_empty() {
            first.to_string()
        } else {
            format!("{}.{first}", node.name)
        };
        node.children.push((
            first,
            Child::Object(Node {
                name,
                children: Vec::new(),
            }),
        ));
        node.children.len() - 1
    });
    if let Child::Object(child) = &mut node.children[index].1 {
        insert(child, rest, slot);
    }
}

/// Key equality without a `memcmp` call for keys of up to 16 bytes (every built-in
/// key): two overlapping fixed-size loads decide it, which the compiler inlines (3 % of
/// a decode on the fast path).
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.len() {
        n if n != b.len() => false,
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        4..=7 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        _ => a == b,
    }
}

impl<'p> State<'p> {
    /// Nothing seen yet; every slot absent.
    fn new(plan: &'p Plan) -> State<'p> {
        let mut keep = [0u64; 4];
        for &slot in plan
            .read_slots
            .iter()
            .chain(&[ID, TYPE, CASE_ID, CONTACT_ID])
        {
            if let Some(word) = keep.get_mut(slot as usize / 64) {
                *word |= 1 << (slot % 64);
            }
        }
        // Not `vec![Value::Missing; n]`: that clones through `Value`'s `Clone`, a match
        // per slot; writing the constant measured ~20 ns less per event.
        let count = BUILTINS.len() + plan.fields.len();
        let mut slots = Vec::with_capacity(count);
        slots.resize_with(count, || Value::Missing);
        State {
            slots,
            error: None,
            mismatch: None,
            fields: &plan.fields,
            keep,
            present: 0,
        }
    }

    /// The event, once the whole JSON was read without error: its type and required
    /// fields (spec §10) checked.
    fn finish(self) -> Result<Event, EventError> {
        let trigger = match &self.slots[TYPE as usize] {
            Value::Text(t) if !t.is_empty() => match Trigger::parse(t) {
                Some(trigger) => trigger,
                None => return Err(EventError::UnknownType { found: t.clone() }),
            },
            _ => {
                return Err(EventError::Missing {
                    field: "type".into(),
                })
            }
        };
        let missing = REQUIRED[trigger as usize] & !self.present;
        if missing != 0 {
            return Err(EventError::Missing {
                field: BUILTINS[missing.trailing_zeros() as usize].json.join("."),
            });
        }
        Ok(Event {
            trigger,
            slots: self.slots,
        })
    }

    /// Whether a slot's value is kept (some rule reads it) or only validated.
    fn keeps(&self, slot: usize) -> bool {
        self.keep
            .get(slot / 64)
            .is_none_or(|w| w & (1 << (slot % 64)) != 0)
    }

    /// The seed that decodes a slot's leaf: into the slot when it is kept.
    fn leaf<'a>(&'a mut self, slot: usize, ty: &'a ValueType) -> LeafSeed<'a> {
        let keep = self.keeps(slot);
        LeafSeed {
            ty,
            slot: if keep { self.slots.get_mut(slot) } else { None },
            mismatch: &mut self.mismatch,
        }
    }

    /// Notes whether a built-in leaf is present, or records the first type error
    /// (decoding goes on to the end of the JSON so a syntax error later in the line is
    /// not hidden behind it). A repeated key counts as its last value, as it is kept.
    fn record(&mut self, slot: usize, outcome: Outcome, name: impl FnOnce() -> String) {
        if outcome == Outcome::Bad && self.error.is_none() {
            if let Some(Mismatch { expected, found }) = self.mismatch.take() {
                self.error = Some(EventError::Invalid {
                    field: name(),
                    expected,
                    found,
                });
            }
        }
        if slot < 64 {
            let bit = 1u64 << slot;
            if outcome == Outcome::Present {
                self.present |= bit;
            } else {
                self.present &= !bit;
            }
        }
    }
}
