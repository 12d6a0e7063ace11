//! What was read from recent files, by file and contents: every later turn of a branch sends
//! its files again, and reading them (a PDF's text, a scaled image) costs far more than a
//! lookup in a short list.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use ferrochat_core::FileId;

/// The last `N` results, keyed by file ID and SHA-256 (a file whose contents changed misses).
pub struct Recent<T, const N: usize> {
    items: Mutex<VecDeque<(FileId, String, T)>>,
}

impl<T, const N: usize> Default for Recent<T, N> {
    fn default() -> Self {
        Self {
            items: Mutex::new(VecDeque::with_capacity(N)),
        }
    }
}

impl<T: Clone, const N: usize> Recent<T, N> {
    /// The result kept for file `id` with contents `sha256`.
    pub fn get(&self, id: FileId, sha256: &str) -> Option<T> {
        self.lock()
            .iter()
            .find(|(i, s, _)| *i == id && s == sha256)
            .map(|(_, _, v)| v.clone())
    }

    /// Keeps `value` for file `id` with contents `sha256`, forgetting the oldest beyond `N`.
    pub fn put(&self, id: FileId, sha256: &str, value: T) {
        let mut items = self.lock();
        if items.len() >= N {
            items.pop_front();
        }
        items.push_back((id, sha256.to_owned(), value));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(FileId, String, T)>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_n_by_file_and_contents() {
        let recent: Recent<u8, 2> = Recent::default();
        let (a, b, c) = (FileId::new(), FileId::new(), FileId::new());
        recent.put(a, "x", 1);
        recent.put(b, "y", 2);
        assert_eq!(recent.get(a, "x"), Some(1));
        assert_eq!(recent.get(a, "changed"), None);
        recent.put(c, "z", 3);
        assert_eq!(recent.get(a, "x"), None, "the oldest went");
        assert_eq!(recent.get(c, "z"), Some(3));
    }
}
