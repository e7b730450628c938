//! The test SMTP sink speaks enough SMTP for lettre.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::support::smtp::SmtpSink;

#[tokio::test]
async fn lettre_delivers_a_multipart_mail_to_the_sink() {
    let sink = SmtpSink::start().await;
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(sink.addr.port()).build();
    let from: Mailbox = "Portal Klienta <portalklienta@kuke.com.pl>".parse().expect("from");
    let message = Message::builder()
        .from(from)
        .to("jan.kowalski@example.com".parse().expect("to"))
        .subject("Test")
        .multipart(MultiPart::alternative_plain_html(
            "Cześć\n.starts with a dot".to_string(),
            "<p>Cześć</p>".to_string(),
        ))
        .expect("message");
    transport.send(message).await.expect("SMTP delivery");
    let mails = sink.wait_for(1).await;
    assert_eq!(mails[0].mail_from, "portalklienta@kuke.com.pl");
    assert_eq!(mails[0].rcpt_to, vec!["jan.kowalski@example.com".to_string()]);
    assert!(mails[0].data.contains("multipart/alternative"));
}
