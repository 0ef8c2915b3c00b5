//! The fast path of decoding: one pass over the JSON bytes along the event tree, with no
//! serde visitor in between.
//!
//! It takes the shape events have: strings (escapes decoded as serde_json decodes them),
//! numbers, `null`, `true`/`false`, lists of text, and unknown fields of any shape. On
//! anything else (an escaped key, a lone surrogate in a string it reads, a value of the
//! wrong type, nesting past [`MAX_DEPTH`], invalid JSON) it gives up and returns `None`,
//! and the serde walk ([`super::visit`]) decodes the event from the start and words the
//! error. So it only accepts what the serde walk accepts, into the same slots: the leaves
//! go through the same [`LeafSeed`], numbers are converted by `serde_json` itself, and
//! tests compare both paths on generated, troubled and mangled events.
//!
//! Why it exists: through serde's visitors a decode took 2.4 times as long as serde_json
//! skipping the same event (docs/benchmarks.md).

use std::borrow::Cow;

use super::leaf::{LeafSeed, Outcome};
use super::{field_index, Child, Node, State, BUILTINS, TREE};

/// Nesting deeper than this is left to the serde walk.
const MAX_DEPTH: u32 = 64;

/// Decodes `json` into `state`, or `None` when the serde walk has to do it.
pub(super) fn decode<'p>(mut state: State<'p>, json: &str) -> Option<State<'p>> {
    let mut scanner = Scanner {
        text: json,
        pos: 0,
        depth: 0,
    };
    scanner.skip_whitespace();
    scanner.expect(b'{')?;
    scanner.object(&TREE, &mut state)?;
    scanner.skip_whitespace();
    (scanner.pos == scanner.text.len()).then_some(state)
}

struct Scanner<'j> {
    text: &'j str,
    pos: usize,
    depth: u32,
}

/// A string's contents as the scanner found them.
enum Str<'j> {
    /// No escapes: the text between the quotes.
    Plain(&'j str),
    /// With escapes (each checked, `\u`'s four hex digits too): the raw text between the
    /// quotes, for [`unescape`].
    Escaped(&'j str),
}

impl<'j> Scanner<'j> {
    #[inline(always)]
    fn bytes(&self) -> &'j [u8] {
        self.text.as_bytes()
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Some(byte)
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.pos += usize::from(found);
        found
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    #[inline(always)]
    fn skip_whitespace(&mut self) {
        // A local position: updating `self.pos` per byte measured slower.
        let mut pos = self.pos;
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes().get(pos) {
            pos += 1;
        }
        self.pos = pos;
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let found = self.bytes().get(self.pos..self.pos + word.len())? == word;
        self.pos += word.len();
        found.then_some(())
    }

    /// An object's members after its `{`, each handed to `member` with the scanner at
    /// the start of its value.
    fn members(&mut self, mut member: impl FnMut(&mut Self, &'j str) -> Option<()>) -> Option<()> {
        self.items(b'}', |s| {
            s.expect(b'"')?;
            let Str::Plain(key) = s.string()? else {
                return None;
            };
            s.skip_whitespace();
            s.expect(b':')?;
            s.skip_whitespace();
            member(s, key)
        })
    }

    /// The comma-separated items of an object or an array, after its opening bracket
    /// and up to `close`; each is handed to `item` at its start.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.enter()?;
        self.skip_whitespace();
        if !self.eat(close) {
            loop {
                self.skip_whitespace();
                item(self)?;
                self.skip_whitespace();
                match self.next()? {
                    b',' => {}
                    byte if byte == close => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    #[inline(always)]
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A string to be read, after its opening quote.
    #[inline(always)]
    fn string(&mut self) -> Option<Str<'j>> {
        let start = self.pos;
        let escaped = self.skip_string()?;
        let raw = self.text.get(start..self.pos - 1)?;
        Some(if escaped {
            Str::Escaped(raw)
        } else {
            Str::Plain(raw)
        })
    }

    /// A string after its opening quote, checked as serde_json checks one it skips, and
    /// skipped; whether it had escapes.
    #[inline(always)]
    fn skip_string(&mut self) -> Option<bool> {
        const ONES: u64 = u64::MAX / 255;
        let mut escaped = false;
        loop {
            // Eight bytes at a time, as serde_json does it. A byte below 0x20, or equal
            // to `"` or `\`, borrows in its subtraction; `!word` keeps the bytes below
            // 0x80 (the high bit of `word ^ b` is `word`'s for ASCII `b`). A borrow only
            // reaches bytes above a match, so the lowest bit set is the first match.
            if let Some(chunk) = self.bytes().get(self.pos..)?.first_chunk::<8>() {
                let word = u64::from_le_bytes(*chunk);
                let control = word.wrapping_sub(ONES * 0x20);
                let quote = (word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
                let backslash = (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
                let found = (control | quote | backslash) & !word & (ONES << 7);
                if found == 0 {
                    self.pos += 8;
                    continue;
                }
                self.pos += (found.trailing_zeros() / 8) as usize;
            }
            match self.next()? {
                b'"' => return Some(escaped),
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                // A control character, which JSON strings may not hold.
                byte if byte < 0x20 => return None,
                _ => {}
            }
        }
    }

    /// The rest of an escape after its backslash.
    #[inline(always)]
    fn escape(&mut self) -> Option<()> {
        match self.next()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let hex = self.bytes().get(self.pos..self.pos + 4)?;
                self.pos += 4;
                hex.iter().all(u8::is_ascii_hexdigit).then_some(())
            }
            _ => None,
        }
    }

    /// A number in JSON's grammar; its text.
    fn number(&mut self) -> Option<&'j str> {
        let start = self.pos;
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.skip_digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.digits()?;
        }
        self.text.get(start..self.pos)
    }

    #[inline(always)]
    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// At least one digit.
    #[inline(always)]
    fn digits(&mut self) -> Option<()> {
        let start = self.pos;
        self.skip_digits();
        (self.pos > start).then_some(())
    }

    /// Any value, checked as serde's `IgnoredAny` checks it, and skipped.
    fn skip_value(&mut self) -> Option<()> {
        match self.next()? {
            b'"' => self.skip_string().map(drop),
            b'{' => self.members(|s, _| s.skip_value()),
            b'[' => self.items(b']', Self::skip_value),
            b'n' => self.literal(b"ull"),
            b't' => self.literal(b"rue"),
            b'f' => self.literal(b"alse"),
            b'-' | b'0'..=b'9' => {
                self.pos -= 1;
                self.number().map(drop)
            }
            _ => None,
        }
    }

    /// The members of an object of the event tree, after its `{`.
    fn object(&mut self, node: &'static Node, state: &mut State<'_>) -> Option<()> {
        self.members(|s, key| match node.child(key) {
            Some(Child::Leaf(slot, ty)) => {
                let slot = *slot as usize;
                let outcome = s.leaf(state.leaf(slot, ty))?;
                state.record(slot, outcome, String::new);
                Some(())
            }
            Some(Child::Object(child)) => match s.next()? {
                b'{' => s.object(child, state),
                // `null` reads as absent, as in the serde walk.
                b'n' => s.literal(b"ull"),
                _ => None,
            },
            Some(Child::CustomFields) => match s.next()? {
                b'{' => s.custom_fields(state),
                b'n' => s.literal(b"ull"),
                _ => None,
            },
            None => s.skip_value(),
        })
    }

    /// `case.custom_fields` after its `{`: declared fields by their type, others skipped.
    fn custom_fields(&mut self, state: &mut State<'_>) -> Option<()> {
        let fields = state.fields;
        self.members(|s, key| match field_index(fields, key) {
            Some(i) => {
                let slot = BUILTINS.len() + i;
                let outcome = s.leaf(state.leaf(slot, &fields[i].ty))?;
                state.record(slot, outcome, String::new);
                Some(())
            }
            None => s.skip_value(),
        })
    }

    /// One leaf through the serde walk's own [`LeafSeed`]; `None` for a value of the
    /// wrong type too (the serde walk words that error).
    fn leaf(&mut self, seed: LeafSeed<'_>) -> Option<Outcome> {
        let outcome = match self.next()? {
            b'"' => match self.string()? {
                Str::Plain(text) => seed.text(Cow::Borrowed(text)),
                Str::Escaped(raw) => seed.text(Cow::Owned(unescape(raw)?)),
            },
            b'[' => self.list(seed)?,
            b'n' => {
                self.literal(b"ull")?;
                seed.null()
            }
            b't' => {
                self.literal(b"rue")?;
                seed.boolean(true)
            }
            b'f' => {
                self.literal(b"alse")?;
                seed.boolean(false)
            }
            b'-' | b'0'..=b'9' => {
                self.pos -= 1;
                // serde_json's own conversion, so the value is the one the walk gets.
                let number = serde_json::from_str(self.number()?).ok()?;
                seed.number(number)
            }
            _ => return None,
        };
        (outcome != Outcome::Bad).then_some(outcome)
    }

    /// A list leaf after its `[`: text items only.
    fn list(&mut self, seed: LeafSeed<'_>) -> Option<Outcome> {
        let keep = seed.keeps_items();
        let mut items = Vec::new();
        let mut count = 0;
        self.items(b']', |s| {
            s.expect(b'"')?;
            // Decoded even when not kept: a lone surrogate rejects the event.
            let item = match s.string()? {
                Str::Plain(item) => Cow::Borrowed(item),
                Str::Escaped(raw) => Cow::Owned(unescape(raw)?),
            };
            if keep {
                items.push(item.into_owned());
            }
            count += 1;
            Some(())
        })?;
        Some(seed.list(items, count, true))
    }
}

/// The text of a string with escapes, from its raw contents, as serde_json decodes it
/// when it reads one; `None` where serde_json fails (a lone surrogate), for the serde walk
/// to report.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(rest.get(..at)?);
        let escape = rest.get(at + 1..)?;
        let (decoded, length) = match escape.as_bytes().first()? {
            b'"' => ('"', 1),
            b'\\' => ('\\', 1),
            b'/' => ('/', 1),
            b'b' => ('\u{8}', 1),
            b'f' => ('\u{c}', 1),
            b'n' => ('\n', 1),
            b'r' => ('\r', 1),
            b't' => ('\t', 1),
            b'u' => unicode_escape(escape)?,
            _ => return None,
        };
        out.push(decoded);
        rest = escape.get(length..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// A `uXXXX` escape (after its backslash), or a surrogate pair `uXXXX\uXXXX`: the character
/// and the escape's length. `None` for a surrogate that is not part of a pair.
fn unicode_escape(escape: &str) -> Option<(char, usize)> {
    let hex = |at: usize| {
        let digits = escape.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    match hex(1)? {
        first @ 0xD800..=0xDBFF => {
            if escape.get(5..7)? != "\\u" {
                return None;
            }
            let second = hex(7)?;
            if !(0xDC00..=0xDFFF).contains(&second) {
                return None;
            }
            let code = 0x1_0000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            Some((char::from_u32(code)?, 11))
        }
        // A lone trailing surrogate is no `char` either.
        code => Some((char::from_u32(code)?, 5)),
    }
}
