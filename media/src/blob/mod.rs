//! One blob store over two backends: a local folder (the embedded default) and
//! Azure Blob Storage, both through `object_store`. Uploads are streamed in
//! fixed-size parts with bounded concurrency, so memory stays flat whatever the
//! file's size, and are cut off with [`BlobError::TooLarge`] past a limit.

pub mod connection_string;
pub mod signed_url;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::azure::{AzureAccessKey, AzureAuthorizer, AzureCredential, MicrosoftAzure};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use secrecy::{ExposeSecret, SecretString};

pub use signed_url::{LocalUrlSigner, SignatureError};

/// Size of each uploaded part; with [`UPLOAD_CONCURRENCY`] parts in flight this
/// bounds an upload's buffers to a few tens of MiB.
pub const UPLOAD_PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts uploaded at once.
pub const UPLOAD_CONCURRENCY: usize = 2;

/// Where blobs live.
#[derive(Debug, Clone)]
pub enum BlobBackend {
    /// Files under a folder on this machine.
    Local {
        /// The folder.
        root: PathBuf,
    },
    /// An Azure Blob Storage container.
    Azure(AzureAccount),
}

/// An Azure storage account and the container blobs go to.
#[derive(Debug, Clone)]
pub struct AzureAccount {
    /// Account name.
    pub account: String,
    /// Shared key; it signs requests and SAS URLs.
    pub key: SecretString,
    /// Blob endpoint including the account path for emulators
    /// (`http://127.0.0.1:10000/devstoreaccount1`); `None` means the public cloud.
    pub endpoint: Option<String>,
    /// The container.
    pub container: String,
}

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store's settings are unusable.
    #[error("blob storage configuration: {0}")]
    Config(String),
    /// No blob at that path.
    #[error("blob not found")]
    NotFound,
    /// The upload passed the size limit; nothing was kept.
    #[error("the upload is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The client's body ended with an error; nothing was kept.
    #[error("the upload was interrupted: {0}")]
    Interrupted(String),
    /// The backend failed.
    #[error("blob storage: {0}")]
    Backend(String),
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Backend(other.to_string()),
        }
    }
}

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its path in the store.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A blob being read: its size and its bytes.
pub struct BlobRead {
    /// Size in bytes.
    pub size: u64,
    /// The bytes, in order.
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

enum Kind {
    Local {
        signer: LocalUrlSigner,
    },
    Azure {
        azure: Arc<MicrosoftAzure>,
        container_url: String,
    },
}

/// The blob store the server writes recordings and room files to.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    kind: Arc<Kind>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore")
            .field("backend", &self.backend_name())
            .finish()
    }
}

impl BlobStore {
    /// Opens the backend; creates the folder or the container when missing.
    /// `signer` signs download URLs of the local backend.
    pub async fn open(backend: BlobBackend, signer: LocalUrlSigner) -> Result<Self, BlobError> {
        match backend {
            BlobBackend::Local { root } => {
                std::fs::create_dir_all(&root)
                    .map_err(|e| BlobError::Config(format!("{}: {e}", root.display())))?;
                let fs = LocalFileSystem::new_with_prefix(&root)
                    .map_err(|e| BlobError::Config(e.to_string()))?
                    .with_automatic_cleanup(true)
                    // A file is durable before the event that records it is appended.
                    .with_fsync(true);
                Ok(Self {
                    store: Arc::new(fs),
                    kind: Arc::new(Kind::Local { signer }),
                })
            }
            BlobBackend::Azure(account) => {
                let endpoint = account.endpoint.clone().unwrap_or_else(|| {
                    format!("https://{}.blob.core.windows.net", account.account)
                });
                let endpoint = endpoint.trim_end_matches('/').to_owned();
                let azure = object_store::azure::MicrosoftAzureBuilder::new()
                    .with_account(&account.account)
                    .with_access_key(account.key.expose_secret())
                    .with_container_name(&account.container)
                    .with_endpoint(endpoint.clone())
                    .with_allow_http(endpoint.starts_with("http://"))
                    .build()
                    .map_err(|e| BlobError::Config(e.to_string()))?;
                create_container(&account, &endpoint).await?;
                let azure = Arc::new(azure);
                Ok(Self {
                    store: azure.clone(),
                    kind: Arc::new(Kind::Azure {
                        azure,
                        container_url: format!("{endpoint}/{}", account.container),
                    }),
                })
            }
        }
    }

    /// `local` or `azure`.
    pub fn backend_name(&self) -> &'static str {
        match *self.kind {
            Kind::Local { .. } => "local",
            Kind::Azure { .. } => "azure",
        }
    }

    /// The signer of local download URLs (`None` on Azure, where SAS is used).
    pub fn local_signer(&self) -> Option<&LocalUrlSigner> {
        match &*self.kind {
            Kind::Local { signer } => Some(signer),
            Kind::Azure { .. } => None,
        }
    }

    /// Streams `body` to `path`. Past `max_bytes` the partial upload is discarded
    /// and [`BlobError::TooLarge`] returned; a body error discards it too.
    pub async fn put_stream<S, E>(
        &self,
        path: &str,
        body: S,
        max_bytes: u64,
    ) -> Result<StoredBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let location = to_path(path);
        let upload = self.store.put_multipart(&location).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART_BYTES);
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        let failure = loop {
            let chunk = match body.next().await {
                None => break None,
                Some(Err(e)) => break Some(BlobError::Interrupted(e.to_string())),
                Some(Ok(chunk)) => chunk,
            };
            size += chunk.len() as u64;
            if size > max_bytes {
                break Some(BlobError::TooLarge { limit: max_bytes });
            }
            if let Err(e) = writer.wait_for_capacity(UPLOAD_CONCURRENCY).await {
                break Some(e.into());
            }
            writer.put(chunk);
        };
        if let Some(error) = failure {
            if let Err(e) = writer.abort().await {
                tracing::warn!(error = %e, "discarding a partial upload failed");
            }
            return Err(error);
        }
        writer.finish().await?;
        Ok(StoredBlob {
            path: path.to_owned(),
            size,
        })
    }

    /// Reads a blob as a stream.
    pub async fn get(&self, path: &str) -> Result<BlobRead, BlobError> {
        let result = self.store.get(&to_path(path)).await?;
        let size = result.meta.size;
        let stream = result.into_stream().map_err(BlobError::from).boxed();
        Ok(BlobRead { size, stream })
    }

    /// The size of a blob, or `None` when there is none.
    pub async fn size(&self, path: &str) -> Result<Option<u64>, BlobError> {
        match self.store.head(&to_path(path)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a blob; deleting one that is gone already succeeds.
    pub async fn delete(&self, path: &str) -> Result<(), BlobError> {
        self.delete_at(&to_path(path)).await
    }

    async fn delete_at(&self, location: &Path) -> Result<(), BlobError> {
        match self.store.delete(location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The blob's address (not readable without a signature).
    pub fn blob_url(&self, path: &str) -> String {
        match &*self.kind {
            Kind::Local { signer } => signer.blob_url(path).to_string(),
            Kind::Azure { container_url, .. } => {
                let mut url = container_url.clone();
                for part in to_path(path).parts() {
                    url.push('/');
                    url.push_str(part.as_ref());
                }
                url
            }
        }
    }

    /// A read-only URL for one blob, valid for `ttl`: an Azure service SAS, or a
    /// URL signed by this server on the local backend.
    pub async fn signed_read_url(
        &self,
        path: &str,
        ttl: Duration,
    ) -> Result<(String, DateTime<Utc>), BlobError> {
        let expires_at = Utc::now()
            + chrono::Duration::from_std(ttl).map_err(|e| BlobError::Config(e.to_string()))?;
        match &*self.kind {
            Kind::Local { signer } => Ok((signer.sign(path, expires_at).to_string(), expires_at)),
            Kind::Azure { azure, .. } => {
                let url = azure
                    .signed_url(http::Method::GET, &to_path(path), ttl)
                    .await?;
                Ok((url.to_string(), expires_at))
            }
        }
    }
}

/// A blob found by [`BlobStore::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBlob {
    /// Its location in the store's own encoding (compare with [`BlobStore::location`]).
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// Last written.
    pub modified: DateTime<Utc>,
}

impl BlobStore {
    /// The store's own spelling of `path`.
    pub fn location(path: &str) -> String {
        to_path(path).to_string()
    }

    /// Every blob under `prefix`.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ListedBlob>, BlobError> {
        let prefix = to_path(prefix);
        self.store
            .list(Some(&prefix))
            .map_ok(|meta| ListedBlob {
                location: meta.location.to_string(),
                size: meta.size,
                modified: meta.last_modified,
            })
            .map_err(BlobError::from)
            .try_collect()
            .await
    }

    /// Deletes the blob at a location as [`BlobStore::list`] spells it.
    pub async fn delete_location(&self, location: &str) -> Result<(), BlobError> {
        let path = Path::parse(location).map_err(|e| BlobError::Backend(e.to_string()))?;
        self.delete_at(&path).await
    }
}

/// The store path of `path` (`a/b/c`), each segment encoded as `object_store` does.
fn to_path(path: &str) -> Path {
    Path::from_iter(path.split('/').filter(|s| !s.is_empty()))
}

/// Creates the container unless it exists (`Create Container` signed with the
/// shared key, as `object_store` has no call for it).
async fn create_container(account: &AzureAccount, endpoint: &str) -> Result<(), BlobError> {
    let url = format!("{endpoint}/{}?restype=container", account.container);
    let mut request = http::Request::builder()
        .method(http::Method::PUT)
        .uri(&url)
        .header(http::header::CONTENT_LENGTH, "0")
        .body(object_store::client::HttpRequestBody::empty())
        .map_err(|e| BlobError::Config(e.to_string()))?;
    let key = AzureAccessKey::try_new(account.key.expose_secret())
        .map_err(|_| BlobError::Config("the account key is not valid base64".into()))?;
    let credential = AzureCredential::AccessKey(key);
    AzureAuthorizer::new(&credential, &account.account)
        .try_authorize(&mut request)
        .map_err(|e| BlobError::Config(e.to_string()))?;
    let client = reqwest::Client::new();
    let response = client
        .put(&url)
        .headers(request.headers().clone())
        .body(Vec::new())
        .send()
        .await
        .map_err(|e| BlobError::Backend(format!("creating container: {e}")))?;
    match response.status().as_u16() {
        201 | 409 => Ok(()),
        status => Err(BlobError::Backend(format!(
            "creating container `{}` answered {status}",
            account.container
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn local() -> (tempfile::TempDir, BlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let signer = LocalUrlSigner::new(&[7; 32], "http://127.0.0.1:1").unwrap();
        let store = BlobStore::open(
            BlobBackend::Local {
                root: dir.path().join("blobs"),
            },
            signer,
        )
        .await
        .unwrap();
        (dir, store)
    }

    fn chunks(n: usize, size: usize) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures::stream::iter((0..n).map(move |i| Ok(Bytes::from(vec![i as u8; size]))))
    }

    #[tokio::test]
    async fn a_streamed_upload_reads_back_byte_for_byte() {
        let (_dir, store) = local().await;
        let stored = store
            .put_stream("users/u/a b.mp4", chunks(40, 1 << 20), u64::MAX)
            .await
            .unwrap();
        assert_eq!(stored.size, 40 << 20);
        let read = store.get("users/u/a b.mp4").await.unwrap();
        assert_eq!(read.size, 40 << 20);
        let bytes: Vec<Bytes> = read.stream.try_collect().await.unwrap();
        let all: Vec<u8> = bytes.concat();
        assert_eq!(all.len(), 40 << 20);
        assert!(all[..1 << 20].iter().all(|b| *b == 0));
        assert!(all[39 << 20..].iter().all(|b| *b == 39));
    }

    #[tokio::test]
    async fn an_upload_past_the_limit_leaves_nothing_behind() {
        let (dir, store) = local().await;
        let err = store
            .put_stream("x/big.bin", chunks(10, 1 << 20), 5 << 20)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::TooLarge { limit } if limit == 5 << 20));
        assert_eq!(store.size("x/big.bin").await.unwrap(), None);
        let leftovers = walk(&dir.path().join("blobs"));
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[tokio::test]
    async fn deleting_twice_is_fine_and_reading_a_missing_blob_is_not_found() {
        let (_dir, store) = local().await;
        store.put_stream("a/b", chunks(1, 10), 100).await.unwrap();
        store.delete("a/b").await.unwrap();
        store.delete("a/b").await.unwrap();
        assert!(matches!(store.get("a/b").await, Err(BlobError::NotFound)));
    }

    fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.extend(walk(&p));
                } else {
                    out.push(p);
                }
            }
        }
        out
    }
}
