//! HTTP range requests on stored entries (RFC 9110 14): what a `Range` asks
//! of a body of known length, whether an `If-Range` still names the stored
//! entry, and a body stream cut down to a range.
//!
//! Only one `bytes` range is answered with a part; several ranges, other
//! units and malformed values are answered with the whole body, which RFC
//! 9110 14.2 allows (a server may ignore `Range`).

use std::ops::Range;

use bytes::Bytes;
use http::{HeaderMap, header};
use http_body_util::{BodyExt, StreamBody};

use super::{Body, BoxError};

/// What a `Range` header asks of a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// No usable range: answer `200` with the whole body.
    Whole,
    /// `206` with these bytes (never empty, within the body).
    Part(Range<u64>),
    /// `416`: the range starts past the end (or asks for nothing of it).
    Unsatisfiable,
}

/// What `value` (a `Range` header) asks of a body of `len` bytes.
pub fn parse(value: &str, len: u64) -> Requested {
    let Some((unit, spec)) = value.trim().split_once('=') else {
        return Requested::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Requested::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Requested::Whole;
    };
    let number = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-N`: the last N bytes.
        (true, _, Some(n)) => {
            if n == 0 || len == 0 {
                Requested::Unsatisfiable
            } else {
                Requested::Part(len - n.min(len)..len)
            }
        }
        // `A-` and `A-B`.
        (false, Some(a), b) if last.trim().is_empty() || b.is_some_and(|b| b >= a) => {
            if a >= len {
                return Requested::Unsatisfiable;
            }
            let end = b.map_or(len, |b| b.saturating_add(1).min(len));
            Requested::Part(a..end)
        }
        _ => Requested::Whole,
    }
}

/// The `Range` request headers `req` asks of a `len`-byte response with
/// `resp` headers (a stored entry's, or a fill's), honouring `If-Range`: a
/// validator that no longer names that response gets the whole body.
pub fn requested(req: &HeaderMap, resp: &HeaderMap, len: u64) -> Requested {
    let mut values = req.get_all(header::RANGE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Requested::Whole;
    };
    let Ok(value) = value.to_str() else {
        return Requested::Whole;
    };
    if let Some(cond) = req.get(header::IF_RANGE)
        && !if_range_matches(cond.to_str().unwrap_or(""), resp)
    {
        return Requested::Whole;
    }
    parse(value, len)
}

/// Does an `If-Range` value name the response with headers `resp`? A strong
/// `ETag` equal to its own, or exactly its `Last-Modified` date (RFC 9110
/// 13.1.5); weak tags never match.
pub fn if_range_matches(value: &str, resp: &HeaderMap) -> bool {
    let value = value.trim();
    let stored = |name| resp.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if value.starts_with('"') || value.starts_with("W/") {
        return !value.starts_with("W/")
            && stored(header::ETAG).is_some_and(|etag| !etag.starts_with("W/") && etag == value);
    }
    match (
        httpdate::parse_http_date(value),
        stored(header::LAST_MODIFIED).and_then(|v| httpdate::parse_http_date(v).ok()),
    ) {
        (Ok(asked), Some(modified)) => asked == modified,
        _ => false,
    }
}

/// Takes the range headers (`Range`, `If-Range`) out of a request: the
/// cache always asks the upstream for the whole body and cuts the part itself.
pub fn take(headers: &mut HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for name in [header::RANGE, header::IF_RANGE] {
        for v in headers.get_all(&name) {
            out.append(name.clone(), v.clone());
        }
        headers.remove(&name);
    }
    out
}

/// `Content-Range` of a part of a body of `len` bytes.
pub fn content_range(part: &Range<u64>, len: u64) -> String {
    format!("bytes {}-{}/{len}", part.start, part.end - 1)
}

/// `Content-Range` of a `416`.
pub fn unsatisfied_range(len: u64) -> String {
    format!("bytes */{len}")
}

/// The bytes `part` of `body` (which streams from its first byte).
///
/// With `to_end`, the rest of `body` is still read after the part, and the
/// part's last chunk goes out only once `body` ended without an error: for a
/// body checked as it streams ([`super::store::signed`]), so a forged one
/// ends the part with an error instead of a complete answer.
pub fn slice(body: Body, part: Range<u64>, to_end: bool) -> Body {
    struct State {
        body: Body,
        /// Offset in `body` of the next byte read.
        at: u64,
        part: Range<u64>,
        held: Option<Bytes>,
        done: bool,
        to_end: bool,
    }
    let state = State {
        body,
        at: 0,
        part,
        held: None,
        done: false,
        to_end,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if s.done {
                return None;
            }
            if s.at >= s.part.end && !s.to_end {
                s.done = true;
                return s.held.take().map(|b| (Ok(http_body::Frame::data(b)), s));
            }
            let frame = match s.body.frame().await {
                None => {
                    s.done = true;
                    if s.at < s.part.end {
                        let e: BoxError = "a cache entry ended before the range asked of it".into();
                        return Some((Err(e), s));
                    }
                    return s.held.take().map(|b| (Ok(http_body::Frame::data(b)), s));
                }
                Some(Err(e)) => {
                    s.done = true;
                    return Some((Err(e), s));
                }
                Some(Ok(frame)) => frame,
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let start = s.at;
            s.at += data.len() as u64;
            let from = s.part.start.max(start).min(s.at);
            let to = s.part.end.min(s.at).max(from);
            if from == to {
                continue;
            }
            let piece = data.slice(
                usize::try_from(from - start).unwrap_or(0)
                    ..usize::try_from(to - start).unwrap_or(0),
            );
            // Hold one piece back: with `to_end` the last one waits for the end.
            if let Some(prev) = s.held.replace(piece) {
                return Some((Ok(http_body::Frame::data(prev)), s));
            }
        }
    });
    StreamBody::new(stream).boxed_unsync()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bytes_range_is_a_part() {
        assert_eq!(parse("bytes=0-9", 100), Requested::Part(0..10));
        assert_eq!(parse("bytes=90-", 100), Requested::Part(90..100));
        assert_eq!(parse("bytes=-10", 100), Requested::Part(90..100));
        assert_eq!(parse(" Bytes = 5 - 5 ", 100), Requested::Part(5..6));
    }

    #[test]
    fn ranges_are_clamped_to_the_body() {
        assert_eq!(parse("bytes=90-200", 100), Requested::Part(90..100));
        assert_eq!(parse("bytes=-500", 100), Requested::Part(0..100));
        assert_eq!(
            parse("bytes=0-18446744073709551615", 100),
            Requested::Part(0..100)
        );
    }

    #[test]
    fn ranges_past_the_end_are_unsatisfiable() {
        assert_eq!(parse("bytes=100-", 100), Requested::Unsatisfiable);
        assert_eq!(parse("bytes=100-200", 100), Requested::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 100), Requested::Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Requested::Unsatisfiable);
        assert_eq!(parse("bytes=-5", 0), Requested::Unsatisfiable);
    }

    #[test]
    fn anything_else_is_the_whole_body() {
        for value in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=-",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes 0-1",
            "bytes=1--2",
            "",
        ] {
            assert_eq!(parse(value, 100), Requested::Whole, "{value}");
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn if_range_needs_the_strong_etag_or_the_exact_date() {
        let m = headers(&[
            ("etag", "\"v1\""),
            ("last-modified", "Tue, 01 Dec 2026 10:00:00 GMT"),
        ]);
        assert!(if_range_matches("\"v1\"", &m));
        assert!(!if_range_matches("\"v2\"", &m));
        assert!(!if_range_matches("W/\"v1\"", &m));
        assert!(if_range_matches("Tue, 01 Dec 2026 10:00:00 GMT", &m));
        assert!(!if_range_matches("Tue, 01 Dec 2026 10:00:01 GMT", &m));
        assert!(!if_range_matches("garbage", &m));
        let weak = headers(&[("etag", "W/\"v1\"")]);
        assert!(!if_range_matches("W/\"v1\"", &weak));
        assert!(!if_range_matches("\"v1\"", &weak));
        assert!(!if_range_matches("\"v1\"", &HeaderMap::new()));
    }

    #[test]
    fn a_failed_if_range_asks_for_the_whole_body() {
        let m = headers(&[("etag", "\"v1\"")]);
        let mut req = HeaderMap::new();
        req.insert(header::RANGE, "bytes=0-9".parse().unwrap());
        assert_eq!(requested(&req, &m, 100), Requested::Part(0..10));
        req.insert(header::IF_RANGE, "\"v0\"".parse().unwrap());
        assert_eq!(requested(&req, &m, 100), Requested::Whole);
        req.insert(header::IF_RANGE, "\"v1\"".parse().unwrap());
        assert_eq!(requested(&req, &m, 100), Requested::Part(0..10));
        req.append(header::RANGE, "bytes=20-29".parse().unwrap());
        assert_eq!(requested(&req, &m, 100), Requested::Whole);
    }

    #[test]
    fn take_moves_the_range_headers_out_of_a_request() {
        let mut req = headers(&[
            ("range", "bytes=0-1"),
            ("if-range", "\"v1\""),
            ("accept", "*/*"),
        ]);
        let taken = take(&mut req);
        assert_eq!(taken.len(), 2);
        assert_eq!(taken["range"], "bytes=0-1");
        assert_eq!(req.len(), 1);
        assert!(take(&mut req).is_empty());
    }

    fn chunked(chunks: &[&'static [u8]]) -> Body {
        let frames: Vec<Result<_, BoxError>> = chunks
            .iter()
            .map(|c| Ok(http_body::Frame::data(Bytes::from_static(c))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
    }

    async fn collect(body: Body) -> Result<Bytes, BoxError> {
        Ok(body.collect().await?.to_bytes())
    }

    #[tokio::test]
    async fn a_slice_takes_the_bytes_across_chunks() {
        let body = || chunked(&[b"0123", b"4567", b"89"]);
        assert_eq!(collect(slice(body(), 2..7, false)).await.unwrap(), "23456");
        assert_eq!(collect(slice(body(), 8..10, true)).await.unwrap(), "89");
        assert_eq!(
            collect(slice(body(), 0..10, false)).await.unwrap(),
            "0123456789"
        );
        assert_eq!(collect(slice(body(), 4..8, true)).await.unwrap(), "4567");
        assert!(collect(slice(body(), 5..12, false)).await.is_err());
    }

    #[tokio::test]
    async fn a_slice_to_the_end_fails_when_the_rest_of_the_body_does() {
        let body = || {
            let frames: Vec<Result<http_body::Frame<Bytes>, BoxError>> = vec![
                Ok(http_body::Frame::data(Bytes::from_static(b"0123"))),
                Err("forged".into()),
            ];
            StreamBody::new(futures_util::stream::iter(frames)).boxed_unsync()
        };
        assert!(collect(slice(body(), 0..2, true)).await.is_err());
        assert_eq!(collect(slice(body(), 0..2, false)).await.unwrap(), "01");
    }
}
