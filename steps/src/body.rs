//! Receiving a response body in bounded memory.
//!
//! A [`Receiver`] is fed the body chunk by chunk as it arrives. It keeps at
//! most `cap` bytes (the target's `max_body`) and streams everything through
//! SHA-256 and a counter, so the whole body's size and digest are known when
//! the stream ends however long it was. A body with a `Content-Encoding`
//! (gzip, deflate, br, or a list of them) is decoded as it arrives and the cap
//! applies to the DECODED bytes, so a decompression bomb costs CPU time
//! (bounded by the request timeout), never memory.
//!
//! Why decode here rather than with reqwest's `gzip`/`deflate`/`brotli`
//! features: reqwest decodes transparently and removes `Content-Encoding` and
//! `Content-Length` from the response, so the transcript could no longer say
//! that the body was encoded, how, or how large it was on the wire, and a body
//! that fails to decode would only be a read error with nothing kept. The
//! write-side decoders of flate2 and brotli-decompressor take the chunks as
//! they come (no async adapter) and hand their output to the same capped sink.

use std::io::{self, Write};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::world::{Body, Cut};

/// Keeps the first `cap` bytes written to it; hashes and counts all of them.
/// Never fails.
struct Kept {
    bytes: Vec<u8>,
    cap: usize,
    size: u64,
    hasher: Sha256,
}

impl Kept {
    /// `hint`: the expected length, when known; capacity is reserved up to
    /// it, never beyond the cap.
    fn new(cap: usize, hint: Option<u64>) -> Kept {
        let reserve = hint.map_or(0, |h| usize::try_from(h).unwrap_or(usize::MAX).min(cap));
        Kept { bytes: Vec::with_capacity(reserve), cap, size: 0, hasher: Sha256::new() }
    }

    fn take(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.size += data.len() as u64;
        let room = self.cap - self.bytes.len();
        let keep = &data[..room.min(data.len())];
        if keep.is_empty() {
            return;
        }
        let needed = self.bytes.len() + keep.len();
        if needed > self.bytes.capacity() {
            // Grow geometrically, but never past the cap.
            let target = (self.bytes.capacity() * 2).max(needed).max(8 * 1024).min(self.cap);
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(keep);
    }

    fn into_body(self, cut: Option<Cut>) -> Body {
        let cut = cut.or((self.size > self.bytes.len() as u64).then_some(Cut::Limit));
        Body {
            bytes: Bytes::from(self.bytes),
            size: self.size,
            sha256: self.hasher.finalize().into(),
            cut,
            content_encoding: None,
            encoded_size: None,
            decode_error: None,
        }
    }
}

impl Write for Kept {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.take(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A chain of streaming decoders ending in the capped sink. The first
/// coding listed in `Content-Encoding` was applied first, so it is decoded
/// last (it is the innermost stage).
enum Decoder {
    Sink(Kept),
    Gzip(Box<flate2::write::MultiGzDecoder<Decoder>>),
    Zlib(Box<flate2::write::ZlibDecoder<Decoder>>),
    RawDeflate(Box<flate2::write::DeflateDecoder<Decoder>>),
    /// `deflate` is zlib-wrapped by the standard (RFC 9110 8.4.1.2) and
    /// raw by some servers: decided on the first bytes.
    Deflate(Option<Box<Decoder>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Decoder>>),
}

/// Buffer of the brotli decoder's output, handed to the next stage.
const BROTLI_BUFFER: usize = 16 * 1024;

impl Decoder {
    fn wrap(coding: &str, inner: Decoder) -> Result<Decoder, String> {
        Ok(match coding {
            "gzip" | "x-gzip" => Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(inner))),
            "deflate" => Decoder::Deflate(Some(Box::new(inner))),
            "br" => Decoder::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(inner, BROTLI_BUFFER))),
            other => {
                return Err(format!("unsupported content-encoding \"{other}\" (certify decodes gzip, deflate and br)"));
            }
        })
    }

    /// Completes every stage, innermost last, and returns the sink.
    fn finish(self) -> io::Result<Kept> {
        match self {
            Decoder::Sink(kept) => Ok(kept),
            Decoder::Gzip(d) => d.finish()?.finish(),
            Decoder::Zlib(d) => d.finish()?.finish(),
            Decoder::RawDeflate(d) => d.finish()?.finish(),
            Decoder::Deflate(Some(_)) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "empty deflate stream")),
            Decoder::Deflate(None) => Err(io::Error::other("deflate decoder in an invalid state")),
            Decoder::Brotli(mut d) => {
                d.close()?;
                d.into_inner().map_err(|_| io::Error::other("brotli stream did not end"))?.finish()
            }
        }
    }
}

impl Write for Decoder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Decoder::Sink(kept) => kept.write(buf),
            Decoder::Gzip(d) => d.write(buf),
            Decoder::Zlib(d) => d.write(buf),
            Decoder::RawDeflate(d) => d.write(buf),
            Decoder::Brotli(d) => d.write(buf),
            Decoder::Deflate(inner) => {
                if buf.is_empty() {
                    return Ok(0);
                }
                let Some(inner) = inner.take() else {
                    return Err(io::Error::other("deflate decoder in an invalid state"));
                };
                // A zlib header: compression method 8, header checksum a multiple of 31.
                let zlib =
                    buf[0] & 0x0f == 8 && buf.get(1).is_none_or(|&b| (u16::from(buf[0]) << 8 | u16::from(b)) % 31 == 0);
                *self = if zlib {
                    Decoder::Zlib(Box::new(flate2::write::ZlibDecoder::new(*inner)))
                } else {
                    Decoder::RawDeflate(Box::new(flate2::write::DeflateDecoder::new(*inner)))
                };
                self.write(buf)
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A response body being received. An unencoded body costs at most `cap`
/// bytes of memory; an encoded one at most `cap` decoded bytes plus at most
/// `cap` raw bytes (kept so that a body that fails to decode, even at its
/// last byte, is recorded raw), plus the decoders' windows (32 KiB for
/// gzip and deflate, at most 16 MiB for br).
pub(crate) struct Receiver {
    /// The raw bytes as they came: the body itself when it is not encoded,
    /// else what is recorded if decoding fails.
    raw: Kept,
    /// The decoding chain, for an encoded body that has decoded so far.
    decoder: Option<Decoder>,
    /// `Content-Encoding` as received, when it names a coding.
    encoding: Option<String>,
    decode_error: Option<String>,
}

impl Receiver {
    /// A receiver keeping at most `cap` bytes, for a body with the given
    /// `Content-Encoding` header value (if any) and `Content-Length` (if known).
    pub(crate) fn new(cap: u64, content_encoding: Option<&str>, content_length: Option<u64>) -> Receiver {
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let raw = Kept::new(cap, content_length);
        let codings: Vec<String> = content_encoding
            .into_iter()
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty() && c != "identity")
            .collect();
        if codings.is_empty() {
            return Receiver { raw, decoder: None, encoding: None, decode_error: None };
        }
        let encoding = Some(codings.join(", "));
        let chain = codings.iter().try_fold(Decoder::Sink(Kept::new(cap, None)), |inner, c| Decoder::wrap(c, inner));
        match chain {
            Ok(chain) => Receiver { raw, decoder: Some(chain), encoding, decode_error: None },
            Err(e) => Receiver { raw, decoder: None, encoding, decode_error: Some(e) },
        }
    }

    /// Takes the next chunk of the body as it came over the wire.
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        self.raw.take(chunk);
        if let Some(decoder) = &mut self.decoder
            && let Err(e) = decoder.write_all(chunk)
        {
            self.fail(e);
        }
    }

    fn fail(&mut self, error: io::Error) {
        let coding = self.encoding.as_deref().unwrap_or_default();
        self.decoder = None;
        self.decode_error = Some(format!("the {coding} content-encoding does not decode: {error}"));
    }

    /// The body received: decoded when it was encoded and decoded cleanly,
    /// else the raw bytes with the decoding error. `cut` says why the stream
    /// ended early, when it did.
    pub(crate) fn finish(mut self, cut: Option<Cut>) -> Body {
        let raw_size = self.raw.size;
        if let Some(decoder) = self.decoder.take() {
            // An empty body (HEAD, 204, 304) has nothing to decode.
            let decoded = if raw_size == 0 { Ok(Kept::new(0, None)) } else { decoder_finish(decoder, cut.is_some()) };
            match decoded {
                Ok(kept) => {
                    let mut body = kept.into_body(cut);
                    body.content_encoding = self.encoding;
                    body.encoded_size = Some(raw_size);
                    return body;
                }
                Err(e) => self.fail(e),
            }
        }
        let mut body = self.raw.into_body(cut);
        if self.encoding.is_some() {
            body.content_encoding = self.encoding;
            body.encoded_size = Some(raw_size);
            body.decode_error = self.decode_error;
        }
        body
    }
}

/// Completes a decoding chain. A stream that was cut short cannot end
/// cleanly: what decoded so far is kept without checking the end.
fn decoder_finish(decoder: Decoder, cut_short: bool) -> io::Result<Kept> {
    if !cut_short {
        return decoder.finish();
    }
    let mut stage = decoder;
    loop {
        stage = match stage {
            Decoder::Sink(kept) => return Ok(kept),
            Decoder::Gzip(mut d) => {
                let _ = d.flush();
                take_inner(d.get_mut())
            }
            Decoder::Zlib(mut d) => {
                let _ = d.flush();
                take_inner(d.get_mut())
            }
            Decoder::RawDeflate(mut d) => {
                let _ = d.flush();
                take_inner(d.get_mut())
            }
            Decoder::Brotli(mut d) => {
                let _ = d.flush();
                take_inner(d.get_mut())
            }
            Decoder::Deflate(Some(inner)) => *inner,
            Decoder::Deflate(None) => return Err(io::Error::other("deflate decoder in an invalid state")),
        };
    }
}

fn take_inner(inner: &mut Decoder) -> Decoder {
    std::mem::replace(inner, Decoder::Deflate(None))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn capacity_is_reserved_from_the_length_and_never_grows_past_the_cap() {
        assert_eq!(Kept::new(1000, Some(300)).bytes.capacity(), 300);
        assert_eq!(
            Kept::new(1000, Some(1 << 40)).bytes.capacity(),
            1000,
            "a lying Content-Length reserves the cap at most"
        );
        let mut kept = Kept::new(100_000, None);
        for size in [1, 7, 4096, 10_000, 65_536, 3, 200_000] {
            kept.take(&vec![b'x'; size]);
            assert!(kept.bytes.capacity() <= 100_000, "capacity {} after {size}", kept.bytes.capacity());
        }
        assert_eq!(kept.bytes.len(), 100_000);
        let body = kept.into_body(None);
        assert_eq!((body.size, body.cut), (279_643, Some(Cut::Limit)));
    }

    #[test]
    fn a_body_split_anywhere_hashes_and_counts_the_same() {
        let whole: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let mut receiver = Receiver::new(10_000, None, None);
        for piece in whole.chunks(777) {
            receiver.feed(piece);
        }
        let body = receiver.finish(None);
        assert_eq!(body.size, 50_000);
        assert_eq!(body.sha256, <[u8; 32]>::from(Sha256::digest(&whole)));
        assert_eq!(&body.bytes[..], &whole[..10_000]);
    }

    #[test]
    fn deflate_is_told_apart_even_one_byte_at_a_time() {
        let plain = b"{\"a\": [1, 2, 3]}".repeat(100);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&plain).unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&plain).unwrap();
        for encoded in [zlib.finish().unwrap(), raw.finish().unwrap()] {
            let mut receiver = Receiver::new(1 << 20, Some("Deflate"), None);
            for byte in &encoded {
                receiver.feed(std::slice::from_ref(byte));
            }
            let body = receiver.finish(None);
            assert_eq!(body.decode_error, None);
            assert_eq!(&body.bytes[..], &plain[..]);
            assert_eq!(body.encoded_size, Some(encoded.len() as u64));
        }
    }

    #[test]
    fn an_encoded_body_cut_short_keeps_what_decoded() {
        let plain = b"0123456789".repeat(10_000);
        let encoded = gzip(&plain);
        let mut receiver = Receiver::new(1 << 20, Some("gzip"), None);
        receiver.feed(&encoded[..encoded.len() / 2]);
        let body = receiver.finish(Some(Cut::Timeout));
        assert_eq!(body.cut, Some(Cut::Timeout));
        assert_eq!(body.decode_error, None);
        assert!(!body.bytes.is_empty() && plain.starts_with(&body.bytes), "{} bytes decoded", body.bytes.len());
        assert_eq!(body.size, body.bytes.len() as u64);
    }

    #[test]
    fn an_empty_encoded_body_is_empty_not_an_error() {
        let body = Receiver::new(100, Some("gzip"), Some(0)).finish(None);
        assert_eq!((body.size, body.decode_error, body.content_encoding.as_deref()), (0, None, Some("gzip")));
    }

    #[test]
    fn identity_is_no_encoding_and_a_trailing_garbage_gzip_fails() {
        let body = Receiver::new(100, Some("identity"), None).finish(None);
        assert_eq!(body.content_encoding, None);
        let mut receiver = Receiver::new(1 << 20, Some("gzip"), None);
        let mut encoded = gzip(b"hello");
        encoded.extend_from_slice(b"garbage after the member");
        receiver.feed(&encoded);
        let body = receiver.finish(None);
        assert!(body.decode_error.is_some(), "{body:?}");
        assert_eq!(&body.bytes[..], &encoded[..], "the raw bytes are kept");
    }
}
