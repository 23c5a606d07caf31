//! A real HTTP receiver of webhooks in the test process: records every request
//! (headers and body), checks its signature like an integrator would, and answers
//! as the test tells it (e.g. 500 three times, then 200).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The raw body.
    pub body: Bytes,
    /// The status answered.
    pub answered: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Whether the signature verifies with `secret` (`whsec_…`).
    pub fn verifies(&self, secret: &str) -> bool {
        let Ok(key) = altegon_webhooks::signature::key_of(secret) else {
            return false;
        };
        altegon_webhooks::signature::verify(
            &key,
            &self.id,
            self.timestamp,
            &self.body,
            &self.signature,
            chrono_now(),
            300,
        )
        .is_ok()
    }
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// How the receiver answers the `n`th request (from 0) carrying a delivery id.
pub type Answer = dyn Fn(&str, usize) -> u16 + Send + Sync;

#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    seen: Arc<Mutex<HashMap<String, usize>>>,
    answer: Arc<Mutex<Arc<Answer>>>,
    delay: Arc<Mutex<Duration>>,
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts a receiver that acknowledges everything with 200.
    pub async fn start() -> Self {
        Self::answering(|_, _| 200).await
    }

    /// Starts a receiver that answers with `answer(id, n)`.
    pub async fn answering(answer: impl Fn(&str, usize) -> u16 + Send + Sync + 'static) -> Self {
        let shared = Shared {
            received: Arc::default(),
            seen: Arc::default(),
            answer: Arc::new(Mutex::new(Arc::new(answer))),
            delay: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, shared, task }
    }

    /// Changes how later requests are answered.
    pub fn answer_with(&self, answer: impl Fn(&str, usize) -> u16 + Send + Sync + 'static) {
        *self.shared.answer.lock().expect("lock") = Arc::new(answer);
    }

    /// Makes every later answer wait `delay` after the request is recorded (a
    /// slow receiver, so that deliveries are in flight when a test needs them).
    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().expect("lock") = delay;
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    /// Waits until `done(received)` holds, or panics after `timeout`.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the receiver did not get what was expected; got {} requests: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| (r.json()["type"].clone(), r.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    let n = {
        let mut seen = shared.seen.lock().expect("lock");
        let n = seen.entry(id.clone()).or_default();
        *n += 1;
        *n - 1
    };
    let answer = shared.answer.lock().expect("lock").clone();
    let status = answer(&id, n);
    shared.received.lock().expect("lock").push(Received {
        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
        signature: header("webhook-signature"),
        id,
        body,
        answered: status,
    });
    let delay = *shared.delay.lock().expect("lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
