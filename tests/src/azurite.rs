//! Azurite (the Azure Storage emulator, npm `azurite`) on a free port with a
//! throwaway folder, stopped when dropped. `scripts/test.sh` installs it under
//! `tests/tools/node_modules`; `ALTEGON_AZURITE_BIN` points elsewhere.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// The emulator's documented development account.
pub const ACCOUNT: &str = "devstoreaccount1";
/// The emulator's documented development key.
pub const KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running blob emulator.
pub struct Azurite {
    child: tokio::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

fn binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("ALTEGON_AZURITE_BIN") {
        return PathBuf::from(bin);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/node_modules/.bin/azurite-blob")
}

impl Azurite {
    /// Starts the blob service and waits until it accepts connections.
    pub async fn start() -> Self {
        let bin = binary();
        assert!(
            bin.exists(),
            "Azurite is not installed at {}: run `bash scripts/test.sh` (it installs it) \
             or `npm ci --prefix tests/tools`",
            bin.display()
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = tokio::process::Command::new(&bin)
            .args(["--blobHost", "127.0.0.1", "--blobPort"])
            .arg(port.to_string())
            .arg("--location")
            .arg(dir.path())
            .args([
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--loose",
                "--silent",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start azurite");
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    child,
                    port,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Azurite did not start on port {port}");
    }

    /// The blob endpoint, with the account in the path as emulators use it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/{ACCOUNT}", self.port)
    }

    /// A connection string for the development account.
    pub fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={};",
            self.endpoint()
        )
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
