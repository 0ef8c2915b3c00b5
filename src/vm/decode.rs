//! Decoding one JSON event into slots, once, for every rule to share.
//!
//! A serde visitor walks the event along a static tree of the built-in paths (plus the
//! plan's custom fields) and writes each known leaf straight into its slot; unknown
//! fields are skipped without being built. Then the event type and the required fields
//! (spec §10) are checked.

use std::sync::LazyLock;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::leaf::{Leaf, LeafSeed};
use super::value::Value;
use crate::plan::{FieldSpec, Plan, ValueType};
use crate::schema::{Emptiness, Trigger, BUILTINS};

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
    let mut state = State {
        slots: vec![Value::Missing; BUILTINS.len() + plan.fields.len()],
        error: None,
        fields: &plan.fields,
        keep,
        present: 0,
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = ObjectSeed {
        node: &TREE,
        state: &mut state,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Some(error) = state.error {
        return Err(error);
    }
    parsed.map_err(|e| EventError::Json(e.to_string()))?;
    let trigger = match &state.slots[TYPE as usize] {
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
    let missing = REQUIRED[trigger as usize] & !state.present;
    if missing != 0 {
        return Err(EventError::Missing {
            field: BUILTINS[missing.trailing_zeros() as usize].json.join("."),
        });
    }
    Ok(Event {
        trigger,
        slots: state.slots,
    })
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
    Leaf(u16),
    Object(Node),
    CustomFields,
}

/// The built-in types as [`ValueType`]s, by slot.
static BUILTIN_TYPES: LazyLock<Vec<ValueType>> = LazyLock::new(|| {
    BUILTINS
        .iter()
        .map(|b| ValueType::from(&b.ty.to_type()))
        .collect()
});

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

fn insert(node: &mut Node, path: &'static [&'static str], slot: u16) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        node.children.push((first, Child::Leaf(slot)));
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

struct ObjectSeed<'s, 'p> {
    node: &'static Node,
    state: &'s mut State<'p>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.node.name.is_empty() {
            write!(f, "an event object")
        } else {
            write!(f, "an object in field `{}`", self.node.name)
        }
    }

    /// A `null` object reads as absent: its fields are checked as missing.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(KeySeed(self.node))? {
            match child {
                Some(Child::Leaf(slot)) => {
                    let slot = *slot as usize;
                    let ty = &BUILTIN_TYPES[slot];
                    let keep = self.state.keeps(slot);
                    let leaf = map.next_value_seed(LeafSeed { ty, keep })?;
                    let name = || BUILTINS[slot].json.join(".");
                    self.state.set(slot, leaf, name);
                }
                Some(Child::Object(node)) => map.next_value_seed(ObjectSeed {
                    node,
                    state: &mut *self.state,
                })?,
                Some(Child::CustomFields) => map.next_value_seed(CustomSeed {
                    state: &mut *self.state,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads a key and finds the child it names (`None` for an unknown key).
struct KeySeed(&'static Node);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<&'static Child>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<&'static Child>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self
            .0
            .children
            .iter()
            .find(|c| same_key(c.0, key))
            .map(|c| &c.1))
    }
}

/// Key equality, first byte first: most candidates differ there, which skips a `memcmp`.
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// `case.custom_fields`: declared fields decode by their type, others are skipped.
struct CustomSeed<'s, 'p> {
    state: &'s mut State<'p>,
}

impl<'de> DeserializeSeed<'de> for CustomSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CustomSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object in field `case.custom_fields`")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let fields = self.state.fields;
        while let Some(index) = map.next_key_seed(FieldKeySeed(fields))? {
            match index {
                Some(i) => {
                    let slot = BUILTINS.len() + i;
                    let keep = self.state.keeps(slot);
                    let leaf = map.next_value_seed(LeafSeed {
                        ty: &fields[i].ty,
                        keep,
                    })?;
                    let name = || format!("case.custom_fields.{}", fields[i].name);
                    self.state.set(slot, leaf, name);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct FieldKeySeed<'p>(&'p [FieldSpec]);

impl<'de> DeserializeSeed<'de> for FieldKeySeed<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldKeySeed<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a custom field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|f| f.name == key))
    }
}

impl State<'_> {
    /// Whether a slot's value is kept (some rule reads it) or only validated.
    fn keeps(&self, slot: usize) -> bool {
        self.keep
            .get(slot / 64)
            .is_none_or(|w| w & (1 << (slot % 64)) != 0)
    }

    /// Stores a leaf, or records the first type error (decoding goes on to the end of
    /// the JSON so a syntax error later in the line is not hidden behind it).
    fn set(&mut self, slot: usize, leaf: Leaf, name: impl FnOnce() -> String) {
        let non_empty = match leaf {
            Leaf::Value(value) => {
                let non_empty = !value.is_empty();
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = value;
                }
                non_empty
            }
            Leaf::Seen { empty } => !empty,
            Leaf::Bad { expected, found } => {
                if self.error.is_none() {
                    self.error = Some(EventError::Invalid {
                        field: name(),
                        expected,
                        found,
                    });
                }
                false
            }
        };
        if non_empty && slot < 64 {
            self.present |= 1 << slot;
        }
    }
}
