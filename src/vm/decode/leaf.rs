//! One leaf of an event: checked against its declared type as either walk hands it over
//! (the serde visitor here, or [`super::scan`] calling the same methods), and kept only
//! when some rule reads it (so an unread string is never allocated).
//!
//! A kept value is written straight into its slot and the leaf returns a one-byte
//! [`Outcome`]: returning the value itself through serde's `Result` cost a large copy
//! (and a stalled load) per leaf, about a tenth of a decode.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::plan::ValueType;
use crate::vm::stamp::{is_rfc3339, parse_stamp};
use crate::vm::value::{write_number, Value};

/// What a leaf turned out to be (a kept value is already in its slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `null`, `""` or `[]`.
    Empty,
    /// Of the declared type and not empty.
    Present,
    /// Not of the declared type: the details are in [`LeafSeed::mismatch`].
    Bad,
}

/// A leaf that is not of its declared type.
#[derive(Debug)]
pub struct Mismatch {
    pub expected: String,
    pub found: String,
}

/// Decodes one leaf of type `ty`.
pub struct LeafSeed<'a> {
    pub ty: &'a ValueType,
    /// The slot to keep the value in when some rule reads it; `None` only validates.
    pub slot: Option<&'a mut Value>,
    /// Where a [`Outcome::Bad`] leaf says what it expected and found.
    pub mismatch: &'a mut Option<Mismatch>,
}

impl LeafSeed<'_> {
    fn bad(self, found: String) -> Outcome {
        *self.mismatch = Some(Mismatch {
            expected: self.ty.describe(),
            found,
        });
        Outcome::Bad
    }

    /// Keeps `value()` when the slot is wanted.
    fn keep(self, value: impl FnOnce() -> Value, outcome: Outcome) -> Outcome {
        if let Some(slot) = self.slot {
            *slot = value();
        }
        outcome
    }

    /// `""` is a present empty value for every type; an owned string is kept without a copy.
    pub(super) fn text(self, text: Cow<'_, str>) -> Outcome {
        if text.is_empty() {
            return self.keep(|| Value::Text(String::new()), Outcome::Empty);
        }
        let quoted = |v: &str| serde_json::to_string(v).unwrap_or_default();
        match self.ty {
            ValueType::Text => self.keep(|| Value::Text(text.into_owned()), Outcome::Present),
            ValueType::OneOf(options) if options.iter().any(|o| *o == *text) => {
                self.keep(|| Value::Text(text.into_owned()), Outcome::Present)
            }
            ValueType::Timestamp if self.slot.is_some() => match parse_stamp(&text) {
                Some(stamp) => self.keep(|| Value::Time(stamp), Outcome::Present),
                None => self.bad(quoted(&text)),
            },
            ValueType::Timestamp if is_rfc3339(&text) => Outcome::Present,
            _ => self.bad(quoted(&text)),
        }
    }

    pub(super) fn number(self, n: f64) -> Outcome {
        match self.ty {
            ValueType::Number => self.keep(|| Value::Number(n), Outcome::Present),
            _ => {
                let mut found = String::new();
                write_number(&mut found, n);
                self.bad(found)
            }
        }
    }

    /// `null`: absent.
    pub(super) fn null(self) -> Outcome {
        self.keep(|| Value::Missing, Outcome::Empty)
    }

    pub(super) fn boolean(self, v: bool) -> Outcome {
        match self.ty {
            ValueType::Bool => self.keep(|| Value::Bool(v), Outcome::Present),
            _ => self.bad(v.to_string()),
        }
    }

    /// An array of `count` items: `items` holds them when all are text and the slot is
    /// kept (see [`LeafSeed::keeps_items`]).
    pub(super) fn list(self, items: Vec<String>, count: usize, all_text: bool) -> Outcome {
        let outcome = if count == 0 {
            Outcome::Empty
        } else {
            Outcome::Present
        };
        match (matches!(self.ty, ValueType::ListOfText), all_text) {
            (true, true) => self.keep(|| Value::List(items), outcome),
            (true, false) => self.bad("an array of items that are not all text".into()),
            (false, _) => self.bad("an array".into()),
        }
    }

    /// Whether an array's text items are wanted (a kept list).
    pub(super) fn keeps_items(&self) -> bool {
        self.slot.is_some() && matches!(self.ty, ValueType::ListOfText)
    }
}

impl<'de> DeserializeSeed<'de> for LeafSeed<'_> {
    type Value = Outcome;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Outcome, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed<'_> {
    type Value = Outcome;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Outcome, E> {
        Ok(self.null())
    }
    fn visit_none<E>(self) -> Result<Outcome, E> {
        Ok(self.null())
    }
    fn visit_bool<E>(self, v: bool) -> Result<Outcome, E> {
        Ok(self.boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Outcome, E> {
        Ok(self.number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Outcome, E> {
        Ok(self.number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Outcome, E> {
        Ok(self.number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Outcome, E> {
        Ok(self.text(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Outcome, E> {
        Ok(self.text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Outcome, A::Error> {
        let keep = self.keeps_items();
        let mut items = Vec::new();
        let mut count = 0;
        let mut all_text = true;
        while let Some(item) = seq.next_element_seed(ItemSeed { keep })? {
            count += 1;
            match item {
                Item::Text(Some(s)) => items.push(s),
                Item::Text(None) => {}
                Item::Other => all_text = false,
            }
        }
        Ok(self.list(items, count, all_text))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Outcome, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.bad("an object".into()))
    }
}

/// One item of a list: text (kept or not) or anything else.
enum Item {
    Text(Option<String>),
    Other,
}

struct ItemSeed {
    keep: bool,
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Item, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = Item;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a list item")
    }
    fn visit_str<E>(self, v: &str) -> Result<Item, E> {
        Ok(Item::Text(self.keep.then(|| v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Item, E> {
        Ok(Item::Text(self.keep.then_some(v)))
    }
    fn visit_unit<E>(self) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Item, E> {
        Ok(Item::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Item, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Item::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Item::Other)
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
