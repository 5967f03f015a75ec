//! A DNS server on loopback for domain verification: it answers TXT queries from records the
//! test publishes, and "no such domain" otherwise.

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The published TXT records, by domain; the server reads them on every query.
#[derive(Clone, Default)]
pub struct DnsZone {
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    pub address: Option<SocketAddr>,
}

impl DnsZone {
    /// Starts the server on a free loopback port.
    pub async fn start() -> DnsZone {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.expect("a DNS socket");
        let zone = DnsZone { address: Some(socket.local_addr().expect("its address")), ..Default::default() };
        let records = zone.records.clone();
        tokio::spawn(async move {
            let mut buffer = [0u8; 1500];
            while let Ok((length, peer)) = socket.recv_from(&mut buffer).await {
                let Ok(query) = Message::from_vec(&buffer[..length]) else { continue };
                let answer = answer(&query, &records.lock().expect("the records"));
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        zone
    }

    /// Publishes a TXT record at `domain`.
    pub fn publish_txt(&self, domain: &str, text: &str) {
        self.records.lock().expect("the records").entry(domain.to_lowercase()).or_default().push(text.to_owned());
    }
}

fn answer(query: &Message, records: &HashMap<String, Vec<String>>) -> Message {
    let mut response = Message::new();
    response
        .set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(query.op_code())
        .set_recursion_desired(query.recursion_desired())
        .set_recursion_available(true);
    for question in query.queries() {
        response.add_query(question.clone());
        let name = question.name().to_string().trim_end_matches('.').to_lowercase();
        for text in records.get(&name).into_iter().flatten() {
            let rdata = RData::TXT(TXT::new(vec![text.clone()]));
            response.add_answer(Record::from_rdata(question.name().clone(), 60, rdata));
        }
    }
    if response.answers().is_empty() {
        response.set_response_code(ResponseCode::NXDomain);
    }
    response
}
