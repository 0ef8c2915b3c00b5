//! One leaf of an event: checked against its declared type as serde hands it over, and
//! kept only when some rule reads it (so an unread string is never allocated).

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::stamp::{is_rfc3339, parse_stamp};
use super::value::{write_number, Value};
use crate::plan::ValueType;

/// What a leaf decoded to.
pub enum Leaf {
    /// Kept in its slot (`Value::Missing` for `null`).
    Value(Value),
    /// Valid, but no rule reads it: only whether it is empty is remembered.
    Seen { empty: bool },
    /// Not of the declared type.
    Bad { expected: String, found: String },
}

/// Decodes one leaf of type `ty`.
pub struct LeafSeed<'t> {
    pub ty: &'t ValueType,
    pub keep: bool,
}

impl LeafSeed<'_> {
    fn bad(&self, found: String) -> Leaf {
        Leaf::Bad {
            expected: self.ty.describe(),
            found,
        }
    }

    fn kept(&self, value: impl FnOnce() -> Value, empty: bool) -> Leaf {
        if self.keep {
            Leaf::Value(value())
        } else {
            Leaf::Seen { empty }
        }
    }

    /// `""` is a present empty value for every type; an owned string is kept without a copy.
    fn text(&self, text: Cow<'_, str>) -> Leaf {
        let v: &str = &text;
        let quoted = || serde_json::to_string(v).unwrap_or_default();
        let own = || text.clone().into_owned();
        if v.is_empty() {
            return self.kept(|| Value::Text(String::new()), true);
        }
        match self.ty {
            ValueType::Text => self.kept(|| Value::Text(own()), false),
            ValueType::OneOf(options) if options.iter().any(|o| o == v) => {
                self.kept(|| Value::Text(own()), false)
            }
            ValueType::Timestamp if self.keep => match parse_stamp(v) {
                Some(stamp) => Leaf::Value(Value::Time(stamp)),
                None => self.bad(quoted()),
            },
            ValueType::Timestamp if is_rfc3339(v) => Leaf::Seen { empty: false },
            _ => self.bad(quoted()),
        }
    }

    fn number(&self, n: f64) -> Leaf {
        match self.ty {
            ValueType::Number => self.kept(|| Value::Number(n), false),
            _ => {
                let mut found = String::new();
                write_number(&mut found, n);
                self.bad(found)
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Leaf, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LeafSeed<'_> {
    type Value = Leaf;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Leaf, E> {
        Ok(Leaf::Value(Value::Missing))
    }
    fn visit_none<E>(self) -> Result<Leaf, E> {
        Ok(Leaf::Value(Value::Missing))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Leaf, E> {
        Ok(match self.ty {
            ValueType::Bool => self.kept(|| Value::Bool(v), false),
            _ => self.bad(v.to_string()),
        })
    }
    fn visit_i64<E>(self, v: i64) -> Result<Leaf, E> {
        Ok(self.number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Leaf, E> {
        Ok(self.number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Leaf, E> {
        Ok(self.number(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Leaf, E> {
        Ok(self.text(Cow::Borrowed(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Leaf, E> {
        Ok(self.text(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leaf, A::Error> {
        let list = matches!(self.ty, ValueType::ListOfText);
        let mut items = Vec::new();
        let mut count = 0;
        let mut all_text = true;
        while let Some(item) = seq.next_element_seed(ItemSeed {
            keep: self.keep && list,
        })? {
            count += 1;
            match item {
                Item::Text(Some(s)) => items.push(s),
                Item::Text(None) => {}
                Item::Other => all_text = false,
            }
        }
        Ok(match (list, all_text) {
            (true, true) => self.kept(|| Value::List(items), count == 0),
            (true, false) => self.bad("an array of items that are not all text".into()),
            (false, _) => self.bad("an array".into()),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Leaf, A::Error> {
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
