//! The simulated clock.
//!
//! Simulated time is the start time, plus the real time elapsed times the clock speed, plus
//! whatever `/sim/clock/advance` added. Tests freeze it (speed 0) and advance it by hand; the
//! demo runs it fast so that devices visibly check in. Times are whole seconds, as on the wire.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, Utc};

#[derive(Debug)]
pub struct SimClock {
    start: DateTime<Utc>,
    began: Instant,
    speed: f64,
    advanced_seconds: AtomicI64,
}

impl SimClock {
    pub fn new(start: DateTime<Utc>, speed: f64) -> SimClock {
        SimClock {
            start: whole_second(start),
            began: Instant::now(),
            speed,
            advanced_seconds: AtomicI64::new(0),
        }
    }

    #[cfg(test)]
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.start + Duration::seconds(self.seconds_elapsed())
    }

    /// Moves the clock on; the churn of the minutes passed is applied by the caller.
    pub fn advance(&self, minutes: u32) {
        self.advanced_seconds
            .fetch_add(i64::from(minutes) * 60, Ordering::SeqCst);
    }

    /// The simulated time and the whole minutes since the start, read together so that they
    /// agree when the clock runs.
    pub fn now_in_minute(&self) -> (DateTime<Utc>, i64) {
        let seconds = self.seconds_elapsed();
        (self.start + Duration::seconds(seconds), seconds / 60)
    }

    /// Whole simulated minutes since the start.
    pub fn minutes_elapsed(&self) -> i64 {
        self.seconds_elapsed() / 60
    }

    /// The moment the given simulated minute ends; changes of that minute carry this time.
    pub fn end_of_minute(&self, minute: i64) -> DateTime<Utc> {
        self.start + Duration::minutes(minute)
    }

    fn seconds_elapsed(&self) -> i64 {
        let running = self.began.elapsed().as_secs_f64() * self.speed;
        running as i64 + self.advanced_seconds.load(Ordering::SeqCst)
    }
}

pub fn whole_second(time: DateTime<Utc>) -> DateTime<Utc> {
    time.duration_trunc(Duration::seconds(1)).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-03T08:15:00.700Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = SimClock::new(start(), 0.0);

        clock.advance(90);

        assert_eq!(
            clock.minutes_elapsed(),
            90,
            "speed 0 must leave only manual advances"
        );
        assert_eq!(
            clock.now().to_rfc3339(),
            "2026-12-03T09:45:00+00:00",
            "whole seconds only"
        );
    }

    #[test]
    fn a_fast_clock_runs_ahead_of_real_time() {
        let clock = SimClock::new(start(), 1_000_000.0);

        std::thread::sleep(std::time::Duration::from_millis(5));

        assert!(
            clock.minutes_elapsed() >= 60,
            "5 ms at a million times speed is over an hour"
        );
    }
}
