//! The README's receiver in five lines: answers Tencent Meeting's URL check and prints every
//! verified event. Feature `webhook-axum`.
//!
//! ```sh
//! TOKEN=… AES_KEY=… cargo run -p tencent-meeting --features webhook-axum --example webhook_receiver
//! ```
//!
//! (Leave `AES_KEY` unset for a subscription without an EncodingAESKey.)

use tencent_meeting::webhook::{Event, Webhook, axum::Receiver};

// Laid out as the README shows it, one statement a line.
#[rustfmt::skip]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let webhook = Webhook::new(std::env::var("TOKEN")?, std::env::var("AES_KEY").ok().as_deref())?;
    let receiver = Receiver::new(webhook, |events: Vec<Event>| async move { println!("{events:?}"); Ok::<_, std::convert::Infallible>(()) });
    let app = axum::Router::new().route("/tencent-meeting/events", receiver.into_method_router());
    axum::serve(tokio::net::TcpListener::bind("0.0.0.0:8080").await?, app).await?;
    Ok(())
}
