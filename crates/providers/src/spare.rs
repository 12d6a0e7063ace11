//! Spare connections: one connection to each upstream opened ahead of need.
//!
//! The pool reuses a connection only once an answer has been read to its end. When a user
//! stops an answer, its stream is cut and the connection closed, so the next chat to that
//! upstream waited for a new connection (TCP, and TLS to a remote provider: one to three round
//! trips, tens of milliseconds to a distant API) before its request could leave. The same
//! happens to every request of a burst beyond the idle connections the pool holds.
//!
//! Like Envoy's preconnect, each time the pool has to open a connection this connector opens one
//! more in the background and keeps it; the next request that finds the pool empty takes it at
//! once. There is at most one spare (or one being opened) per destination, and only for
//! destinations the pool asked for. A spare unused for [`MAX_AGE`] is closed, and one that the
//! server closed meanwhile (or that has bytes waiting, which no server sends unasked) is thrown
//! away before use: a request never leaves on a spare known to be dead.

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use http::Uri;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, ReadBuf};
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a spare waits for a request before it is closed: well inside the idle timeouts of
/// common servers, so a spare is rarely closed under a request.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(15);
/// Destinations with a spare at once (the operator's endpoints are a handful).
const MAX_DESTINATIONS: usize = 64;

enum Slot<T> {
    /// A spare is being opened.
    Opening,
    /// A spare is ready; `id` tells it from a later one when its time is up.
    Ready { conn: T, at: Instant, id: u64 },
}

struct Slots<T> {
    by_destination: HashMap<Uri, Slot<T>>,
    next_id: u64,
}

/// Wraps the connector `C`; without spares (`none`) it only passes calls through.
pub(crate) struct Spares<C: Service<Uri>> {
    inner: C,
    slots: Option<Arc<Mutex<Slots<C::Response>>>>,
}

impl<C: Service<Uri> + Clone> Clone for Spares<C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            slots: self.slots.clone(),
        }
    }
}

impl<C: Service<Uri>> Spares<C> {
    /// `inner` with a spare connection kept per destination.
    pub(crate) fn new(inner: C) -> Self {
        Self {
            inner,
            slots: Some(Arc::new(Mutex::new(Slots {
                by_destination: HashMap::new(),
                next_id: 0,
            }))),
        }
    }

    /// `inner` as it is: for URLs users supply, which should not get connections they did not
    /// ask for.
    pub(crate) fn none(inner: C) -> Self {
        Self { inner, slots: None }
    }
}

fn lock<T>(slots: &Mutex<Slots<T>>) -> MutexGuard<'_, Slots<T>> {
    slots.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `conn` if it can still carry a request: nothing to read on it yet. A closed connection reads
/// as end of file, a reset one as an error; TLS records the server sends unasked (session
/// tickets) are taken in by the TLS layer and leave nothing to read.
pub(crate) fn usable<T: hyper::rt::Read + Unpin>(conn: T) -> Option<T> {
    let mut io = TokioIo::new(conn);
    let mut byte = [0u8; 1];
    let mut buf = ReadBuf::new(&mut byte);
    let mut cx = Context::from_waker(Waker::noop());
    match Pin::new(&mut io).poll_read(&mut cx, &mut buf) {
        Poll::Pending => Some(io.into_inner()),
        Poll::Ready(_) => None,
    }
}

impl<C> Spares<C>
where
    C: Service<Uri> + Clone + Send + 'static,
    C::Response: hyper::rt::Read + Unpin + Send + 'static,
    C::Future: Send,
    C::Error: Send,
{
    /// The spare for `dst` if there is a live one, and a new spare started when none is ready
    /// or being opened.
    fn take_and_refill(
        &self,
        slots: &Arc<Mutex<Slots<C::Response>>>,
        dst: &Uri,
    ) -> Option<C::Response> {
        let mut guard = lock(slots);
        let spare = match guard.by_destination.remove(dst) {
            Some(Slot::Ready { conn, at, .. }) if at.elapsed() < MAX_AGE => usable(conn),
            Some(Slot::Opening) => {
                guard.by_destination.insert(dst.clone(), Slot::Opening);
                return None;
            }
            _ => None,
        };
        if guard.by_destination.len() < MAX_DESTINATIONS {
            guard.by_destination.insert(dst.clone(), Slot::Opening);
            drop(guard);
            tokio::spawn(open_spare(self.inner.clone(), slots.clone(), dst.clone()));
        }
        spare
    }
}

/// Opens a spare for `dst`, keeps it for [`MAX_AGE`] unless taken, then closes it.
async fn open_spare<C>(mut inner: C, slots: Arc<Mutex<Slots<C::Response>>>, dst: Uri)
where
    C: Service<Uri>,
{
    // A failure is not reported here: the next request connects itself and reports it.
    let opened = match poll_fn(|cx| inner.poll_ready(cx)).await {
        Ok(()) => inner.call(dst.clone()).await.ok(),
        Err(_) => None,
    };
    let id = {
        let mut guard = lock(&slots);
        let Some(conn) = opened else {
            guard.by_destination.remove(&dst);
            return;
        };
        let id = guard.next_id;
        guard.next_id += 1;
        guard.by_destination.insert(
            dst.clone(),
            Slot::Ready {
                conn,
                at: Instant::now(),
                id,
            },
        );
        id
    };
    tokio::time::sleep(MAX_AGE).await;
    let mut guard = lock(&slots);
    if matches!(guard.by_destination.get(&dst), Some(Slot::Ready { id: held, .. }) if *held == id) {
        guard.by_destination.remove(&dst);
    }
}

impl<C> Service<Uri> for Spares<C>
where
    C: Service<Uri> + Clone + Send + 'static,
    C::Response: hyper::rt::Read + Unpin + Send + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError> + Send,
{
    type Response = C::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        if let Some(slots) = self.slots.clone()
            && let Some(conn) = self.take_and_refill(&slots, &dst)
        {
            return Box::pin(std::future::ready(Ok(conn)));
        }
        let connecting = self.inner.call(dst);
        Box::pin(async move { connecting.await.map_err(Into::into) })
    }
}
