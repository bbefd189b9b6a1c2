//! [`RefOrBox`]: nothing, a `&'a T` or a `Box<B>`, in one word.
//!
//! A WO's view holds its one live file, or, for the few WOs that have more (a second
//! copy, a `.lock`, worktrees), a box of all of that. As an enum the two were two
//! words (a tag and a pointer), at 100,000 WOs 0.8 MB of the peak of `audit`, `list`
//! and `status`. Both point at something aligned to two bytes or more, so the lowest
//! bit of the pointer is free to say which it is. That takes `unsafe`, kept to this
//! file: reading the word as the reference it was made from, and owning the box.

use std::marker::PhantomData;
use std::ptr::NonNull;

/// Nothing, a `&'a T`, or a `Box<B>`, in one word.
pub struct RefOrBox<'a, T, B> {
    /// `None`; a `&'a T`'s pointer (lowest bit clear); or a `Box<B>`'s with its lowest
    /// bit set ([`BOXED`]).
    ptr: Option<NonNull<u8>>,
    /// What it stands for, for the checker: a borrow for `'a`, and a box it owns.
    _holds: PhantomData<(Option<&'a T>, Option<Box<B>>)>,
}

/// The bit set in a box's pointer.
const BOXED: usize = 1;

// SAFETY (both): it is nothing, a `&'a T` or a `Box<B>`, and is shared or sent exactly
// when those may be: a shared reference when `T: Sync`, a box when `B` is.
unsafe impl<T: Sync, B: Send> Send for RefOrBox<'_, T, B> {}
unsafe impl<T: Sync, B: Sync> Sync for RefOrBox<'_, T, B> {}

// (One word, and no bigger as an `Option` of a reference is: checked.)
const _: () = assert!(size_of::<RefOrBox<'static, u64, u64>>() == size_of::<usize>());

impl<'a, T, B> RefOrBox<'a, T, B> {
    /// Both point at something whose lowest address bit is always clear.
    const ALIGNED: () = assert!(align_of::<T>() > BOXED && align_of::<B>() > BOXED);

    pub const fn none() -> RefOrBox<'a, T, B> {
        RefOrBox {
            ptr: None,
            _holds: PhantomData,
        }
    }

    pub fn of_ref(r: &'a T) -> RefOrBox<'a, T, B> {
        let () = Self::ALIGNED;
        RefOrBox {
            ptr: Some(NonNull::from(r).cast()),
            _holds: PhantomData,
        }
    }

    pub fn of_box(b: Box<B>) -> RefOrBox<'a, T, B> {
        let () = Self::ALIGNED;
        let ptr = NonNull::from(Box::leak(b)).cast::<u8>();
        RefOrBox {
            ptr: Some(ptr.map_addr(|a| a | BOXED)),
            _holds: PhantomData,
        }
    }

    /// The box's pointer, when it holds one.
    fn boxed(&self) -> Option<*mut B> {
        let p = self.ptr?;
        (p.addr().get() & BOXED != 0).then(|| p.as_ptr().map_addr(|a| a & !BOXED).cast())
    }

    /// The reference, when it holds one (borrowed in place, so that one reference can
    /// be handed out as a slice of one).
    pub fn as_ref(&self) -> Option<&&'a T> {
        if self.ptr.is_none() || self.boxed().is_some() {
            return None;
        }
        let word: *const Option<NonNull<u8>> = &self.ptr;
        // SAFETY: `ptr` is `Some` of a `&'a T`'s pointer, unchanged (`of_ref`); an
        // `Option<NonNull<_>>` that is `Some` is laid out as that pointer alone, as a
        // `&T` is, so the word read in place is the reference it was made from.
        Some(unsafe { &*word.cast::<&'a T>() })
    }

    pub fn as_box(&self) -> Option<&B> {
        // SAFETY: a box's pointer (`of_box`), owned until this is dropped or replaced.
        self.boxed().map(|b| unsafe { &*b })
    }

    pub fn as_box_mut(&mut self) -> Option<&mut B> {
        // SAFETY: as in `as_box`, borrowed mutably through `&mut self`.
        self.boxed().map(|b| unsafe { &mut *b })
    }

    /// The box, made of the reference it held (if it held one) when it held no box.
    pub fn boxed_or(&mut self, make: impl FnOnce(Option<&'a T>) -> B) -> &mut B {
        let b = match self.boxed() {
            Some(b) => b,
            None => {
                let one = self.as_ref().copied();
                *self = RefOrBox::of_box(Box::new(make(one)));
                match self.boxed() {
                    Some(b) => b,
                    None => unreachable!("a box was just put in"),
                }
            }
        };
        // SAFETY: as in `as_box_mut`.
        unsafe { &mut *b }
    }

    pub fn is_none(&self) -> bool {
        self.ptr.is_none()
    }
}

impl<T, B> Drop for RefOrBox<'_, T, B> {
    fn drop(&mut self) {
        if let Some(b) = self.boxed() {
            // SAFETY: the box's pointer (`of_box`), owned by this and never used again.
            drop(unsafe { Box::from_raw(b) });
        }
    }
}

impl<T, B> Default for RefOrBox<'_, T, B> {
    fn default() -> Self {
        RefOrBox::none()
    }
}

impl<T: std::fmt::Debug, B: std::fmt::Debug> std::fmt::Debug for RefOrBox<'_, T, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.as_ref(), self.as_box()) {
            (Some(r), _) => f.debug_tuple("Ref").field(r).finish(),
            (_, Some(b)) => f.debug_tuple("Box").field(b).finish(),
            _ => f.write_str("None"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_reads_back_as_made_and_a_box_is_freed_once() {
        let (one, two) = (7u64, 9u64);
        let none: RefOrBox<'_, u64, Vec<u64>> = RefOrBox::none();
        assert!(none.is_none() && none.as_ref().is_none() && none.as_box().is_none());
        let r: RefOrBox<'_, u64, Vec<u64>> = RefOrBox::of_ref(&one);
        assert_eq!(r.as_ref().copied(), Some(&one));
        assert!(std::ptr::eq(*r.as_ref().expect("a reference"), &one));
        assert!(r.as_box().is_none() && !r.is_none());
        let mut b: RefOrBox<'_, u64, Vec<u64>> = RefOrBox::of_box(Box::new(vec![one]));
        assert!(b.as_ref().is_none());
        b.as_box_mut().expect("a box").push(two);
        assert_eq!(b.as_box(), Some(&vec![one, two]));
        assert_eq!(format!("{b:?} {r:?} {none:?}"), "Box([7, 9]) Ref(7) None");
        // Replaced, and sent to another thread and dropped there.
        let mut slot = r;
        slot = std::mem::replace(&mut b, slot);
        let back = std::thread::scope(|s| s.spawn(move || slot.as_box().map(Vec::len)).join());
        assert_eq!(back.ok().flatten(), Some(2));
        assert_eq!(b.as_ref().copied(), Some(&one));
        // A box made of the reference held, then the same box again.
        b.boxed_or(|r| r.into_iter().copied().collect()).push(two);
        assert_eq!(b.boxed_or(|_| Vec::new()), &mut vec![one, two]);
    }
}
