//! An interning table: equal values share one slot named by a `u32` id, counted by the open
//! visits that hold it. A slot no visit holds any more is freed by [`Table::collect`] (the
//! cache's sweep), and its id is reused, so the table is as large as the distinct values of
//! the open visits, never more.
//!
//! Sharded by the value's hash, each shard behind an `RwLock`: taking or giving back an id is
//! a read lock and an atomic; only a value not seen yet takes the write lock.
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};

const SHARD_BITS: u32 = 4;
const SHARDS: usize = 1 << SHARD_BITS;

#[derive(Debug)]
struct Slot<K: ?Sized> {
    value: Option<Arc<K>>,
    refs: AtomicU32,
}

#[derive(Debug)]
struct Shard<K: ?Sized> {
    ids: HashMap<Arc<K>, u32>,
    slots: Vec<Slot<K>>,
    free: Vec<u32>,
}

#[derive(Debug)]
pub(super) struct Table<K: ?Sized> {
    shards: Box<[RwLock<Shard<K>>]>,
    hasher: RandomState,
}

fn split(id: u32) -> (usize, usize) {
    ((id as usize) & (SHARDS - 1), (id >> SHARD_BITS) as usize)
}

impl<K: ?Sized + Hash + Eq> Table<K> {
    pub(super) fn new() -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                RwLock::new(Shard {
                    ids: HashMap::new(),
                    slots: Vec::new(),
                    free: Vec::new(),
                })
            })
            .collect();
        Table {
            shards,
            hasher: RandomState::new(),
        }
    }

    /// The id of `value`, held once more by the caller (give it back with [`Table::release`]).
    /// `make` builds the stored value when it is new.
    pub(super) fn acquire<Q>(&self, value: &Q, make: impl FnOnce() -> Arc<K>) -> u32
    where
        Arc<K>: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        // `Arc<K>` hashes as `K` does, and `Borrow` promises `Q` hashes the same.
        let s = (self.hasher.hash_one(value) as usize) & (SHARDS - 1);
        {
            let shard = self.shards[s].read().unwrap_or_else(|e| e.into_inner());
            if let Some(&local) = shard.ids.get(value) {
                shard.slots[local as usize]
                    .refs
                    .fetch_add(1, Ordering::Relaxed);
                return local << SHARD_BITS | s as u32;
            }
        }
        let mut shard = self.shards[s].write().unwrap_or_else(|e| e.into_inner());
        if let Some(&local) = shard.ids.get(value) {
            shard.slots[local as usize]
                .refs
                .fetch_add(1, Ordering::Relaxed);
            return local << SHARD_BITS | s as u32;
        }
        let value = make();
        let local = match shard.free.pop() {
            Some(local) => {
                let slot = &mut shard.slots[local as usize];
                slot.value = Some(value.clone());
                *slot.refs.get_mut() = 1;
                local
            }
            None => {
                let local = u32::try_from(shard.slots.len())
                    .ok()
                    .filter(|l| *l < u32::MAX >> SHARD_BITS)
                    .expect("fewer than 2^28 distinct values per shard");
                shard.slots.push(Slot {
                    value: Some(value.clone()),
                    refs: AtomicU32::new(1),
                });
                local
            }
        };
        shard.ids.insert(value, local);
        local << SHARD_BITS | s as u32
    }

    /// The caller holds `id` once more.
    pub(super) fn retain(&self, id: u32) {
        let (s, local) = split(id);
        let shard = self.shards[s].read().unwrap_or_else(|e| e.into_inner());
        shard.slots[local].refs.fetch_add(1, Ordering::Relaxed);
    }

    /// The caller no longer holds `id`; the slot is freed by the next [`Table::collect`] unless
    /// someone takes it again before.
    pub(super) fn release(&self, id: u32) {
        let (s, local) = split(id);
        let shard = self.shards[s].read().unwrap_or_else(|e| e.into_inner());
        let before = shard.slots[local].refs.fetch_sub(1, Ordering::Relaxed);
        debug_assert!(before > 0, "released an id nobody held");
    }

    /// Reads the value of a held `id`.
    pub(super) fn with<R>(&self, id: u32, f: impl FnOnce(&K) -> R) -> R {
        let (s, local) = split(id);
        let shard = self.shards[s].read().unwrap_or_else(|e| e.into_inner());
        f(shard.slots[local]
            .value
            .as_deref()
            .expect("a held id has a value"))
    }

    /// Frees every slot nobody holds; returns how many. The write lock keeps any `acquire`
    /// out, so a slot cannot be taken again while it is freed.
    pub(super) fn collect(&self) -> usize {
        let mut freed = 0;
        for shard in self.shards.iter() {
            let mut shard = shard.write().unwrap_or_else(|e| e.into_inner());
            let Shard { ids, slots, free } = &mut *shard;
            for (local, slot) in slots.iter_mut().enumerate() {
                if *slot.refs.get_mut() == 0 {
                    if let Some(value) = slot.value.take() {
                        ids.remove(&*value);
                        free.push(local as u32);
                        freed += 1;
                    }
                }
            }
            // Give memory back once most of a shard is free (after a traffic peak).
            if ids.len() < ids.capacity() / 4 {
                ids.shrink_to_fit();
            }
            while slots.last().is_some_and(|s| s.value.is_none()) {
                slots.pop();
            }
            free.retain(|&l| (l as usize) < slots.len());
            if slots.len() < slots.capacity() / 4 {
                slots.shrink_to_fit();
                free.shrink_to_fit();
            }
        }
        freed
    }

    /// Values held now (or freed by the next collect).
    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).ids.len())
            .sum()
    }

    #[cfg(test)]
    pub(super) fn refs(&self, id: u32) -> u32 {
        let (s, local) = split(id);
        self.shards[s]
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .slots[local]
            .refs
            .load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_an_id_until_nobody_holds_it() {
        let t: Table<str> = Table::new();
        let a = t.acquire("/a", || Arc::from("/a"));
        let b = t.acquire("/b", || Arc::from("/b"));
        assert_ne!(a, b);
        assert_eq!(t.acquire("/a", || unreachable!("interned already")), a);
        assert_eq!((t.refs(a), t.refs(b), t.len()), (2, 1, 2));
        t.with(a, |v| assert_eq!(v, "/a"));
        t.release(a);
        t.release(b);
        assert_eq!(t.collect(), 1, "only /b is free");
        assert_eq!(t.len(), 1);
        t.with(a, |v| assert_eq!(v, "/a"));
        t.release(a);
        assert_eq!(t.collect(), 1);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_released_value_taken_again_before_collect_survives() {
        let t: Table<str> = Table::new();
        let a = t.acquire("/", || Arc::from("/"));
        t.release(a);
        assert_eq!(t.acquire("/", || unreachable!("still there")), a);
        assert_eq!(t.collect(), 0);
        t.with(a, |v| assert_eq!(v, "/"));
    }

    #[test]
    fn freed_ids_are_reused_and_the_table_does_not_grow() {
        let t: Table<str> = Table::new();
        for round in 0..50 {
            let ids: Vec<u32> = (0..1000)
                .map(|i| {
                    let v = format!("/r{round}/p{i}");
                    t.acquire(v.as_str(), || Arc::from(v.as_str()))
                })
                .collect();
            assert_eq!(t.len(), 1000);
            for id in ids {
                t.release(id);
            }
            assert_eq!(t.collect(), 1000);
        }
        let slots: usize = t.shards.iter().map(|s| s.read().unwrap().slots.len()).sum();
        assert_eq!(
            (t.len(), slots),
            (0, 0),
            "50 000 distinct values seen, none held, nothing kept"
        );
    }
}
