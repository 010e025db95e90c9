//! The emulator's shared state: the world, the clock and the faults.
//!
//! One lock guards the world. Reads take it shared; a request that finds the clock a simulated
//! minute further than the world first takes it exclusively to catch up, so changes are
//! applied lazily and in minute order, whatever the pattern of requests.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::SimClock;
use crate::faults::Faults;
use crate::world::World;

#[derive(Debug)]
pub struct Sim {
    world: RwLock<World>,
    pub clock: SimClock,
    pub faults: Faults,
}

impl Sim {
    pub fn new(world: World, clock: SimClock, faults: Faults) -> Sim {
        Sim {
            world: RwLock::new(world),
            clock,
            faults,
        }
    }

    /// The world with every minute passed applied.
    pub fn current(&self) -> RwLockReadGuard<'_, World> {
        let world = self.read();
        if !world.is_behind(&self.clock) {
            return world;
        }
        drop(world);
        drop(self.current_mut());
        self.read()
    }

    /// The world for a change, with every minute passed applied.
    pub fn current_mut(&self) -> RwLockWriteGuard<'_, World> {
        let mut world = self.world.write().unwrap_or_else(PoisonError::into_inner);
        world.catch_up(&self.clock);
        world
    }

    fn read(&self) -> RwLockReadGuard<'_, World> {
        self.world.read().unwrap_or_else(PoisonError::into_inner)
    }
}
