//! A JSON value that borrows its text from the line it was decoded from.
//!
//! `--normalise` decodes records with serde into these types (and into the
//! derived structs of `windows.rs`), so that a string without escapes is a
//! slice of the line, not a copy. serde's own `Cow<str>` always copies when it
//! is decoded through `MapAccess` by hand, hence `Text`.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A string of the record: borrowed from the line unless it had escapes.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'a> Text<'a> {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E>(self, text: String) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

/// Any JSON value; also the value type of the normalised fields.
#[derive(Debug, Clone, PartialEq)]
pub enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    List(Vec<V<'a>>),
    Obj(Flat<'a>),
}

impl<'a> V<'a> {
    /// The text of a string value.
    pub fn str(&self) -> Option<&str> {
        match self {
            V::Str(text) => Some(text),
            _ => None,
        }
    }

    /// A string that is not empty, nor Windows' "-" for "no value".
    pub fn text(&self) -> Option<&str> {
        self.str().filter(|text| !text.is_empty() && *text != "-")
    }

    /// An integer, from a JSON number or decimal text (Windows writes both).
    pub fn int(&self) -> Option<i64> {
        match self {
            V::Int(n) => Some(*n),
            V::UInt(n) => i64::try_from(*n).ok(),
            V::Str(text) => text.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A JSON object as its (key, value) pairs in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flat<'a>(pub Vec<(Cow<'a, str>, V<'a>)>);

impl<'a> Flat<'a> {
    pub fn get(&self, key: &str) -> Option<&V<'a>> {
        self.0.iter().find(|(name, _)| name == key).map(|(_, value)| value)
    }
}

struct ValueVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
    type Value = V<'a>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_bool<E>(self, value: bool) -> Result<V<'a>, E> {
        Ok(V::Bool(value))
    }
    fn visit_i64<E>(self, value: i64) -> Result<V<'a>, E> {
        Ok(V::Int(value))
    }
    fn visit_u64<E>(self, value: u64) -> Result<V<'a>, E> {
        Ok(match i64::try_from(value) {
            Ok(value) => V::Int(value),
            Err(_) => V::UInt(value),
        })
    }
    fn visit_f64<E>(self, value: f64) -> Result<V<'a>, E> {
        Ok(V::Float(value))
    }
    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<V<'a>, E> {
        Ok(V::Str(Cow::Borrowed(text)))
    }
    fn visit_str<E>(self, text: &str) -> Result<V<'a>, E> {
        Ok(V::Str(Cow::Owned(text.to_owned())))
    }
    fn visit_string<E>(self, text: String) -> Result<V<'a>, E> {
        Ok(V::Str(Cow::Owned(text)))
    }
    fn visit_unit<E>(self) -> Result<V<'a>, E> {
        Ok(V::Null)
    }
    fn visit_none<E>(self) -> Result<V<'a>, E> {
        Ok(V::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V<'a>, D::Error> {
        V::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V<'a>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(V::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V<'a>, A::Error> {
        FlatVisitor(PhantomData).visit_map(map).map(V::Obj)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for V<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor(PhantomData))
    }
}

struct FlatVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FlatVisitor<'a> {
    type Value = Flat<'a>;
    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flat<'a>, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(Text(key)) = map.next_key::<Text<'a>>()? {
            pairs.push((key, map.next_value()?));
        }
        Ok(Flat(pairs))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Flat<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FlatVisitor(PhantomData))
    }
}

impl Serialize for V<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            V::Null => serializer.serialize_unit(),
            V::Bool(value) => serializer.serialize_bool(*value),
            V::Int(value) => serializer.serialize_i64(*value),
            V::UInt(value) => serializer.serialize_u64(*value),
            V::Float(value) => serializer.serialize_f64(*value),
            V::Str(text) => serializer.serialize_str(text),
            V::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            V::Obj(flat) => flat.serialize(serializer),
        }
    }
}

impl Serialize for Flat<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key.as_ref(), value)?;
        }
        map.end()
    }
}
