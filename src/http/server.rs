//! The HTTP/1.1 server loop. `axum::serve` sets no timer, so a connection that
//! sends half a request head, or nothing, stays open for as long as the client
//! likes, and it accepts connections without limit. Here every connection must
//! deliver each request head within the header-read timeout (the first one
//! from the moment it is accepted, later ones from the end of the previous
//! answer, so idle keep-alive connections end too), and at most
//! `max_connections` are served at once: further ones wait in the listen
//! backlog until a slot is free.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use super::SHUTDOWN_GRACE;

/// What the server allows each connection, and how many it serves at once.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time a connection has to deliver a request head.
    pub header_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops
/// accepting, lets every connection finish its request in flight, and waits
/// for them at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closing_seen) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // The slot comes first: over the cap, connections wait in the backlog
        // rather than being accepted and left unserved.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let connection = http.serve_connection(TokioIo::new(stream), service(router.clone(), remote));
        let mut closing = closing_seen.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => return ended(result),
                _ = closing.changed() => connection.as_mut().graceful_shutdown(),
            }
            ended(connection.await);
        });
    }
    // Closing the listener first: the port refuses new connections at once.
    drop(listener);
    let _ = closing.send(true);
    let every_slot = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(every_slot)).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace; stopping without them");
    }
    Ok(())
}

/// The router as hyper calls it, with the peer's address where axum's
/// `ConnectInfo` extractor looks for it.
fn service(
    router: Router,
    remote: SocketAddr,
) -> TowerToHyperService<
    impl tower::Service<
        Request<Incoming>,
        Response = axum::response::Response,
        Error = Infallible,
        Future = impl Future<Output = Result<axum::response::Response, Infallible>> + Send,
    > + Clone,
> {
    TowerToHyperService::new(router.map_request(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        request
    }))
}

fn ended(result: Result<(), hyper::Error>) {
    // A header-read timeout, a client that went away, a malformed request: the
    // client's doing, answered (where HTTP allows) by hyper itself.
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended");
    }
}

/// Like hyper 0.14's server: a failed accept that concerns only that
/// connection is skipped; anything else (out of file descriptors) is logged
/// and retried after a pause, since it may pass when connections close.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(error.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused)
    {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
