//! The serde walk over an event: exact for every valid JSON text and the source of the
//! error message for an invalid one ([`super::scan`] hands anything unusual here).

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

use super::{field_index, Child, Node, State, BUILTINS, TREE};
use crate::plan::FieldSpec;

/// Walks the whole JSON text into `state`; type errors are left in `state.error`.
pub(super) fn walk(state: &mut State<'_>, json: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    ObjectSeed { node: &TREE, state }.deserialize(&mut de)?;
    de.end()
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
                Some(Child::Leaf(slot, ty)) => {
                    let slot = *slot as usize;
                    let state = &mut *self.state;
                    let outcome = map.next_value_seed(state.leaf(slot, ty))?;
                    state.record(slot, outcome, || BUILTINS[slot].json.join("."));
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
        Ok(self.0.child(key))
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
                    let slot = BUILTINS.len() + i;
                    let state = &mut *self.state;
                    let outcome = map.next_value_seed(state.leaf(slot, &fields[i].ty))?;
                    state.record(slot, outcome, || {
                        format!("case.custom_fields.{}", fields[i].name)
                    });
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
        Ok(field_index(self.0, key))
    }
}
