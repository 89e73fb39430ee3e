//! Buffers kept for reuse across threads: the scan's large buffers (a
//! chunk's bytes and field list, its block masks, its rendered findings)
//! are made on one thread and dropped on another, a megabyte or more at a
//! time. A fresh buffer of that size is a fresh mapping, and filling it
//! costs the kernel a page fault and a zeroed page per 4 KiB; a buffer
//! given back and taken again keeps its pages.
//!
//! Key decision: one small mechanism, a locked stack of spare vectors with
//! a cap on how many it keeps and on their size, used as a `static` by
//! each kind of buffer ([`crate::chunk::buffer`], [`crate::chunk::fields`],
//! the line gate's masks in `detect::blocks`, the scan's rendered
//! findings). A lock per take and give is nothing next to the megabyte
//! each one spares, and the caps keep the memory a pool can hold beyond
//! the buffers in flight bounded (a JSON line read whole can make a 64 MiB
//! buffer, which no pool keeps).

use std::sync::Mutex;

/// A stack of spare vectors of `T`, shared by the threads.
#[derive(Debug)]
pub struct Pool<T> {
    spare: Mutex<Vec<Vec<T>>>,
    /// Most vectors kept.
    keep: usize,
    /// Capacities kept, in elements (a smaller vector is not worth
    /// keeping, a larger one would hold too much memory).
    min_capacity: usize,
    max_capacity: usize,
}

impl<T> Pool<T> {
    /// An empty pool that keeps at most `keep` vectors, each of a capacity
    /// in `min_capacity..=max_capacity` elements.
    pub const fn new(keep: usize, min_capacity: usize, max_capacity: usize) -> Pool<T> {
        Pool {
            spare: Mutex::new(Vec::new()),
            keep,
            min_capacity,
            max_capacity,
        }
    }

    /// An empty vector, one given back before when there is one (with the
    /// capacity it had), else a new one.
    pub fn take(&self) -> Vec<T> {
        self.spare
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default()
    }

    /// [`Pool::take`] with room for at least `capacity` elements.
    pub fn take_with_capacity(&self, capacity: usize) -> Vec<T> {
        let mut v = self.take();
        v.reserve(capacity);
        v
    }

    /// Gives `v` back for reuse, emptied; it is dropped instead when its
    /// capacity is out of the pool's bounds or the pool is full.
    pub fn give(&self, mut v: Vec<T>) {
        if !(self.min_capacity..=self.max_capacity).contains(&v.capacity()) {
            return;
        }
        v.clear();
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() < self.keep
        {
            spare.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vector given back comes back empty with its capacity; vectors out
    /// of bounds, or past the number kept, are dropped.
    #[test]
    fn keeps_what_its_bounds_allow() {
        let pool: Pool<u32> = Pool::new(2, 16, 1024);
        assert_eq!(pool.take().capacity(), 0);
        let mut v = Vec::with_capacity(100);
        v.extend([1, 2, 3]);
        pool.give(v);
        let v = pool.take();
        assert!(v.is_empty() && v.capacity() >= 100);
        pool.give(v);
        let v = pool.take_with_capacity(300);
        assert!(v.is_empty() && v.capacity() >= 300);
        pool.give(Vec::with_capacity(8)); // too small
        pool.give(Vec::with_capacity(2048)); // too large
        assert_eq!(pool.take().capacity(), 0);
        for _ in 0..3 {
            pool.give(Vec::with_capacity(64));
        }
        assert!(pool.take().capacity() >= 64);
        assert!(pool.take().capacity() >= 64);
        assert_eq!(pool.take().capacity(), 0, "only two kept");
    }
}
