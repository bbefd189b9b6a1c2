//! A small cache of the objects last decoded from a pack, for the reads that walk many
//! objects in pack order (every record at a cold start). `git fast-import` stores each
//! record's commit, tree and `record.json` as a delta on the one written before it, in
//! chains about fifty deep: without a cache every read undid its whole chain again
//! (at 100,000 records, most of the time spent on them). With the last few objects
//! kept, a read in pack order applies one delta.
//!
//! gix has such caches behind cargo features that need another crate; this one is a
//! ring of [`SLOTS`] buffers searched in order, which is all a walk in pack order needs.

use gix::odb::pack::cache::DecodeEntry;

/// Objects kept.
const SLOTS: usize = 64;

/// Objects larger than this are not kept (a record is a few hundred bytes).
const MAX_OBJECT: usize = 64 * 1024;

struct Slot {
    pack_id: u32,
    offset: u64,
    kind: gix::object::Kind,
    compressed_size: usize,
    data: Vec<u8>,
}

/// The last [`SLOTS`] objects decoded (of at most [`MAX_OBJECT`] bytes each).
#[derive(Default)]
pub struct DeltaBases {
    slots: Vec<Slot>,
    /// The slot the next object replaces, once all are used.
    next: usize,
}

impl DecodeEntry for DeltaBases {
    fn put(
        &mut self,
        pack_id: u32,
        offset: u64,
        data: &[u8],
        kind: gix::object::Kind,
        compressed_size: usize,
    ) {
        if data.len() > MAX_OBJECT {
            return;
        }
        if self.slots.len() < SLOTS {
            self.slots.push(Slot {
                pack_id,
                offset,
                kind,
                compressed_size,
                data: data.to_vec(),
            });
            return;
        }
        if let Some(slot) = self.slots.get_mut(self.next) {
            slot.pack_id = pack_id;
            slot.offset = offset;
            slot.kind = kind;
            slot.compressed_size = compressed_size;
            slot.data.clear();
            slot.data.extend_from_slice(data);
        }
        self.next = (self.next + 1) % SLOTS;
    }

    fn get(
        &mut self,
        pack_id: u32,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Option<(gix::object::Kind, usize)> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.offset == offset && s.pack_id == pack_id)?;
        out.clear();
        out.extend_from_slice(&slot.data);
        Some((slot.kind, slot.compressed_size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_objects() {
        let mut cache = DeltaBases::default();
        let blob = gix::object::Kind::Blob;
        for i in 0..(SLOTS as u64 + 10) {
            cache.put(1, i, &i.to_le_bytes(), blob, 3);
        }
        let mut out = Vec::new();
        assert_eq!(cache.get(1, 3, &mut out), None, "evicted");
        assert_eq!(cache.get(2, SLOTS as u64, &mut out), None, "another pack");
        assert_eq!(cache.get(1, SLOTS as u64 + 9, &mut out), Some((blob, 3)));
        assert_eq!(out, (SLOTS as u64 + 9).to_le_bytes());
        cache.put(1, 1_000_000, &vec![0; MAX_OBJECT + 1], blob, 3);
        assert_eq!(cache.get(1, 1_000_000, &mut out), None, "too large to keep");
    }
}
