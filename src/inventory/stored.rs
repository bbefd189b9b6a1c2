//! A record as stored: the [`Record`] and the commit that holds it (what
//! [`super::records`] reads and [`super::record_cache`] keeps), in a file of its own so
//! that both can name it without naming each other.

use gix::ObjectId;

use crate::model::record::Record;

/// A record as stored: the record and the commit that holds it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub record: Record,
    pub commit: ObjectId,
}

// (Held once for every record, 100,000 at a time: 208 bytes before the record's schema
// was one word and its six texts, the id among them, one buffer; 104 before that
// buffer's pointer was thin.)
const _: () = assert!(std::mem::size_of::<Stored>() <= 96);
