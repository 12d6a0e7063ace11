//! Idle upstream connections, kept for the next request to the same origin.
//!
//! A connection comes back once an answer has been read to its end on it (and the server did
//! not ask to close it). It is kept [`IDLE_TIMEOUT`] at most, and one the server closed
//! meanwhile is thrown away when it is next looked at; after a burst of thousands of streams
//! the pool keeps [`MAX_IDLE_PER_ORIGIN`] warm connections, not thousands.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http::Uri;

/// How long an idle connection is kept.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle connections kept per origin.
pub(crate) const MAX_IDLE_PER_ORIGIN: usize = 64;

/// Idle connections by origin (`scheme://authority`), most recent last.
pub(crate) struct Pool<T> {
    idle: Mutex<HashMap<Uri, Vec<(T, Instant)>>>,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Pool<T> {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uri, Vec<(T, Instant)>>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently returned connection to `origin` that `usable` accepts; older or
    /// refused ones met on the way are dropped (closed).
    pub(crate) fn take(&self, origin: &Uri, usable: impl Fn(T) -> Option<T>) -> Option<T> {
        let mut idle = self.lock();
        let conns = idle.get_mut(origin)?;
        let mut found = None;
        while let Some((conn, at)) = conns.pop() {
            if at.elapsed() < IDLE_TIMEOUT
                && let Some(conn) = usable(conn)
            {
                found = Some(conn);
                break;
            }
        }
        if conns.is_empty() {
            idle.remove(origin);
        }
        found
    }

    /// Keeps `conn` for the next request to `origin`, unless enough are kept already.
    pub(crate) fn put(&self, origin: Uri, conn: T) {
        let mut idle = self.lock();
        let conns = idle.entry(origin).or_default();
        conns.retain(|(_, at)| at.elapsed() < IDLE_TIMEOUT);
        if conns.len() < MAX_IDLE_PER_ORIGIN {
            conns.push((conn, Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_usable_connection_is_taken_and_refused_ones_are_dropped() {
        let pool = Pool::default();
        let a: Uri = "http://a:1".parse().unwrap();
        pool.put(a.clone(), 1);
        pool.put(a.clone(), 2);
        pool.put(a.clone(), 3);
        // 3 is refused (the server closed it): dropped on the way to 2.
        assert_eq!(pool.take(&a, |c| (c != 3).then_some(c)), Some(2));
        assert_eq!(pool.take(&a, Some), Some(1));
        assert_eq!(pool.take(&a, Some), None);
        assert_eq!(pool.take(&"http://b:1".parse().unwrap(), Some), None::<i32>);
    }

    #[test]
    fn at_most_the_limit_is_kept_per_origin() {
        let pool = Pool::default();
        let a: Uri = "http://a:1".parse().unwrap();
        for i in 0..MAX_IDLE_PER_ORIGIN + 10 {
            pool.put(a.clone(), i);
        }
        let mut n = 0;
        while pool.take(&a, Some).is_some() {
            n += 1;
        }
        assert_eq!(n, MAX_IDLE_PER_ORIGIN);
    }
}
