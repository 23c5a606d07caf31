//! The Socket.IO library alone under `bench realtime`'s load, run in a process of
//! its own: a socketioxide server on the room data path that puts every socket in
//! one room and relays `chat-box` to the others, as the Node baseline does, with
//! no tokens, checks or log. Beside the relay's figures it shows what the library
//! costs and what the relay adds. Prints its port, then serves until killed.

use axum::serve::ListenerExt as _;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{Data, SocketRef};
use tokio::net::TcpListener;

/// Serves until killed.
pub async fn run() -> anyhow::Result<()> {
    let (layer, io) = SocketIo::builder()
        .req_path("/erizocontroller/socket.io")
        .build_layer();
    io.ns("/", async |s: SocketRef| {
        s.join("room");
        s.on(
            "chat-box",
            |s: SocketRef, Data(payload): Data<Value>| async move {
                let _ = s.to("room").emit("chat-box", &payload).await;
            },
        );
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    let app = axum::Router::new().layer(layer);
    axum::serve(listener.tap_io(crate::server::send_without_delay), app).await?;
    Ok(())
}
