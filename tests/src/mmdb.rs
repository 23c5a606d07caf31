//! Writes small MaxMind DB files (format 2.0, IPv4 tree, 24-bit records) with
//! GeoIP2-City records, so location tests need no downloaded database.

use std::net::Ipv4Addr;
use std::path::Path;

/// One network and the place it maps to.
#[derive(Debug, Clone)]
pub struct CityNetwork {
    /// Network address.
    pub network: Ipv4Addr,
    /// Prefix length, 1 to 32.
    pub prefix: u8,
    /// City name (English).
    pub city: &'static str,
    /// First subdivision's name.
    pub region: &'static str,
    /// ISO country code.
    pub country: &'static str,
    /// Country name.
    pub country_name: &'static str,
}

#[derive(Clone, Copy)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

enum Value<'a> {
    Str(&'a str),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'a str, Value<'a>)>),
    Array(Vec<Value<'a>>),
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (bits, extra): (u8, Vec<u8>) = if size < 29 {
        (size as u8, vec![])
    } else if size < 29 + 256 {
        (29, vec![(size - 29) as u8])
    } else if size < 285 + 65_536 {
        (30, ((size - 285) as u16).to_be_bytes().to_vec())
    } else {
        (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec())
    };
    if kind <= 7 {
        out.push((kind << 5) | bits);
    } else {
        out.push(bits);
        out.push(kind - 7);
    }
    out.extend(extra);
}

fn encode(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        Value::U16(n) => {
            control(out, 5, 2);
            out.extend(n.to_be_bytes());
        }
        Value::U32(n) => {
            control(out, 6, 4);
            out.extend(n.to_be_bytes());
        }
        Value::U64(n) => {
            control(out, 9, 8);
            out.extend(n.to_be_bytes());
        }
        Value::Map(pairs) => {
            control(out, 7, pairs.len());
            for (k, v) in pairs {
                encode(out, &Value::Str(k));
                encode(out, v);
            }
        }
        Value::Array(items) => {
            control(out, 11, items.len());
            for v in items {
                encode(out, v);
            }
        }
    }
}

fn names(name: &str) -> Value<'_> {
    Value::Map(vec![("en", Value::Str(name))])
}

/// Writes a GeoIP2-City database holding `networks` to `path`.
pub fn write_city_database(path: &Path, networks: &[CityNetwork]) {
    // Data section: one record per network.
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for n in networks {
        offsets.push(data.len());
        encode(
            &mut data,
            &Value::Map(vec![
                ("city", Value::Map(vec![("names", names(n.city))])),
                (
                    "country",
                    Value::Map(vec![
                        ("iso_code", Value::Str(n.country)),
                        ("names", names(n.country_name)),
                    ]),
                ),
                (
                    "subdivisions",
                    Value::Array(vec![Value::Map(vec![("names", names(n.region))])]),
                ),
            ]),
        );
    }
    // Search tree: a binary trie over the address bits.
    let mut nodes: Vec<[Record; 2]> = vec![[Record::Empty, Record::Empty]];
    for (n, offset) in networks.iter().zip(&offsets) {
        assert!((1..=32).contains(&n.prefix), "prefix 1 to 32");
        let bits = u32::from(n.network);
        let mut node = 0;
        for depth in 0..n.prefix {
            let bit = ((bits >> (31 - depth)) & 1) as usize;
            if depth + 1 == n.prefix {
                nodes[node][bit] = Record::Data(*offset);
            } else {
                node = match nodes[node][bit] {
                    Record::Node(next) => next,
                    _ => {
                        nodes.push([Record::Empty, Record::Empty]);
                        let next = nodes.len() - 1;
                        nodes[node][bit] = Record::Node(next);
                        next
                    }
                };
            }
        }
    }
    let node_count = nodes.len();
    let mut file = Vec::new();
    for node in &nodes {
        for record in node {
            let value = match *record {
                Record::Empty => node_count,
                Record::Node(i) => i,
                Record::Data(offset) => node_count + 16 + offset,
            };
            file.extend(&(value as u32).to_be_bytes()[1..]);
        }
    }
    file.extend([0u8; 16]);
    file.extend(&data);
    file.extend(b"\xAB\xCD\xEFMaxMind.com");
    encode(
        &mut file,
        &Value::Map(vec![
            ("binary_format_major_version", Value::U16(2)),
            ("binary_format_minor_version", Value::U16(0)),
            ("build_epoch", Value::U64(1_700_000_000)),
            ("database_type", Value::Str("GeoIP2-City")),
            ("description", Value::Map(vec![("en", Value::Str("test"))])),
            ("ip_version", Value::U16(4)),
            ("languages", Value::Array(vec![Value::Str("en")])),
            ("node_count", Value::U32(node_count as u32)),
            ("record_size", Value::U16(24)),
        ]),
    );
    std::fs::write(path, file).expect("write the database");
}
