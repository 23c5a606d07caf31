//! The endpoints a running dispatcher delivers to, with their opened keys, and
//! which of them have a worker. The scanner changes it after each committed batch;
//! workers read it before each round.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use altegon_commands::sealed::SecretSealer;
use altegon_domain::WebhookId;
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use crate::signature::key_of;
use crate::store::Target;

/// An endpoint ready for delivery.
#[derive(Debug)]
pub(crate) struct LiveTarget {
    pub target: Target,
    /// The HMAC key; `None` when the sealed secret does not open with this
    /// server's key (deliveries then fail, saying so).
    pub key: Option<Vec<u8>>,
}

impl LiveTarget {
    pub(crate) fn open(target: Target, sealer: &SecretSealer) -> Self {
        let key = sealer
            .open(&target.secret)
            .ok()
            .and_then(|s| key_of(s.expose_secret()).ok());
        Self { target, key }
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    targets: RwLock<HashMap<WebhookId, Arc<LiveTarget>>>,
    wakers: Mutex<HashMap<WebhookId, Arc<Notify>>>,
    running: Mutex<HashSet<WebhookId>>,
    handles: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Registry {
    pub(crate) fn get(&self, id: &WebhookId) -> Option<Arc<LiveTarget>> {
        self.targets.read().ok()?.get(id).cloned()
    }

    pub(crate) fn snapshot(&self) -> HashMap<WebhookId, Target> {
        self.targets
            .read()
            .map(|t| t.iter().map(|(id, l)| (*id, l.target.clone())).collect())
            .unwrap_or_default()
    }

    /// Sets (or, for `None`, removes) an endpoint.
    pub(crate) fn set(&self, id: WebhookId, live: Option<LiveTarget>) {
        if let Ok(mut targets) = self.targets.write() {
            match live {
                Some(live) => {
                    targets.insert(id, Arc::new(live));
                }
                None => {
                    targets.remove(&id);
                }
            }
        }
    }

    /// Marks an endpoint disabled ahead of the scanner reading its event.
    pub(crate) fn mark_disabled(&self, id: &WebhookId) {
        if let Ok(mut targets) = self.targets.write()
            && let Some(live) = targets.get(id)
        {
            let mut target = live.target.clone();
            target.enabled = false;
            let key = live.key.clone();
            targets.insert(*id, Arc::new(LiveTarget { target, key }));
        }
    }

    pub(crate) fn waker(&self, id: &WebhookId) -> Arc<Notify> {
        let mut wakers = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        wakers.entry(*id).or_default().clone()
    }

    pub(crate) fn wake(&self, id: &WebhookId) {
        self.waker(id).notify_one();
    }

    fn enabled(&self, id: &WebhookId) -> bool {
        self.get(id).is_some_and(|l| l.target.enabled)
    }

    /// Claims the worker slot of an enabled endpoint without one.
    pub(crate) fn claim_worker(&self, id: &WebhookId) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        self.enabled(id) && running.insert(*id)
    }

    /// A worker leaves when its endpoint is off; `false` when the endpoint came
    /// back on meanwhile (the worker then stays).
    pub(crate) fn release_worker(&self, id: &WebhookId) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if self.enabled(id) {
            return false;
        }
        running.remove(id);
        true
    }

    /// Keeps a worker's handle so shutdown can wait for it.
    pub(crate) fn keep_worker(&self, handle: tokio::task::JoinHandle<()>) {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        handles.retain(|h| !h.is_finished());
        handles.push(handle);
    }

    /// The handles of workers started so far.
    pub(crate) fn take_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        std::mem::take(&mut *self.handles.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Forgets a worker that stopped for another reason (shutdown).
    pub(crate) fn forget_worker(&self, id: &WebhookId) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.remove(id);
    }
}
