//! The four WO states, which are also the four folders of the jobs dir.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Pending,
    Running,
    Done,
    Failed,
}

impl State {
    pub const ALL: [State; 4] = [State::Pending, State::Running, State::Done, State::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Done or failed: the WO is closed.
    pub fn is_terminal(self) -> bool {
        matches!(self, State::Done | State::Failed)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of states in [`State::ALL`] order (the order of `State`'s `Ord`): the folders a
/// WO has a copy in. A byte, not an allocation, for each of 10,000 WOs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StateSet(u8);

impl StateSet {
    fn bit(s: State) -> u8 {
        1 << (s as u8)
    }
    /// Add `s`; whether it was new.
    pub fn insert(&mut self, s: State) -> bool {
        let new = !self.contains(&s);
        self.0 |= Self::bit(s);
        new
    }
    pub fn contains(&self, s: &State) -> bool {
        self.0 & Self::bit(*s) != 0
    }
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn iter(&self) -> StateSetIter {
        StateSetIter { set: *self, at: 0 }
    }
    /// The first state, in `State` order.
    pub fn first(&self) -> Option<State> {
        self.iter().next()
    }
}

/// The states of a [`StateSet`], in order.
pub struct StateSetIter {
    set: StateSet,
    at: usize,
}

impl Iterator for StateSetIter {
    type Item = State;
    fn next(&mut self) -> Option<State> {
        while let Some(&s) = State::ALL.get(self.at) {
            self.at += 1;
            if self.set.contains(&s) {
                return Some(s);
            }
        }
        None
    }
}

impl IntoIterator for &StateSet {
    type Item = State;
    type IntoIter = StateSetIter;
    fn into_iter(self) -> StateSetIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_sets_keep_state_order() {
        let mut set = StateSet::default();
        assert!(set.is_empty());
        assert!(set.insert(State::Failed));
        assert!(set.insert(State::Pending));
        assert!(!set.insert(State::Failed));
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [State::Pending, State::Failed]
        );
        assert_eq!((&set).into_iter().count(), 2);
        assert_eq!(set.first(), Some(State::Pending));
        assert!(set.contains(&State::Failed) && !set.contains(&State::Done));
    }
}
