//! Reading a `multipart/form-data` body (RFC 7578) already in memory: the
//! import form's CSRF token and its file. Small on purpose: one body, parts
//! with a `Content-Disposition` name (and a file name), nothing streamed.

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The field's name.
    pub name: String,
    /// The file's name, for a file field.
    pub file_name: Option<String>,
    /// The part's declared type, lower-cased without parameters.
    pub content_type: Option<String>,
    /// The value or the file's bytes.
    pub data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .find_map(|param| {
            let (key, value) = param.split_once('=')?;
            key.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_string())
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// The parts of `body`; `None` when it is not a well-formed form of `boundary`.
pub fn parse<'a>(boundary: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut at = find(body, delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        // After a delimiter: `--` ends the body, CRLF starts a part.
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        if !rest.starts_with(b"\r\n") {
            return None;
        }
        let start = at + 2;
        let header_end = find(body, b"\r\n\r\n", start)?;
        let headers = std::str::from_utf8(body.get(start..header_end)?).ok()?;
        let data_start = header_end + 4;
        let mut closing = Vec::with_capacity(delimiter.len() + 2);
        closing.extend_from_slice(b"\r\n");
        closing.extend_from_slice(delimiter);
        let data_end = find(body, &closing, data_start)?;
        let mut part =
            Part { name: String::new(), file_name: None, content_type: None, data: &body[data_start..data_end] };
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else { continue };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                for (key, value) in parameters(value) {
                    match key.to_ascii_lowercase().as_str() {
                        "name" => part.name = value,
                        "filename" => part.file_name = Some(value),
                        _ => {}
                    }
                }
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type =
                    value.split(';').next().map(|v| v.trim().to_ascii_lowercase()).filter(|v| !v.is_empty());
            }
        }
        parts.push(part);
        at = data_end + closing.len();
    }
}

/// The `key=value` parameters of a header value, values unquoted (`;` inside
/// quotes kept; a browser escapes a quote in a file name as `%22`).
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    let (mut current, mut quoted) = (String::new(), false);
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    pieces
        .into_iter()
        .filter_map(|piece| {
            let (key, value) = piece.split_once('=')?;
            Some((key.trim().to_string(), value.trim().trim_matches('"').to_string()))
        })
        .collect()
}

/// Where `needle` first occurs in `haystack` from `from` (a linear search:
/// a file full of dashes costs no more than any other).
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.csv\"\r\nContent-Type: text/csv; charset=utf-8\r\n\r\nlegacy_id,email\r\n1,--XyZ-not-a-delimiter\r\n\r\n--XyZ--\r\n";

    #[test]
    fn a_browsers_form_reads_back_as_its_fields_and_file() {
        assert_eq!(boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(), Some("XyZ"));
        let parts = parse("XyZ", BODY).expect("well formed");
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data), ("csrf", &b"abc"[..]));
        assert_eq!(parts[1].file_name.as_deref(), Some("a;b.csv"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/csv"));
        assert_eq!(parts[1].data, b"legacy_id,email\r\n1,--XyZ-not-a-delimiter\r\n");
    }

    #[test]
    fn anything_else_is_refused_not_guessed() {
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(parse("XyZ", b"--XyZ\r\nno end"), None);
        assert_eq!(parse("XyZ", b"nothing"), None);
        assert_eq!(parse("XyZ", &BODY[..BODY.len() - 12]), None);
    }
}
