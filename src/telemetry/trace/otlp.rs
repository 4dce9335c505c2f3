//! The OTLP/HTTP protobuf encoding of an `ExportTraceServiceRequest`, for
//! the few message types scopegate sends.
//!
//! Why not the `opentelemetry` crates: their OTLP exporter brings an async
//! HTTP stack, a batch processor and the generated protobuf types (prost,
//! tonic), which would double the binary and its cold start for a request
//! body of a few hundred bytes that we build once per invocation. The field
//! numbers below are those of `opentelemetry/proto/{collector/trace,trace,
//! resource,common}/v1/*.proto`; the tests decode our bytes with the
//! official generated Python classes and re-encode them to the same bytes.

use std::borrow::Cow;

/// Span kinds (`Span.SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A step inside the function.
    Internal = 1,
    /// The invocation, served for API Gateway.
    Server = 2,
    /// An outbound call (JWKS, introspection).
    Client = 3,
}

/// Status codes (`Status.StatusCode`); `Unset` is sent as no status at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Not set.
    Unset = 0,
    /// Succeeded.
    Ok = 1,
    /// Failed (a 401, for an authorizer).
    Error = 2,
}

/// An attribute value (`AnyValue`), for the kinds scopegate records.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string made at run time.
    Str(String),
    /// A string known at compile time.
    Static(&'static str),
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
}

/// A span or resource attribute: its key and value.
pub type Attribute = (&'static str, Value);

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The trace it belongs to.
    pub trace_id: [u8; 16],
    /// Its own id.
    pub span_id: [u8; 8],
    /// Its parent, if any.
    pub parent_span_id: Option<[u8; 8]>,
    /// W3C trace flags in the low byte, plus the OTLP "parent is remote" bits.
    pub flags: u32,
    /// Its name.
    pub name: Cow<'static, str>,
    /// Server, internal or client.
    pub kind: Kind,
    /// Start, Unix nanoseconds.
    pub start_unix_ns: u64,
    /// End, Unix nanoseconds.
    pub end_unix_ns: u64,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
    /// Its status.
    pub status: Code,
    /// The status message (a reason code) for an error.
    pub status_message: &'static str,
}

/// A protobuf writer: varints, length-delimited fields, fixed64.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;
const FIXED32: u32 = 5;

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u32) {
        self.varint(u64::from((field << 3) | wire));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.tag(field, LEN);
        self.varint(bytes.len() as u64);
        self.buf.extend_from_slice(bytes);
    }

    /// A proto3 string or bytes field: omitted when empty (its default).
    fn bytes_nonempty(&mut self, field: u32, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.bytes(field, bytes);
        }
    }

    fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.tag(field, VARINT);
            self.varint(v);
        }
    }

    fn fixed64(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.tag(field, FIXED64);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn fixed32(&mut self, field: u32, v: u32) {
        if v != 0 {
            self.tag(field, FIXED32);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, body: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        body(&mut inner);
        self.bytes(field, &inner.buf);
    }
}

/// `KeyValue { key = 1; value = 2 }` with `AnyValue { string_value = 1;
/// bool_value = 2; int_value = 3 }` (oneof members are always written).
fn key_value(w: &mut Writer, field: u32, key: &str, value: &Value) {
    w.message(field, |kv| {
        kv.bytes_nonempty(1, key.as_bytes());
        kv.message(2, |any| match value {
            Value::Str(s) => any.bytes(1, s.as_bytes()),
            Value::Static(s) => any.bytes(1, s.as_bytes()),
            Value::Bool(b) => {
                any.tag(2, VARINT);
                any.varint(u64::from(*b));
            }
            Value::Int(i) => {
                any.tag(3, VARINT);
                any.varint(*i as u64);
            }
        });
    });
}

/// The body of a `Resource { attributes = 1 }`, encoded once at start-up.
pub fn resource(attributes: &[(String, Value)]) -> Vec<u8> {
    let mut w = Writer::default();
    for (k, v) in attributes {
        key_value(&mut w, 1, k, v);
    }
    w.buf
}

/// `ExportTraceServiceRequest { resource_spans = 1 }` holding one
/// `ResourceSpans { resource = 1; scope_spans = 2 }` with one
/// `ScopeSpans { scope = 1; spans = 2 }`.
pub fn export_request(resource: &[u8], scope_version: &str, spans: &[Span]) -> Vec<u8> {
    let mut w = Writer::default();
    w.message(1, |rs| {
        rs.bytes(1, resource);
        rs.message(2, |ss| {
            ss.message(1, |scope| {
                scope.bytes_nonempty(1, b"scopegate");
                scope.bytes_nonempty(2, scope_version.as_bytes());
            });
            for span in spans {
                ss.message(2, |s| encode_span(s, span));
            }
        });
    });
    w.buf
}

/// `Span`: trace_id 1, span_id 2, parent_span_id 4, name 5, kind 6,
/// start 7, end 8, attributes 9, status 15 (`message` 2, `code` 3), flags 16.
fn encode_span(w: &mut Writer, span: &Span) {
    w.bytes(1, &span.trace_id);
    w.bytes(2, &span.span_id);
    if let Some(parent) = &span.parent_span_id {
        w.bytes(4, parent);
    }
    w.bytes_nonempty(5, span.name.as_bytes());
    w.uint(6, span.kind as u64);
    w.fixed64(7, span.start_unix_ns);
    w.fixed64(8, span.end_unix_ns);
    for (k, v) in &span.attributes {
        key_value(w, 9, k, v);
    }
    if span.status != Code::Unset {
        w.message(15, |st| {
            st.bytes_nonempty(2, span.status_message.as_bytes());
            st.uint(3, span.status as u64);
        });
    }
    w.fixed32(16, span.flags);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_the_protobuf_encoding() {
        let mut w = Writer::default();
        w.varint(1);
        w.varint(300);
        w.varint(u64::MAX);
        assert_eq!(&w.buf[..3], &[0x01, 0xac, 0x02]);
        assert_eq!(w.buf.len(), 3 + 10);
    }

    #[test]
    fn a_negative_int_attribute_is_ten_bytes_twos_complement() {
        let mut w = Writer::default();
        key_value(&mut w, 9, "n", &Value::Int(-1));
        // KeyValue(len) key(1:"n") value(AnyValue(len) int_value(3): 10 bytes)
        assert_eq!(w.buf[0], (9 << 3) | 2);
        assert_eq!(*w.buf.last().unwrap(), 0x01);
        assert_eq!(w.buf.len(), 2 + 3 + 2 + 1 + 10);
    }

    #[test]
    fn an_unset_status_and_zero_fields_are_omitted() {
        let span = Span {
            trace_id: [1; 16],
            span_id: [2; 8],
            parent_span_id: None,
            flags: 0,
            name: Cow::Borrowed(""),
            kind: Kind::Internal,
            start_unix_ns: 0,
            end_unix_ns: 0,
            attributes: Vec::new(),
            status: Code::Unset,
            status_message: "",
        };
        let mut w = Writer::default();
        encode_span(&mut w, &span);
        // trace_id (2 + 16), span_id (2 + 8), kind (2).
        assert_eq!(w.buf.len(), 18 + 10 + 2);
    }
}
