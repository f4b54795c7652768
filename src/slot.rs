//! Two values of one type, one active and one staging: the A/B scheme by
//! which a rejected offer changes nothing and an accepted one is a flip, not
//! a copy. Used by [`Reloader`](crate::Reloader) for tables and by
//! [`Engine`](crate::Engine) for bindings and models.
//!
//! The owner keeps the two values as its own fields and [`Slot`] only says
//! which one is active (one byte): so the byte packs with the owner's other
//! small fields and the owner's size stays what it was with a hand-written
//! flag.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    A,
    B,
}

/// Which of an owner's two values `(a, b)` is active: none until the first
/// [`commit`](Self::commit). Fill the staging value
/// ([`staging`](Self::staging)), then `commit` to make it active; without a
/// commit the active value is untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot(Option<Side>);

impl Slot {
    /// No value active. `const`, for statics.
    pub(crate) const NONE: Self = Self(None);

    /// The active one of `a` and `b`, if one was ever committed.
    #[inline]
    pub(crate) fn active<'a, T>(self, a: &'a T, b: &'a T) -> Option<&'a T> {
        match self.0? {
            Side::A => Some(a),
            Side::B => Some(b),
        }
    }

    /// The active one of `a` and `b`, mutably (for changes made in place,
    /// like a switch).
    pub(crate) fn active_mut<'a, T>(self, a: &'a mut T, b: &'a mut T) -> Option<&'a mut T> {
        match self.0? {
            Side::A => Some(a),
            Side::B => Some(b),
        }
    }

    /// The active value (if any) beside the staging one, to fill the staging
    /// value while reading the active one.
    pub(crate) fn staging<'a, T>(self, a: &'a mut T, b: &'a mut T) -> (Option<&'a T>, &'a mut T) {
        match self.0 {
            None => (None, a),
            Some(Side::A) => (Some(a), b),
            Some(Side::B) => (Some(b), a),
        }
    }

    /// Makes the staging value active; the active one becomes staging.
    pub(crate) fn commit(&mut self) {
        self.0 = Some(match self.0 {
            Some(Side::A) => Side::B,
            None | Some(Side::B) => Side::A,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_becomes_active_only_on_commit() {
        let (mut a, mut b) = (0, 0);
        let mut slot = Slot::NONE;
        assert_eq!(slot.active(&a, &b), None);
        *slot.staging(&mut a, &mut b).1 = 1;
        assert_eq!(slot.active(&a, &b), None, "filled but not committed");
        slot.commit();
        assert_eq!(slot.active(&a, &b), Some(&1));
        let (active, staging) = slot.staging(&mut a, &mut b);
        assert_eq!(active, Some(&1));
        *staging = 2;
        assert_eq!(slot.active(&a, &b), Some(&1), "a second fill leaves the active value alone");
        slot.commit();
        assert_eq!(slot.active(&a, &b), Some(&2));
        *slot.active_mut(&mut a, &mut b).unwrap() = 3;
        assert_eq!(slot.staging(&mut a, &mut b), (Some(&3), &mut 1));
    }
}
