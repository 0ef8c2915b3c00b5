//! Decoding one JSON event into slots, once, for every rule to share.
//!
//! A serde visitor walks the event along a static tree of the built-in paths (plus the
//! plan's custom fields) and writes each known leaf straight into its slot; unknown
//! fields are skipped without being built. Then the event type and the required fields
//! (spec §10) are checked.

use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::value::{Stamp, Value};
use crate::plan::{FieldSpec, Plan, ValueType};
use crate::schema::{Emptiness, Trigger, BUILTINS};

/// A decoded event: its trigger and one value per slot.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    trigger: Trigger,
    slots: Vec<Value>,
}

static MISSING: Value = Value::Missing;

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
    let mut state = State {
        slots: vec![Value::Missing; BUILTINS.len() + plan.fields.len()],
        error: None,
        fields: &plan.fields,
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
    for (i, b) in BUILTINS.iter().enumerate() {
        let required = match b.emptiness {
            Emptiness::Never => true,
            Emptiness::RequiredUnder(t) => t == trigger,
            Emptiness::Maybe => false,
        };
        if required && state.slots[i].is_empty() {
            return Err(EventError::Missing {
                field: b.json.join("."),
            });
        }
    }
    Ok(Event {
        trigger,
        slots: state.slots,
    })
}

struct State<'p> {
    slots: Vec<Value>,
    error: Option<EventError>,
    fields: &'p [FieldSpec],
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
                    let raw: Raw = map.next_value()?;
                    let ty = &BUILTIN_TYPES[*slot as usize];
                    let name = || BUILTINS[*slot as usize].json.join(".");
                    self.state.set(*slot as usize, raw, ty, name);
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
        Ok(self.0.children.iter().find(|c| c.0 == key).map(|c| &c.1))
    }
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
                    let raw: Raw = map.next_value()?;
                    let name = || format!("case.custom_fields.{}", fields[i].name);
                    self.state.set(BUILTINS.len() + i, raw, &fields[i].ty, name);
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
    /// Stores a leaf, or records the first type error (decoding goes on to the end of
    /// the JSON so a syntax error later in the line is not hidden behind it).
    fn set(&mut self, slot: usize, raw: Raw, ty: &ValueType, name: impl FnOnce() -> String) {
        match convert(raw, ty) {
            Ok(value) => {
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = value;
                }
            }
            Err((expected, found)) => {
                if self.error.is_none() {
                    self.error = Some(EventError::Invalid {
                        field: name(),
                        expected,
                        found,
                    });
                }
            }
        }
    }
}

/// A leaf as JSON gave it.
enum Raw {
    Null,
    Str(String),
    Num(f64),
    Bool(bool),
    List(Vec<String>),
    /// An object, or an array holding something other than strings.
    Other(&'static str),
}

impl Raw {
    fn show(&self) -> String {
        match self {
            Raw::Null => "null".into(),
            Raw::Str(s) => serde_json::to_string(s).unwrap_or_default(),
            Raw::Num(n) => {
                let mut s = String::new();
                super::value::write_number(&mut s, *n);
                s
            }
            Raw::Bool(b) => b.to_string(),
            Raw::List(items) => serde_json::to_string(items).unwrap_or_default(),
            Raw::Other(what) => what.to_string(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        let mut all_text = true;
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            match item {
                serde_json::Value::String(s) => items.push(s),
                _ => all_text = false,
            }
        }
        Ok(if all_text {
            Raw::List(items)
        } else {
            Raw::Other("an array of items that are not all text")
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Raw::Other("an object"))
    }
}

/// A raw leaf as the declared type; `Err((expected, found))` when it does not fit.
/// `null` is absent and `""` is a present empty value, for every type.
fn convert(raw: Raw, ty: &ValueType) -> Result<Value, (String, String)> {
    let mismatch = |raw: &Raw, expected: &str| Err((expected.to_string(), raw.show()));
    match (raw, ty) {
        (Raw::Null, _) => Ok(Value::Missing),
        (Raw::Str(s), ValueType::Text) => Ok(Value::Text(s)),
        (Raw::Str(s), ValueType::OneOf(options)) => {
            if s.is_empty() || options.contains(&s) {
                Ok(Value::Text(s))
            } else {
                mismatch(&Raw::Str(s), &ValueType::OneOf(options.clone()).describe())
            }
        }
        (Raw::Str(s), ValueType::Timestamp) if s.is_empty() => Ok(Value::Text(s)),
        (Raw::Str(s), ValueType::Timestamp) => match parse_stamp(&s) {
            Some(stamp) => Ok(Value::Time(stamp)),
            None => mismatch(&Raw::Str(s), "an RFC 3339 timestamp"),
        },
        (Raw::Str(s), ValueType::Number | ValueType::Bool | ValueType::ListOfText)
            if s.is_empty() =>
        {
            Ok(Value::Text(s))
        }
        (Raw::Num(n), ValueType::Number) => Ok(Value::Number(n)),
        (Raw::Bool(b), ValueType::Bool) => Ok(Value::Bool(b)),
        (Raw::List(items), ValueType::ListOfText) => Ok(Value::List(items)),
        (raw, ty) => mismatch(&raw, &ty.describe()),
    }
}

impl ValueType {
    /// "a number", "text", ... for messages.
    pub fn describe(&self) -> String {
        match self {
            ValueType::Text => "text".into(),
            ValueType::Number => "a number".into(),
            ValueType::Bool => "`true` or `false`".into(),
            ValueType::Timestamp => "an RFC 3339 timestamp".into(),
            ValueType::ListOfText => "a list of text".into(),
            ValueType::OneOf(v) => {
                let quoted: Vec<String> = v.iter().map(|s| format!("\"{s}\"")).collect();
                format!("one of {}", quoted.join(", "))
            }
        }
    }
}

/// Parses RFC 3339 and renders it once in UTC with `Z` (kept as is when it already is).
pub fn parse_stamp(s: &str) -> Option<Stamp> {
    if let Some(nanos) = fast_utc_seconds(s) {
        return Some(Stamp {
            nanos,
            text: s.to_string(),
        });
    }
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let nanos = t
        .timestamp()
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(t.timestamp_subsec_nanos()));
    let canonical = s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z');
    let text = if canonical {
        s.to_string()
    } else {
        t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    };
    Some(Stamp { nanos, text })
}

/// The common case, `YYYY-MM-DDTHH:MM:SSZ` (already canonical), without chrono: events
/// carry several timestamps and this is most of a decode's time otherwise. Anything else
/// (offsets, fractions, leap seconds) returns `None` and goes through chrono.
fn fast_utc_seconds(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    // Saturating like the chrono path: past 2262 the instant no longer fits in i64 nanos.
    Some(secs.saturating_mul(1_000_000_000))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
