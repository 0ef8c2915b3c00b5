//! Lookup tables built once per check, so resolving a path costs one hash lookup and no
//! allocation, however many times rules read it.

use std::collections::{HashMap, HashSet};

use crate::schema::{Availability, Emptiness, Schema, Slot, Trigger, Type};

/// The schema in a form the checker can query cheaply.
pub(super) struct Env<'s> {
    pub schema: &'s Schema,
    /// Every readable path name, in slot order (for "did you mean").
    pub path_names: Vec<String>,
    slots: HashMap<String, Slot>,
    types: Vec<Type>,
    emptiness: Vec<Emptiness>,
    availability: Vec<Availability>,
    tags: HashSet<&'s str>,
    secrets: HashSet<&'s str>,
    /// `case.tags` and `event.tag`: literals compared with them are tag names.
    pub case_tags: Option<Slot>,
    pub event_tag: Option<Slot>,
}

impl<'s> Env<'s> {
    pub fn new(schema: &'s Schema) -> Env<'s> {
        let path_names = schema.path_names();
        let mut slots = HashMap::with_capacity(path_names.len());
        let mut types = Vec::with_capacity(path_names.len());
        let mut emptiness = Vec::with_capacity(path_names.len());
        let mut availability = Vec::with_capacity(path_names.len());
        for name in &path_names {
            if let Some(info) = schema.resolve(name) {
                slots.insert(name.clone(), info.slot);
                types.push(info.ty);
                emptiness.push(info.emptiness);
                availability.push(info.availability);
            }
        }
        let case_tags = slots.get("case.tags").copied();
        let event_tag = slots.get("event.tag").copied();
        Env {
            schema,
            path_names,
            slots,
            types,
            emptiness,
            availability,
            tags: schema.tags.iter().map(String::as_str).collect(),
            secrets: schema.secrets.iter().map(String::as_str).collect(),
            case_tags,
            event_tag,
        }
    }

    /// The slot of a dotted path, if the schema knows it.
    pub fn lookup(&self, path: &str) -> Option<Slot> {
        self.slots.get(path).copied()
    }

    pub fn ty(&self, slot: Slot) -> &Type {
        &self.types[slot.0 as usize]
    }

    pub fn name(&self, slot: Slot) -> &str {
        &self.path_names[slot.0 as usize]
    }

    pub fn availability(&self, slot: Slot) -> Availability {
        self.availability[slot.0 as usize]
    }

    /// Whether the path may be empty in an event of this trigger, before any condition.
    /// With an unknown trigger (already an error) trigger-dependent paths count as set,
    /// so the bad trigger causes no follow-on warnings.
    pub fn may_be_empty(&self, slot: Slot, trigger: Option<Trigger>) -> bool {
        match self.emptiness[slot.0 as usize] {
            Emptiness::Never => false,
            Emptiness::Maybe => true,
            Emptiness::RequiredUnder(t) => trigger.is_some_and(|trigger| trigger != t),
        }
    }

    pub fn emptiness(&self, slot: Slot) -> Emptiness {
        self.emptiness[slot.0 as usize]
    }

    /// Tags are checked only once some tag is declared.
    pub fn checks_tags(&self) -> bool {
        !self.tags.is_empty()
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains(tag)
    }

    pub fn has_secret(&self, name: &str) -> bool {
        self.secrets.contains(name)
    }
}
