//! Residual blocks as a sequence (docs/THEORY.md §4.5): where two paths
//! fork and join, and the stack of values a walk of a network sets aside
//! at its forks.

/// How a residual block main(x) + shortcut(x) runs as a sequence
/// (docs/THEORY.md §4.5): `Fork`, the main path, `Swap`, the shortcut's
/// layers, `Add` (an identity shortcut: `Fork`, the main path, `Add`). A
/// network runs it on its current value and a stack of values set aside
/// ([`Saved`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Branch {
    /// Push a copy of the current value.
    Fork,
    /// Exchange the current value with the last one pushed.
    Swap,
    /// Pop the last value pushed and add it to the current one.
    Add,
}

/// The values a network has set aside at its forks, last on top. Every
/// walk of a network (its forward pass, its gradients, a ticket's forward
/// pass, both certificates, a file's checks) keeps its own kind of value
/// here, so a residual block is run the same way everywhere.
#[derive(Debug)]
pub struct Saved<T>(Vec<T>);

impl<T: Clone> Saved<T> {
    /// Nothing set aside.
    pub fn new() -> Saved<T> {
        Saved(Vec::new())
    }

    /// Runs `branch` on `current`; `add(current, popped)` adds a popped
    /// value. Refuses a swap or an add with nothing set aside.
    pub fn run(&mut self, branch: Branch, current: &mut T, add: impl FnOnce(&mut T, T)) -> Result<(), String> {
        match branch {
            Branch::Fork => self.0.push(current.clone()),
            Branch::Swap => std::mem::swap(self.0.last_mut().ok_or("a swap with no fork before it")?, current),
            Branch::Add => add(current, self.0.pop().ok_or("an add with no fork before it")?),
        }
        Ok(())
    }

    /// [`Saved::run`] in a network already checked to fork before it swaps
    /// or adds (the network's structure, a ticket file's checks).
    pub fn run_checked(&mut self, branch: Branch, current: &mut T, add: impl FnOnce(&mut T, T)) {
        self.run(branch, current, add).expect("a checked network forks before it joins");
    }

    /// Whether nothing is set aside.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Clone> Default for Saved<T> {
    fn default() -> Self {
        Saved::new()
    }
}
