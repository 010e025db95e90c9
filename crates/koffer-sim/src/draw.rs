//! Draws that depend only on the seed and on what they are about (a device, an action, an
//! attempt), never on the order requests arrive in.
//!
//! Churn and faults draw from ChaCha streams, which is fine for background noise. A device's
//! check-in interval, its position or whether it answers `NOT_NOW` must come out the same when
//! a test sends its requests in another order, so these are hashes of the seed and the subject.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::uuid::Uuid;

/// What a draw is for, so that draws about the same subject differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    CheckInInterval = 1,
    CheckInPhase,
    NotNow,
    LocationUnknown,
    SchoolPosition,
    DevicePosition,
    Accuracy,
    ReenrolmentDelay,
    ReenrolmentIdentity,
    LessonPush,
    ClassApps,
}

/// A 64-bit hash of the seed, the purpose and the parts (SplitMix64 steps).
pub fn hash(seed: u64, purpose: Purpose, parts: &[u64]) -> u64 {
    let mut state = mix(seed ^ mix(purpose as u64));
    for &part in parts {
        state = mix(state ^ part);
    }
    state
}

/// A number in `low..=high`, evenly enough for the small ranges used here.
pub fn in_range(seed: u64, purpose: Purpose, parts: &[u64], low: u64, high: u64) -> u64 {
    low + hash(seed, purpose, parts) % (high - low + 1)
}

/// True with about `percent` per cent.
pub fn chance(seed: u64, purpose: Purpose, parts: &[u64], percent: u64) -> bool {
    hash(seed, purpose, parts) % 100 < percent
}

/// A number in `-1.0..1.0`.
pub fn signed_unit(seed: u64, purpose: Purpose, parts: &[u64]) -> f64 {
    let bits = hash(seed, purpose, parts) >> 11;
    bits as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// A random stream for draws that need more than one number, e.g. a fresh uuid.
pub fn stream(seed: u64, purpose: Purpose, parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(hash(seed, purpose, parts))
}

/// The two halves of a uuid, as parts of a draw.
pub fn uuid_parts(uuid: Uuid) -> [u64; 2] {
    let bits = uuid.bits();
    [(bits >> 64) as u64, bits as u64]
}

/// A text (a serial number, an organisation's uuid) as one part of a draw.
pub fn text_part(text: &str) -> u64 {
    text.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| mix(h ^ u64::from(b)))
}

fn mix(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_subject_draws_the_same_and_another_purpose_draws_otherwise() {
        let first = hash(7, Purpose::NotNow, &[1, 2]);

        let again = hash(7, Purpose::NotNow, &[1, 2]);
        let other = hash(7, Purpose::Accuracy, &[1, 2]);

        assert_eq!(first, again, "draws must not depend on request order");
        assert_ne!(first, other, "purposes keep draws about one subject apart");
    }

    #[test]
    fn ranges_and_units_stay_within_their_bounds() {
        let values: Vec<u64> = (0..500)
            .map(|i| in_range(3, Purpose::CheckInInterval, &[i], 1, 5))
            .collect();
        let units: Vec<f64> = (0..500)
            .map(|i| signed_unit(3, Purpose::DevicePosition, &[i]))
            .collect();

        assert!(
            values.iter().all(|v| (1..=5).contains(v)),
            "1..=5 inclusive"
        );
        assert!(
            values.contains(&1) && values.contains(&5),
            "both ends occur"
        );
        assert!(units.iter().all(|u| (-1.0..1.0).contains(u)), "-1..1");
    }
}
