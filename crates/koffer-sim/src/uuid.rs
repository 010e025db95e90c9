//! Uuids kept as 128-bit numbers.
//!
//! The device query pages by uuid order. The lower-case text of a uuid sorts exactly like its
//! number (hex digits and the dashes sit at fixed places), so devices live in maps keyed by the
//! number: ordered like the text, compact, and cheap to compare and hash.

use std::fmt;

use rand::Rng;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uuid(u128);

/// The 36 characters of a uuid, without a heap allocation.
#[derive(Debug, Clone, Copy)]
pub struct UuidText([u8; 36]);

const DASHES: [usize; 4] = [8, 13, 18, 23];

impl Uuid {
    /// A random (version 4) uuid.
    pub fn random(rng: &mut impl Rng) -> Uuid {
        let bits: u128 = rng.random();
        let version = (bits & !(0xF << 76)) | (0x4 << 76);
        let variant = (version & !(0b11 << 62)) | (0b10 << 62);
        Uuid(variant)
    }

    /// Reads a uuid in either case; `None` for anything else.
    pub fn parse(text: &str) -> Option<Uuid> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 || DASHES.iter().any(|&i| bytes[i] != b'-') {
            return None;
        }
        let mut value: u128 = 0;
        for (i, &byte) in bytes.iter().enumerate() {
            if DASHES.contains(&i) {
                continue;
            }
            let digit = (byte as char).to_digit(16)?;
            value = (value << 4) | u128::from(digit);
        }
        Some(Uuid(value))
    }

    /// The 128 bits, for draws about this uuid.
    pub fn bits(self) -> u128 {
        self.0
    }

    pub fn text(self) -> UuidText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 36];
        let mut shift = 128;
        for (i, slot) in out.iter_mut().enumerate() {
            if DASHES.contains(&i) {
                continue;
            }
            shift -= 4;
            *slot = HEX[((self.0 >> shift) & 0xF) as usize];
        }
        UuidText(out)
    }
}

impl UuidText {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a uuid's text is ASCII")
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

impl Serialize for Uuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text().as_str())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn text_order_is_number_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut uuids: Vec<Uuid> = (0..500).map(|_| Uuid::random(&mut rng)).collect();

        uuids.sort();
        let texts: Vec<String> = uuids.iter().map(Uuid::to_string).collect();

        assert!(
            texts.is_sorted(),
            "paging by uuid relies on the map order matching the text"
        );
    }

    #[test]
    fn parse_reads_back_the_text_in_either_case() {
        let uuid = Uuid::random(&mut ChaCha8Rng::seed_from_u64(1));

        let upper = uuid.to_string().to_uppercase();

        assert_eq!(
            Uuid::parse(&uuid.to_string()),
            Some(uuid),
            "the text must round-trip"
        );
        assert_eq!(
            Uuid::parse(&upper),
            Some(uuid),
            "hex digits may come in upper case"
        );
        assert_eq!(Uuid::parse("not-a-uuid"), None, "other text is no uuid");
    }

    #[test]
    fn random_uuids_are_version_4() {
        let text = Uuid::random(&mut ChaCha8Rng::seed_from_u64(3)).to_string();

        assert_eq!(&text[14..15], "4", "the version digit says random");
        assert!(
            "89ab".contains(&text[19..20]),
            "the variant bits say RFC 4122"
        );
    }
}
