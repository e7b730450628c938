//! A round-robin load balancer on a loopback port: each accepted TCP
//! connection goes to the next node. With a client that opens a connection per
//! request (no keep-alive pool), consecutive requests land on different nodes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};

/// The balancer; stops accepting when dropped.
pub struct Balancer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    served: Arc<Mutex<Vec<usize>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Balancer {
    /// Listens on `listener` and hands connections to `nodes` in turn.
    pub fn start(listener: TcpListener, nodes: Vec<SocketAddr>) -> Self {
        let base = format!("http://{}", listener.local_addr().expect("balancer address"));
        let served = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let served = served.clone();
            async move {
                let mut next = 0;
                while let Ok((mut inbound, _)) = listener.accept().await {
                    let index = next % nodes.len();
                    next += 1;
                    served.lock().expect("served log").push(index);
                    let node = nodes[index];
                    tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(node).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                }
            }
        });
        Self { base, served, task }
    }

    /// The node (index) each connection went to, in order of arrival.
    pub fn served(&self) -> Vec<usize> {
        self.served.lock().expect("served log").clone()
    }

    /// The node that took the latest connection.
    pub fn last_node(&self) -> usize {
        *self.served().last().expect("a connection was balanced")
    }

    /// How many connections each of `nodes` nodes took.
    pub fn connections_per_node(&self, nodes: usize) -> Vec<usize> {
        let mut counts = vec![0; nodes];
        for index in self.served() {
            counts[index] += 1;
        }
        counts
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
